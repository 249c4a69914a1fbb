"""HyperDriveConfig(estimator=...) / HyperDriveRunConfig → HyperDriveConfig(run_config=<ScriptRunConfig>).

Before::

    est = Estimator(".", entry_script="train.py", compute_target=ct)
    hd = HyperDriveConfig(estimator=est, hyperparameter_sampling=sampling, primary_metric_name="acc",
                          primary_metric_goal=PrimaryMetricGoal.MAXIMIZE, max_total_runs=8)

After::

    est = ScriptRunConfig(...)
    hd = HyperDriveConfig(run_config=est, hyperparameter_sampling=sampling, ...)

``estimator=`` becomes ``run_config=`` only when the value is known to be a ScriptRunConfig: an
estimator rewritten in this file, or a name bound to ``ScriptRunConfig(...)``. v1 raises when a
``run_config=`` is an Estimator, so a value of unknown type (a function parameter, an attribute) keeps
``estimator=`` and gets HPM114; one whose estimator stays an estimator gets HPM107.
"""

from __future__ import annotations

import libcst as cst

from migrate import cst_build as b
from migrate.codegen import node_code
from migrate.engine import Migration

CODES = ("HPM102", "HPM107", "HPM114", "HPL202")

HYPERDRIVE_RUN_CONFIG_ORDER = (
    "estimator",
    "hyperparameter_sampling",
    "primary_metric_name",
    "primary_metric_goal",
    "max_total_runs",
    "max_concurrent_runs",
    "max_duration_minutes",
    "policy",
)
HYPERDRIVE_CONFIG_ORDER = (
    "hyperparameter_sampling",
    "primary_metric_name",
    "primary_metric_goal",
    "max_total_runs",
    "max_concurrent_runs",
    "max_duration_minutes",
    "policy",
    "estimator",
)


def is_script_run_config(m: Migration, expr: cst.BaseExpression, at: cst.CSTNode) -> bool | None:
    """True: a ScriptRunConfig (or rewritten to one); False: stays an estimator; None: unknown."""
    blocked = m.estimator_blocked(expr)
    if blocked is not None:
        return not blocked
    if isinstance(expr, cst.Call):
        return any(q.rsplit(".", 1)[-1] == "ScriptRunConfig" for q in m.facts.qualified(expr.func)) or None
    if isinstance(expr, cst.Name):
        value = m.binding(expr.value, at)
        if isinstance(value, cst.Call) and any(
            q.rsplit(".", 1)[-1] == "ScriptRunConfig" for q in m.facts.qualified(value.func)
        ):
            return True
    return None


def plan(m: Migration) -> None:
    for call, cls in m.facts.calls:
        if cls in ("HyperDriveConfig", "HyperDriveRunConfig"):
            _plan(m, call, cls)
            target = m.facts.assigned_name(call)
            if target:
                m.hyperdrive_by_name.setdefault(target, []).append(call)


def _plan(m: Migration, call: cst.Call, cls: str) -> None:
    order = HYPERDRIVE_RUN_CONFIG_ORDER if cls == "HyperDriveRunConfig" else HYPERDRIVE_CONFIG_ORDER
    estimator = None
    for index, arg in enumerate(call.args):
        if arg.star:
            m.keep(call, "HPM102", "HyperDrive config uses *args/**kwargs", "spell out estimator=...")
            return
        name = arg.keyword.value if arg.keyword else (order[index] if index < len(order) else None)
        if name == "estimator":
            estimator = arg.value
    rename = True
    if estimator is not None:
        known = is_script_run_config(m, estimator, call)
        if known is False:
            m.keep(
                call,
                "HPM107",
                "the estimator given to HyperDrive is left as an estimator",
                "resolve the estimator's TODO first, then pass run_config=<ScriptRunConfig>",
            )
            return
        if known is None:
            code = node_code(estimator)
            m.keep(
                call,
                "HPM114",
                f"estimator={code} is not known to be a ScriptRunConfig; estimator= was kept",
                "pass run_config=<ScriptRunConfig> once every caller passes a ScriptRunConfig",
            )
            rename = False
    elif cls != "HyperDriveRunConfig":
        return
    if not rename and cls != "HyperDriveRunConfig":
        return

    def rewrite(updated: cst.Call) -> cst.BaseExpression:
        if estimator is not None and m.estimator_blocked(estimator):
            return updated  # the estimator was blocked by a later rule (it keeps its TODO)
        return _rewrite(m, call, updated, cls, rename)

    m.call_rewrites[call] = rewrite


def _rewrite(m: Migration, original: cst.Call, updated: cst.Call, cls: str, rename: bool) -> cst.Call:
    order = HYPERDRIVE_RUN_CONFIG_ORDER if cls == "HyperDriveRunConfig" else HYPERDRIVE_CONFIG_ORDER
    args: list[cst.Arg] = []
    for index, arg in enumerate(updated.args):
        name = arg.keyword.value if arg.keyword else None
        if name is None and (cls == "HyperDriveRunConfig" or len(updated.args) > order.index("estimator")):
            # Positional arguments reaching ``estimator`` must become keywords once it is renamed.
            name = order[index] if index < len(order) else None
        if name == "estimator" and rename:
            name = "run_config"
        args.append(
            arg
            if name is None
            else arg.with_changes(
                keyword=cst.Name(name),
                equal=arg.equal if arg.keyword else cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
            )
        )
    func = updated.func
    if cls == "HyperDriveRunConfig":
        m.report(
            "HPL202",
            "HyperDriveRunConfig is deprecated; it is a HyperDriveConfig",
            original,
            "use HyperDriveConfig(run_config=...)",
        )
        m.forget(original)
        func = cst.Name(m.use("HyperDriveConfig"))
    converted = [u for u, a in zip(updated.args, args) if u.keyword is None and a.keyword is not None]
    if converted:
        # Positional arguments became keywords: lay the call out afresh.
        budget, unit = m.layout()
        return b.call(
            func,
            [b.kwarg(a.keyword.value, a.value) if a.keyword else a for a in args],
            base_indent=m.extra_indent(original),
            budget=budget - m.statement_indent(original),
            indent_unit=unit,
        )
    return updated.with_changes(func=func, args=args)
