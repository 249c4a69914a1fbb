"""``experiment.submit(est, script_params={...})`` overrides folded into the ScriptRunConfig.

Before::

    est = Estimator(".", entry_script="train.py", compute_target=ct, script_params={"--lr": 0.1})
    run = exp.submit(est, script_params={"--lr": 0.2, "--epochs": 3})

After::

    est = ScriptRunConfig(source_directory=".", script="train.py", arguments=["--lr", 0.2, "--epochs", 3], ...)
    run = exp.submit(est)

v1 replaced the values of keys already present and appended new keys. Overrides that are not literal,
of inline estimators, of estimators submitted several times, and ``inputs=`` /
``source_directory_data_store=`` overrides keep the estimator (HPM106).
"""

from __future__ import annotations

import libcst as cst

from migrate.engine import EstimatorPlan, Migration

CODES = ("HPM106",)


def _block(m: Migration, p: EstimatorPlan, where: cst.CSTNode, message: str, fix: str) -> None:
    p.blockers.append(("HPM106", message, fix))
    if where is not p.call:
        m.report("HPM106", message, where, fix)


def plan(m: Migration) -> None:
    overrides_by_name: dict[str, list[tuple[cst.Call, dict[str, cst.Arg]]]] = {}
    for submit in m.facts.submits:
        config: cst.BaseExpression | None = None
        extra: dict[str, cst.Arg] = {}
        for index, arg in enumerate(submit.args):
            if (arg.keyword is None and index == 0) or (arg.keyword is not None and arg.keyword.value == "config"):
                config = arg.value
            elif arg.keyword is not None and arg.keyword.value in (
                "script_params",
                "inputs",
                "source_directory_data_store",
            ):
                extra[arg.keyword.value] = arg
        if not extra:
            continue
        if isinstance(config, cst.Name) and config.value in m.by_name:
            overrides_by_name.setdefault(config.value, []).append((submit, extra))
        elif isinstance(config, cst.Call) and config in m.estimators:
            _block(
                m,
                m.estimators[config],
                submit,
                "submit-time overrides on an inline estimator",
                "put the values in the estimator call",
            )
    for name, uses in overrides_by_name.items():
        plans = m.by_name[name]
        submit, extra = uses[0]
        reason = None
        if len(uses) > 1 or len(plans) > 1:
            reason = "the estimator is submitted or built more than once with overrides"
        elif set(extra) != {"script_params"}:
            reason = "inputs/source_directory_data_store overrides have no ScriptRunConfig equivalent"
        else:
            resolved = m.resolve_dict(extra["script_params"].value, submit)
            base = plans[0].pairs if "script_params" in plans[0].kwargs else []
            if resolved is None or base is None:
                reason = "submit-time script_params is not a literal dict"
            else:
                plans[0].override_pairs = resolved[0]
                _drop_keyword(m, submit, "script_params", plans[0])
        if reason:
            for p in plans:
                _block(m, p, submit, reason, "merge the overrides into the estimator by hand")


def _drop_keyword(m: Migration, call: cst.Call, keyword: str, p: EstimatorPlan | None = None) -> None:
    def rewrite(updated: cst.Call) -> cst.BaseExpression:
        if p is not None and p.blocked:
            return updated
        args = [a for a in updated.args if not (a.keyword and a.keyword.value == keyword)]
        if args:
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(args=args)

    m.call_rewrites[call] = rewrite
