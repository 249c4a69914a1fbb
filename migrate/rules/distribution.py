"""Standalone v1 distribution objects → the core configuration classes.

Before::

    mpi = Mpi(process_count_per_node=2)
    ps = ParameterServer(worker_count=2, parameter_server_count=1)

After::

    mpi = MpiConfiguration(process_count_per_node=2)
    ps = TensorflowConfiguration(worker_count=2, parameter_server_count=1)

An object passed inline to an estimator is built by the estimator rule instead (with the
estimator's node_count and process_count_per_node, see :mod:`migrate.distribution`); one whose
estimator stays an estimator stays as it is.
"""

from __future__ import annotations

import libcst as cst

from migrate.distribution import convert_standalone
from migrate.engine import Migration
from migrate.names import DISTRIBUTION_CLASSES

CODES: tuple[str, ...] = ()


def plan(m: Migration) -> None:
    for call, cls in m.facts.calls:
        if cls in DISTRIBUTION_CLASSES:
            _plan_standalone(m, call, cls)


def _plan_standalone(m: Migration, call: cst.Call, cls: str) -> None:
    for estimator_plan in m.estimators.values():
        if estimator_plan.kwargs.get("distributed_training") is call:
            return  # built by the estimator rewrite, or left intact with its estimator
    name = m.facts.assigned_name(call)
    if name is not None:
        for estimator_plan in m.estimators.values():
            value = estimator_plan.kwargs.get("distributed_training")
            if isinstance(value, cst.Name) and value.value == name and estimator_plan.blocked:
                return
    if any(arg.star for arg in call.args):
        return

    def rewrite(updated: cst.Call) -> cst.BaseExpression:
        m.forget(call)
        new, emitted = convert_standalone(cls, updated)
        m.use(emitted)
        return new

    m.call_rewrites[call] = rewrite
