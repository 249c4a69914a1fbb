"""HyperDriveStep(estimator_entry_script_arguments=[...]) with a rewritten estimator.

Before::

    est = Estimator(".", entry_script="train.py", compute_target=ct)
    hd = HyperDriveConfig(estimator=est, ...)
    step = HyperDriveStep("tune", hd, estimator_entry_script_arguments=["--data", data])

After::

    est = ScriptRunConfig(source_directory=".", script="train.py", arguments=["--data", data], ...)
    hd = HyperDriveConfig(run_config=est, ...)
    step = HyperDriveStep("tune", hd)

v1 forbids arguments on both the ScriptRunConfig and the step. When the list can move (literal, its
names defined before the estimator, the estimator has no script_params) it moves; otherwise it stays
on the step, which is valid too (HPM108, a note).
"""

from __future__ import annotations

import libcst as cst

from migrate import cst_build as b
from migrate.engine import Migration
from migrate.rules.submit_overrides import _drop_keyword

CODES = ("HPM108",)


def plan(m: Migration) -> None:
    for call, cls in m.facts.calls:
        if cls == "HyperDriveStep":
            _plan(m, call)


def _plan(m: Migration, call: cst.Call) -> None:
    arguments = config = None
    for index, arg in enumerate(call.args):
        if arg.keyword is not None and arg.keyword.value == "estimator_entry_script_arguments":
            arguments = arg.value
        elif (arg.keyword is not None and arg.keyword.value == "hyperdrive_config") or (
            arg.keyword is None and index == 1
        ):
            config = arg.value
    if arguments is None:
        return
    estimator_plan = None
    if isinstance(config, cst.Name) and len(m.hyperdrive_by_name.get(config.value, [])) == 1:
        hd = m.hyperdrive_by_name[config.value][0]
        if hd in m.call_rewrites:
            for arg in hd.args:
                if arg.keyword is not None and arg.keyword.value == "estimator":
                    estimator = arg.value
                    if isinstance(estimator, cst.Name) and len(m.by_name.get(estimator.value, [])) == 1:
                        estimator_plan = m.by_name[estimator.value][0]
    movable = (
        estimator_plan is not None
        and not estimator_plan.blocked
        and estimator_plan.pairs is None
        and estimator_plan.runtime_params is None
        and estimator_plan.extra_arguments is None
        and isinstance(arguments, cst.List)
        and all(_defined_before(m, e, estimator_plan.call) for e in arguments.elements)
    )
    if movable and estimator_plan is not None and isinstance(arguments, cst.List):
        estimator_plan.extra_arguments = [e.value for e in arguments.elements]
        _drop_keyword(m, call, "estimator_entry_script_arguments", estimator_plan)
    else:
        m.report(
            "HPM108",
            "estimator_entry_script_arguments stays on the HyperDriveStep (valid with a "
            "ScriptRunConfig that has no arguments)",
            call,
            "move the list into ScriptRunConfig(arguments=...) by hand if you prefer",
        )


def _defined_before(m: Migration, element: cst.BaseElement, at: cst.CSTNode) -> bool:
    if isinstance(element, cst.StarredElement):
        return False
    value = element.value
    if b.literal_value(value) is not NotImplemented:
        return True
    if isinstance(value, cst.Name):
        order = m.facts.order_of(at)
        return any(bd.order < order for bd in m.facts.bindings.get(value.value, []))
    return False
