"""EstimatorStep → CommandStep on the ScriptRunConfig the estimator became.

Before::

    est = Estimator(".", entry_script="train.py", compute_target=ct)
    step = EstimatorStep(name="train", estimator=est, estimator_entry_script_arguments=["--out", out],
                         outputs=[out], compute_target=ct)

After::

    step = CommandStep(
        command=["python", est.script, "--out", out],
        name="train",
        compute_target=ct,
        runconfig=est.run_config,
        outputs=[out],
        source_directory=est.source_directory,
    )

CommandStep refuses a ScriptRunConfig built with ``script=`` and no command, so the step gets the
command and the ScriptRunConfig's RunConfiguration and source directory; an estimator built in the
step's call moves into a variable of its own above it, which the step reads. Only when the estimator is
known to become a ScriptRunConfig in this file: an estimator from elsewhere (a function parameter)
has no ``.script`` and keeps its EstimatorStep (HPM114); one left as an estimator gets HPM107.
Commands longer than the file's lines are laid out one element a line.
"""

from __future__ import annotations

import libcst as cst

from migrate import cst_build as b
from migrate.codegen import node_code
from migrate.engine import Migration
from migrate.rules.hyperdrive import is_script_run_config

CODES = ("HPM102", "HPM107", "HPM114")

ESTIMATOR_STEP_ORDER = (
    "name",
    "estimator",
    "estimator_entry_script_arguments",
    "runconfig_pipeline_params",
    "inputs",
    "outputs",
    "compute_target",
    "allow_reuse",
    "version",
)


def plan(m: Migration) -> None:
    for call, cls in m.facts.calls:
        if cls == "EstimatorStep":
            _plan(m, call)


def _plan(m: Migration, call: cst.Call) -> None:
    estimator = None
    for index, arg in enumerate(call.args):
        if arg.star:
            m.keep(call, "HPM102", "EstimatorStep uses *args/**kwargs", "spell out the step parameters")
            return
        name = arg.keyword.value if arg.keyword else ESTIMATOR_STEP_ORDER[min(index, len(ESTIMATOR_STEP_ORDER) - 1)]
        if name == "estimator":
            estimator = arg.value
    if isinstance(estimator, cst.Call) and estimator in m.estimators:
        # Built in the call: the ScriptRunConfig moves into a variable above, which the CommandStep reads
        # (if the estimator stays one, so does the step: v1's EstimatorStep refuses a ScriptRunConfig).
        m.estimators[estimator].hoist = True
    elif not isinstance(estimator, cst.Name | cst.Attribute):
        m.keep(call, "HPM107", "EstimatorStep's estimator is not a variable", "bind the estimator to a variable first")
        return
    known = is_script_run_config(m, estimator, call)
    if known is False:
        m.keep(
            call,
            "HPM107",
            "the estimator given to EstimatorStep is left as an estimator",
            "resolve the estimator's TODO first; the step then becomes a CommandStep",
        )
        return
    if known is None:
        code = node_code(estimator)
        m.keep(
            call,
            "HPM114",
            f"estimator={code} is not known to be a ScriptRunConfig; the EstimatorStep was kept",
            "once it is one, use CommandStep(command=['python', src.script, *args], runconfig=src.run_config, "
            "source_directory=src.source_directory)",
        )
        return

    def rewrite(updated: cst.Call) -> cst.BaseExpression:
        if m.estimator_blocked(estimator):
            return updated  # the estimator was blocked by a later rule (it keeps its TODO)
        return _rewrite(m, call, updated)

    m.call_rewrites[call] = rewrite


def _rewrite(m: Migration, original: cst.Call, updated: cst.Call) -> cst.Call:
    kwargs = {
        (a.keyword.value if a.keyword else ESTIMATOR_STEP_ORDER[index]): a.value for index, a in enumerate(updated.args)
    }
    budget, unit = m.layout()
    base = m.extra_indent(original)
    budget -= m.statement_indent(original)
    estimator = kwargs["estimator"]
    script = cst.Attribute(value=estimator, attr=cst.Name("script"))
    command: list[cst.BaseExpression] = [b.string("python"), script]
    starred: list[cst.BaseExpression] = []
    step_args = kwargs.get("estimator_entry_script_arguments")
    if isinstance(step_args, cst.List):
        for element in step_args.elements:
            command.append(element if isinstance(element, cst.StarredElement) else element.value)  # type: ignore[arg-type]
    elif step_args is not None and not (isinstance(step_args, cst.Name) and step_args.value == "None"):
        starred.append(cst.StarredElement(step_args))  # type: ignore[arg-type]
    command_list = b.element_list(command + starred, base + unit, budget - len("command=") - len(unit), unit)
    args = [b.kwarg("command", command_list)]
    if "name" in kwargs:
        args.append(b.kwarg("name", kwargs["name"]))
    if "compute_target" in kwargs:
        args.append(b.kwarg("compute_target", kwargs["compute_target"]))
    args.append(b.kwarg("runconfig", cst.Attribute(value=estimator, attr=cst.Name("run_config"))))
    for name in ("runconfig_pipeline_params", "inputs", "outputs"):
        if name in kwargs:
            args.append(b.kwarg(name, kwargs[name]))
    args.append(b.kwarg("source_directory", cst.Attribute(value=estimator, attr=cst.Name("source_directory"))))
    for name in ("allow_reuse", "version"):
        if name in kwargs:
            args.append(b.kwarg(name, kwargs[name]))
    m.forget(original)
    return b.call(
        cst.Name(m.use("CommandStep")), args, multiline=True, base_indent=base, budget=budget, indent_unit=unit
    )
