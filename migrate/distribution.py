"""Estimator distribution settings → a ``distributed_job_config`` object.

``Mpi``/``"mpi"`` → MpiConfiguration(process_count_per_node, node_count); ``Gloo``/``Nccl``/``"gloo"``/
``"nccl"`` → PyTorchConfiguration(communication_backend, node_count): no process count, as in v1's run
configuration (v1 used the estimator's process_count_per_node only with ``"mpi"``, and ignored it with
a warning otherwise); ``ParameterServer``/``"ps"`` → TensorflowConfiguration(worker_count,
parameter_server_count), plus ``run_config.node_count`` where the estimator's node count is not the
worker count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import libcst as cst

from migrate import cst_build as b


class DistributionUnresolvable(Exception):
    pass


@dataclass
class DistributionPlan:
    expression: cst.BaseExpression | None
    uses: set[str]
    pre_statements: list[cst.SimpleStatementLine]
    deprecated: list[str]
    # (attribute path under the ScriptRunConfig, value) set right after it is built
    settings: list[tuple[str, cst.BaseExpression]] = field(default_factory=list)
    # (code, message, fix) for what changes meaning in the rewrite
    notes: list[tuple[str, str, str]] = field(default_factory=list)


# v1's estimators knew only their own distribution classes and MpiConfiguration: a core
# PyTorchConfiguration left the run without torch.distributed (communicator None).
IGNORED_TORCH_CONFIGURATION = (
    "HPM116",
    "v1 ignored a PyTorchConfiguration given to an estimator (the run had no torch.distributed set-up); "
    "the ScriptRunConfig starts its processes as torch.distributed ranks",
    "check that the script expects distributed ranks, or remove distributed_job_config",
)


def _mpi(per_node: cst.BaseExpression | None, nodes: cst.BaseExpression | None) -> cst.Call:
    args = []
    if per_node is not None:
        args.append(b.kwarg("process_count_per_node", per_node))
    if nodes is not None:
        args.append(b.kwarg("node_count", nodes))
    return b.call(cst.Name("MpiConfiguration"), args, multiline=False)


def _pytorch(backend: str, nodes: cst.BaseExpression | None) -> cst.Call:
    args = [b.kwarg("communication_backend", b.string(backend))]
    if nodes is not None:
        args.append(b.kwarg("node_count", nodes))
    return b.call(cst.Name("PyTorchConfiguration"), args, multiline=False)


def _tensorflow(workers: cst.BaseExpression | None, servers: cst.BaseExpression | None) -> cst.Call:
    args = []
    if workers is not None:
        args.append(b.kwarg("worker_count", workers))
    if servers is not None:
        args.append(b.kwarg("parameter_server_count", servers))
    return b.call(cst.Name("TensorflowConfiguration"), args, multiline=False)


def _parameter_server_nodes(
    nodes: cst.BaseExpression | None, workers: cst.BaseExpression | None, workers_known: bool = True
) -> list[tuple[str, cst.BaseExpression]]:
    """``run_config.node_count`` for a parameter-server job, unless it is the worker count anyway.

    A v1 TensorFlow estimator ran on its own node_count (default 1) whatever the worker count: the
    workers and parameter servers shared those nodes. A ScriptRunConfig sets node_count to
    worker_count, so a job with 2 workers on 1 node would ask for 2 nodes; the estimator's count is
    set back after construction (v1 reads run_config.node_count at submission).
    """
    given = nodes if nodes is not None else cst.Integer("1")
    if workers_known and given.deep_equals(workers if workers is not None else cst.Integer("1")):
        return []
    return [("run_config.node_count", given)]


def _with_counts(call: cst.Call, kind: str, nodes: cst.BaseExpression | None) -> cst.Call:
    """An inline ``MpiConfiguration(...)``/``PyTorchConfiguration(...)`` given the estimator's node count.

    v1 ran the job on the estimator's node_count whatever the object said (``run_config.node_count =
    node_count``); a ScriptRunConfig takes the count from the object, so the estimator's node_count is
    written into the call (replacing the object's own). v1 used the estimator's process_count_per_node
    only with distributed_backend="mpi", so the object keeps its own process counts.
    """
    if kind == "TensorflowConfiguration":
        return call  # the node count is set on the run configuration instead (_parameter_server_nodes)
    node_position = 1 if kind == "MpiConfiguration" else 2
    args: list[cst.Arg] = []
    for index, arg in enumerate(call.args):
        is_nodes = (arg.keyword is not None and arg.keyword.value == "node_count") or (
            arg.keyword is None and index == node_position
        )
        if is_nodes and nodes is not None:
            continue
        args.append(arg)
    if nodes is not None:
        args.append(b.kwarg("node_count", nodes))
    if len(args) == len(call.args) and all(a is o for a, o in zip(args, call.args)):
        return call
    return call.with_changes(args=_joined(args))


def _joined(args: list[cst.Arg]) -> list[cst.Arg]:
    return [
        arg.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        if index < len(args) - 1
        else arg.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        for index, arg in enumerate(args)
    ]


def convert_standalone(cls: str, call: cst.Call) -> tuple[cst.Call, str]:
    """``Mpi(2)`` / ``Gloo()`` / ``ParameterServer(2, 1)`` on their own → the core configuration."""
    if cls == "Mpi":
        return _mpi(b.argument(call, "process_count_per_node", 0), None), "MpiConfiguration"
    if cls in ("Gloo", "Nccl"):
        return _pytorch(cls, None), "PyTorchConfiguration"
    return _tensorflow(b.argument(call, "worker_count", 0), b.argument(call, "parameter_server_count", 1)), (
        "TensorflowConfiguration"
    )


def plan_distribution(
    kwargs: dict[str, cst.BaseExpression],
    classify: Callable[[cst.BaseExpression], tuple[str | None, cst.Call | None]],
) -> DistributionPlan:
    """``classify(expr)`` says which v1 distribution class an expression is (resolving variables)."""
    nodes = kwargs.get("node_count")
    per_node = kwargs.get("process_count_per_node")
    deprecated: list[str] = []
    training = kwargs.get("distributed_training")
    backend_node = kwargs.get("distributed_backend")
    if backend_node is not None:
        deprecated.append("distributed_backend")
    if training is not None:
        kind, call = classify(training)
        if kind is None:
            raise DistributionUnresolvable("distributed_training is not a recognisable Mpi/Gloo/Nccl/ParameterServer")
        if call is not None:
            if kind == "Mpi":
                return DistributionPlan(
                    _mpi(b.argument(call, "process_count_per_node", 0), nodes), {"MpiConfiguration"}, [], deprecated
                )
            if kind in ("Gloo", "Nccl"):
                return DistributionPlan(_pytorch(kind, nodes), {"PyTorchConfiguration"}, [], deprecated)
            if kind == "ParameterServer":
                workers = b.argument(call, "worker_count", 0)
                servers = b.argument(call, "parameter_server_count", 1)
                return DistributionPlan(
                    _tensorflow(workers, servers),
                    {"TensorflowConfiguration"},
                    [],
                    deprecated,
                    _parameter_server_nodes(nodes, workers),
                )
            if kind in ("MpiConfiguration", "PyTorchConfiguration", "TensorflowConfiguration"):
                settings = (
                    _parameter_server_nodes(nodes, b.argument(call, "worker_count", 0))
                    if kind == "TensorflowConfiguration"
                    else []
                )
                notes = [IGNORED_TORCH_CONFIGURATION] if kind == "PyTorchConfiguration" else []
                return DistributionPlan(_with_counts(call, kind, nodes), set(), [], deprecated, settings, notes)
        # A variable holding a configuration object (its constructor is rewritten on its own):
        # carry the counts over by setting them on the object before use.
        pre: list[cst.SimpleStatementLine] = []
        if nodes is not None and kind not in ("ParameterServer", "TensorflowConfiguration"):
            pre.append(b.assign(cst.Attribute(value=training, attr=cst.Name("node_count")), nodes))
        settings = (
            _parameter_server_nodes(nodes, None, workers_known=False)
            if kind in ("ParameterServer", "TensorflowConfiguration")
            else []
        )
        notes = [IGNORED_TORCH_CONFIGURATION] if kind == "PyTorchConfiguration" else []
        return DistributionPlan(training, set(), pre, deprecated, settings, notes)
    if backend_node is not None:
        backend = b.literal_value(backend_node)
        if not isinstance(backend, str):
            raise DistributionUnresolvable("distributed_backend is not a string literal")
        backend = backend.lower()
        if backend == "mpi":
            return DistributionPlan(_mpi(per_node, nodes), {"MpiConfiguration"}, [], deprecated)
        if backend in ("gloo", "nccl"):
            return DistributionPlan(_pytorch(backend.capitalize(), nodes), {"PyTorchConfiguration"}, [], deprecated)
        if backend == "ps":
            return DistributionPlan(
                _tensorflow(kwargs.get("worker_count"), kwargs.get("parameter_server_count")),
                {"TensorflowConfiguration"},
                [],
                deprecated,
                _parameter_server_nodes(nodes, kwargs.get("worker_count")),
            )
        raise DistributionUnresolvable(f"unknown distributed_backend {backend!r}")
    for name, node in (("node_count", nodes), ("process_count_per_node", per_node)):
        if node is not None and b.literal_value(node) != 1:
            # v1 refused this too (no backend for a multi-process job); do not guess one.
            raise DistributionUnresolvable(f"{name} is not 1 but no distributed_training/backend is given")
    return DistributionPlan(None, set(), [], deprecated)
