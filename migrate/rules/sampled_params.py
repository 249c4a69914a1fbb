"""script_params that HyperDrive samples are left out of the rewritten estimator's arguments, as v1 did.

v1's HyperDriveConfig, given an estimator, removed from its arguments every script_params entry whose
name (without leading dashes) is also in the parameter space, and warned that the sampled value
overrides it; given a ScriptRunConfig (``run_config=``), it removes nothing, so each trial would get
both ``--lr 0.1`` and the sampled ``--lr`` (measured in the real SDK: tests/migrate/test_v1_facts.py).
Before::

    est = Estimator(".", entry_script="train.py", compute_target=ct,
                    script_params={"--lr": 0.1, "--epochs": 3})
    hd = HyperDriveConfig(estimator=est, hyperparameter_sampling=RandomParameterSampling(
        {"lr": uniform(0.01, 0.1)}), primary_metric_name="acc", ...)

After::

    # TODO(hpcest-migrate) note: HPM117 ... --lr is left out ...
    est = ScriptRunConfig(..., arguments=["--epochs", 3], ...)
    hd = HyperDriveConfig(run_config=est, ...)

Entries are removed by key, as hpcest's own HyperDriveConfig does (README: v1 re-paired the argument
list, which shifted every pair after a bare flag), when the parameter space is known: from the
literal arguments, or, for script_params converted where the job is built, by the conversion itself.
An estimator that is also used elsewhere (submitted on its own first, as v1's sample notebooks do)
keeps its arguments, and HyperDrive gets a copy without the sampled ones::

    # what HyperDrive runs: without the arguments it samples, as v1 left them out
    est_sweep = copy.copy(est)
    est_sweep.arguments = ["--epochs", 3]
    hd = HyperDriveConfig(run_config=est_sweep, ...)

(v1 submitted a deep copy of the run configuration with the arguments less those entries; a
ScriptRunConfig's run is built from its own arguments the same way.) Otherwise (the parameter space
or a script_params key not known) HPM118 says that v1 may have left something out.
"""

from __future__ import annotations

import libcst as cst

from migrate import cst_build as b
from migrate.arguments import key_text
from migrate.cst_build import string_value
from migrate.engine import EstimatorPlan, Migration
from migrate.rules import script_params
from migrate.rules.hyperdrive import HYPERDRIVE_CONFIG_ORDER, HYPERDRIVE_RUN_CONFIG_ORDER

CODES = ("HPM117", "HPM118")

_SAMPLINGS = ("RandomParameterSampling", "GridParameterSampling", "BayesianParameterSampling")
_COPY_COMMENT = "what HyperDrive runs: without the arguments it samples, as v1 left them out"
_FIX = "leave the sampled parameters out of arguments= of the ScriptRunConfig that HyperDrive runs"


def _warn(m: Migration, call: cst.Call, message: str, fix: str = _FIX) -> None:
    """A warning and a TODO above the HyperDrive config, which is rewritten all the same."""
    m.report("HPM118", message, call, fix)
    m.todo(call, "HPM118", message, fix)


def plan(m: Migration) -> None:
    for call, cls in m.facts.calls:
        if cls in ("HyperDriveConfig", "HyperDriveRunConfig") and call in m.call_rewrites:
            _plan(m, call, cls)


def _estimator_plan(m: Migration, expr: cst.BaseExpression) -> tuple[EstimatorPlan, bool] | None:
    """The rewritten estimator ``expr`` is, and whether nothing but this config uses it."""
    if isinstance(expr, cst.Call) and expr in m.estimators:
        return m.estimators[expr], True
    if isinstance(expr, cst.Name) and len(m.by_name.get(expr.value, [])) == 1:
        return m.by_name[expr.value][0], m.facts.name_counts[expr.value] == 1
    return None


def _is_sampling(m: Migration, func: cst.BaseExpression) -> bool:
    """One of v1's parameter samplings, imported by name or by ``from azureml.train.hyperdrive import *``."""
    return any(
        q.startswith("azureml.train.hyperdrive") and q.rsplit(".", 1)[-1] in _SAMPLINGS for q in m.facts.v1_names(func)
    )


def sampled_names(m: Migration, sampling: cst.BaseExpression | None, at: cst.CSTNode) -> set[str] | None:
    """The parameter space's names without leading dashes; None when not known statically."""
    if isinstance(sampling, cst.Name):
        sampling = m.binding(sampling.value, at)
    if not isinstance(sampling, cst.Call) or not _is_sampling(m, sampling.func):
        return None
    space = b.argument(sampling, "parameter_space", 0)
    resolved = m.resolve_dict(space, at) if space is not None else None
    if resolved is None:
        return None
    names: set[str] = set()
    for key, _ in resolved[0]:
        value = string_value(key) if isinstance(key, cst.SimpleString | cst.ConcatenatedString) else None
        if not isinstance(value, str):
            return None
        names.add(value.lstrip("-"))
    return names


def _sweep_copy(
    m: Migration, p: EstimatorPlan, value: cst.Name, statement: cst.SimpleStatementLine, sampled: set[str]
) -> None:
    """HyperDrive gets ``<name>_sweep = copy.copy(<name>)`` with the sampled entries left out of its
    arguments: v1 submitted a deep copy of the run configuration with the estimator's arguments less
    those entries, and a copied ScriptRunConfig's run is built the same way from its own arguments."""
    copy_name = m.fresh(f"{value.value}_sweep")

    def rewrite(updated: cst.CSTNode) -> cst.CSTNode:
        if m.estimator_blocked(value):
            return updated  # it stays an estimator: v1's own removal applies
        arguments = script_params.arguments_expression(m, p, p.kwargs, m.layout()[1], leave_out=sampled)
        m.needed_modules.add("copy")
        m.add_before(
            statement,
            [
                b.assign(
                    cst.Name(copy_name), b.call(b.attr("copy.copy"), [cst.Arg(cst.Name(value.value))])
                ).with_changes(leading_lines=[cst.EmptyLine(comment=cst.Comment(f"# {_COPY_COMMENT}"))]),
                b.assign(b.attr(f"{copy_name}.arguments"), arguments or cst.List([])),
            ],
        )
        return cst.Name(copy_name)

    m.node_rewrites[value] = rewrite


def _plan(m: Migration, call: cst.Call, cls: str) -> None:
    order = HYPERDRIVE_RUN_CONFIG_ORDER if cls == "HyperDriveRunConfig" else HYPERDRIVE_CONFIG_ORDER
    value = b.argument(call, "estimator", order.index("estimator"))
    estimator = _estimator_plan(m, value) if value is not None else None
    if estimator is None:
        return  # a ScriptRunConfig already: v1 removed nothing from its arguments either
    p, only_here = estimator
    runtime = p.runtime_params is not None
    if not runtime and not p.pairs:
        return  # no script_params (or script_params=None): nothing to leave out
    names = sampled_names(m, b.argument(call, "hyperparameter_sampling", order.index("hyperparameter_sampling")), call)
    keys = [] if runtime else [key_text(key) for key, _ in p.pairs or []]
    unknown = "the parameter space" if names is None else "a script_params key" if None in keys else ""
    if unknown:
        _warn(
            m,
            call,
            "v1 left out of the estimator's arguments the script_params that the parameter space also "
            f"sets; {unknown} is not known here",
        )
        return
    assert names is not None
    if runtime:
        # Known when the job is built: the conversion skips the sampled names there.
        listed = "any script_params named " + ", ".join(sorted(names)) + " (with or without dashes)"
    else:
        sampled = [key for key in keys if key is not None and key.lstrip("-") in names]
        if not sampled:
            return
        listed = ", ".join(sampled)
    if not only_here:
        statement = m.facts.enclosing_statement(call)
        if not isinstance(value, cst.Name) or statement is None:
            _warn(
                m,
                call,
                f"v1 left {listed} out of the estimator's arguments for this HyperDrive run, as the parameter "
                "space samples them; the rewritten estimator is used elsewhere too, so its arguments keep them",
                "give HyperDrive a ScriptRunConfig of its own without them",
            )
            return
        _sweep_copy(m, p, value, statement, names)
        m.report(
            "HPM117",
            f"{listed} left out of the arguments of the copy that HyperDrive sweeps (v1 left them out for it too)",
            call,
        )
        return
    p.sampled_names = set(names)
    # Said in the report only: the code is what v1 ran, a TODO would ask for nothing.
    m.report("HPM117", f"{listed} left out of arguments: HyperDrive samples them (v1 left them out too)", p.call)
