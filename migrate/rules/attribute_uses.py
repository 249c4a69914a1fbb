"""Estimator attributes used after construction.

``run_config`` and ``source_directory`` mean the same on a ScriptRunConfig. ``_estimator_config`` was
the estimator's RunConfiguration, which a ScriptRunConfig calls ``run_config``; writes through it into
the environment go to the emitted Environment, and so do uses of ``est.conda_dependencies`` (v1's
read-only property for ``run_config.environment.python.conda_dependencies``: the ScriptRunConfig holds
the emitted Environment itself, so calls on it still change what the run installs). An estimator
whose environment is used that way, or through ``est.run_config.environment...``, gets an Environment
of its own rather than a curated one (a curated environment changed on the client is refused):

Before::

    est = Estimator(".", entry_script="train.py", compute_target=ct, pip_packages=["numpy"])
    est._estimator_config.environment.python.user_managed_dependencies = True

After::

    est_env = Environment(name="est-env")
    est_env.python.conda_dependencies = CondaDependencies.create(pip_packages=["azureml-defaults", "numpy"])
    est = ScriptRunConfig(source_directory=".", script="train.py", ..., environment=est_env, ...)
    est_env.python.user_managed_dependencies = True

    est.conda_dependencies.add_conda_package("pytorch-nightly")   # before
    est_env.python.conda_dependencies.add_conda_package("pytorch-nightly")   # after

Any other attribute (``est.framework_version``, ``est.script_params``) has no ScriptRunConfig
counterpart, nor has ``est.conda_dependencies`` assigned to (v1 raised: the property has no setter)
or with an environment that is not a variable (``Environment.get(...)`` inline): the estimator is
left as it is with HPM103, whose message says whether the code reads the attribute or assigns to it.
"""

from __future__ import annotations

import libcst as cst

from migrate import cst_build as b
from migrate.engine import EstimatorPlan, Migration
from migrate.environment import EnvironmentPlan

CODES = ("HPM103",)

COMPATIBLE_ATTRIBUTES = {"run_config", "source_directory"}
INTERNAL_RUN_CONFIG = "_estimator_config"
CONDA_DEPENDENCIES = "conda_dependencies"


def plan(m: Migration) -> None:
    for name, plans in m.by_name.items():
        first = min(m.facts.order_of(p.call) for p in plans)
        uses = [u for u in m.facts.attribute_uses.get(name, []) if u.order > first]
        variable = _environment_variable(m, plans[0]) if len(plans) == 1 else None
        conda = [u for u in uses if u.attr == CONDA_DEPENDENCIES and variable and not _assigned_itself(m, u)]
        left = [u for u in uses if u.attr not in _MAPPED and u not in conda]
        reads = sorted({u.attr for u in left if not u.store})
        writes = sorted({u.attr for u in left if u.store})
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
        if variable is not None:
            _map_conda_dependencies(m, plans[0], conda, variable)


_MAPPED = COMPATIBLE_ATTRIBUTES | {INTERNAL_RUN_CONFIG}


def uses_environment_later(m: Migration, target: str | None, call: cst.Call) -> bool:
    """Whether the estimator bound to ``target`` by ``call`` has its environment used after it
    (``est.conda_dependencies``, ``est.run_config.environment...``, ``est._estimator_config.environment...``):
    the estimator rule then plans an Environment of the run's own, not a curated one (a curated
    environment changed on the client is refused: it must be cloned under a new name first), so that
    those uses change the run's environment as they changed the estimator's in v1."""
    if target is None:
        return False
    order = m.facts.order_of(call)
    return any(
        u.order > order and (u.attr == CONDA_DEPENDENCIES or _reaches_environment(m, u))
        for u in m.facts.attribute_uses.get(target, [])
    )


def _reaches_environment(m: Migration, use) -> bool:  # type: ignore[no-untyped-def]
    """``est.run_config.environment`` or ``est._estimator_config.environment`` (and anything below)."""
    if use.attr not in ("run_config", INTERNAL_RUN_CONFIG):
        return False
    parent = m.facts.parent_of(use.node)
    return isinstance(parent, cst.Attribute) and parent.value is use.node and parent.attr.value == "environment"


def _environment_variable(m: Migration, p: EstimatorPlan) -> str | None:
    """The variable holding the Environment the ScriptRunConfig gets: the one the rewrite creates,
    or the user's ``environment_definition=env`` (v1's estimator held that very object too, so writes
    through it changed ``env`` there as well) unless ``env`` is bound again later; None for any other
    expression."""
    environment = p.environment
    if not (isinstance(environment, EnvironmentPlan) and isinstance(environment.expression, cst.Name)):
        return None
    name = environment.expression.value
    if not environment.statements:
        after = m.facts.order_of(p.call)
        if any(binding.order > after for binding in m.facts.bindings.get(name, [])):
            return None  # a later `env = ...` would make the name another object than the run's
    return name


def _assigned_itself(m: Migration, use) -> bool:  # type: ignore[no-untyped-def]
    """``est.conda_dependencies = ...`` (not a write through it, ``est.conda_dependencies.x = ...``)."""
    parent = m.facts.parent_of(use.node)
    return bool(use.store) and not (isinstance(parent, cst.Attribute) and parent.value is use.node)


def _map_conda_dependencies(m: Migration, p: EstimatorPlan, uses: list, variable: str) -> None:  # type: ignore[type-arg]
    """``est.conda_dependencies`` → ``<environment>.python.conda_dependencies``."""
    for use in uses:

        def to_environment(updated: cst.CSTNode, v: str = variable) -> cst.CSTNode:
            return updated if p.blocked else b.attr(f"{v}.python.{CONDA_DEPENDENCIES}")

        m.node_rewrites[use.node] = to_environment


def _map_internal(m: Migration, p: EstimatorPlan, uses: list) -> None:  # type: ignore[type-arg]
    """``est._estimator_config`` → ``est.run_config``; ``....environment`` → the emitted Environment."""
    variable = _environment_variable(m, p)
    for use in uses:
        node: cst.Attribute = use.node
        parent = m.facts.parent_of(node)
        if (
            isinstance(parent, cst.Attribute)
            and parent.value is node
            and parent.attr.value == "environment"
            and variable is not None
        ):

            def to_environment(updated: cst.CSTNode, v: str = variable) -> cst.CSTNode:
                return updated if p.blocked else cst.Name(v)

            m.node_rewrites[parent] = to_environment
        else:

            def to_run_config(updated: cst.CSTNode) -> cst.CSTNode:
                assert isinstance(updated, cst.Attribute)
                return updated if p.blocked else updated.with_changes(attr=cst.Name("run_config"))

            m.node_rewrites[node] = to_run_config
