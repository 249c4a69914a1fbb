"""The rewrite and lint rules, one module each, run in this order over one shared analysis.

Every module has a docstring with a before/after example, ``CODES`` (the warning codes it can
report) and ``plan(migration)``, which reads :class:`migrate.engine.Migration` and registers edits;
the engine applies all of them in one transform pass. Test cases live in
``tests/migrate/cases/<rule module>/``.

Order matters where a rule reads another's decisions: the estimator rule plans every estimator
call first; the rules that can block it (attribute uses, submit overrides) run next; the consumers of
estimators (HyperDrive, steps) then know which estimators become ScriptRunConfigs; the estimator
rule's ``finalise`` registers the rewrites of those still unblocked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from migrate.rules import (
    attribute_uses,
    data_inputs,
    dead_params,
    deprecated_parameters,
    distribution,
    estimator,
    estimator_step,
    hyperdrive,
    hyperdrive_step,
    package_warnings,
    sampled_params,
    script_params,
    submit_overrides,
    target_imports,
    unimported,
)


@dataclass(frozen=True)
class Rule:
    name: str
    plan: Callable[..., None]
    codes: tuple[str, ...]


def _rule(module: ModuleType, step: str = "plan") -> Rule:
    return Rule(module.__name__.rsplit(".", 1)[-1], getattr(module, step), tuple(module.CODES))


RULES: list[Rule] = [
    _rule(deprecated_parameters),
    _rule(package_warnings),
    _rule(estimator),
    _rule(attribute_uses),
    _rule(submit_overrides),
    _rule(hyperdrive),
    _rule(sampled_params),
    _rule(hyperdrive_step),
    _rule(estimator_step),
    _rule(distribution),
    _rule(estimator, "finalise"),
    _rule(dead_params),
    _rule(unimported),
    _rule(target_imports),
]

RULE_MODULES: dict[str, ModuleType] = {
    m.__name__.rsplit(".", 1)[-1]: m
    for m in (
        attribute_uses,
        data_inputs,
        dead_params,
        deprecated_parameters,
        distribution,
        estimator,
        estimator_step,
        hyperdrive,
        hyperdrive_step,
        package_warnings,
        sampled_params,
        script_params,
        submit_overrides,
        target_imports,
        unimported,
    )
}
