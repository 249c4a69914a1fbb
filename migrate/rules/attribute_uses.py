"""Estimator attributes used after construction.

``run_config`` and ``source_directory`` mean the same on a ScriptRunConfig. ``_estimator_config`` was
the estimator's RunConfiguration, which a ScriptRunConfig calls ``run_config``; writes through it into
the environment go to the emitted Environment:

Before::

    est = Estimator(".", entry_script="train.py", compute_target=ct, pip_packages=["numpy"])
    est._estimator_config.environment.python.user_managed_dependencies = True

After::

    est_env = Environment(name="est-env")
    est_env.python.conda_dependencies = CondaDependencies.create(pip_packages=["azureml-defaults", "numpy"])
    est = ScriptRunConfig(source_directory=".", script="train.py", ..., environment=est_env, ...)
    est_env.python.user_managed_dependencies = True

Any other attribute (``est.conda_dependencies``, ``est.script_params``) has no ScriptRunConfig
counterpart: the estimator is left as it is with HPM103, whose message says whether the code reads
the attribute or assigns to it.
"""

from __future__ import annotations

import libcst as cst

from migrate.engine import EstimatorPlan, Migration
from migrate.environment import EnvironmentPlan

CODES = ("HPM103",)

COMPATIBLE_ATTRIBUTES = {"run_config", "source_directory"}
INTERNAL_RUN_CONFIG = "_estimator_config"


def plan(m: Migration) -> None:
    for name, plans in m.by_name.items():
        first = min(m.facts.order_of(p.call) for p in plans)
        uses = [u for u in m.facts.attribute_uses.get(name, []) if u.order > first]
        reads = sorted({u.attr for u in uses if not u.store and u.attr not in _MAPPED})
        writes = sorted({u.attr for u in uses if u.store and u.attr not in _MAPPED})
        if reads or writes:
            parts = []
            if reads:
                parts.append(f"{', '.join(reads)} {'is' if len(reads) == 1 else 'are'} read later")
            if writes:
                parts.append(f"{', '.join(writes)} {'is' if len(writes) == 1 else 'are'} assigned after construction")
            fix = (
                "set the same values on the ScriptRunConfig or its run_config/environment by hand"
                if writes and not reads
                else "read the same values from the ScriptRunConfig (script, arguments, run_config) by hand"
            )
            for p in plans:
                p.blockers.append(("HPM103", f"estimator attribute(s) {'; '.join(parts)}", fix))
            continue
        internal = [u for u in uses if u.attr == INTERNAL_RUN_CONFIG]
        if internal and len(plans) == 1:
            _map_internal(m, plans[0], internal)


_MAPPED = COMPATIBLE_ATTRIBUTES | {INTERNAL_RUN_CONFIG}


def _map_internal(m: Migration, p: EstimatorPlan, uses: list) -> None:  # type: ignore[type-arg]
    """``est._estimator_config`` → ``est.run_config``; ``....environment`` → the emitted Environment."""
    for use in uses:
        node: cst.Attribute = use.node
        parent = m.facts.parent_of(node)
        environment = p.environment
        if (
            isinstance(parent, cst.Attribute)
            and parent.value is node
            and parent.attr.value == "environment"
            and isinstance(environment, EnvironmentPlan)
            and environment.statements
            and isinstance(environment.expression, cst.Name)
        ):
            variable = environment.expression.value

            def to_environment(updated: cst.CSTNode, v: str = variable) -> cst.CSTNode:
                return updated if p.blocked else cst.Name(v)

            m.node_rewrites[parent] = to_environment
        else:

            def to_run_config(updated: cst.CSTNode) -> cst.CSTNode:
                assert isinstance(updated, cst.Attribute)
                return updated if p.blocked else updated.with_changes(attr=cst.Name("run_config"))

            m.node_rewrites[node] = to_run_config
