"""The estimator-era distribution objects: Mpi, Gloo, Nccl, ParameterServer (all deprecated in v1).

They only carry counts; the estimator turns them into the RunConfiguration sections. Which
estimator accepts which object is v1's table, keyed by the lower-cased class name.
"""

from __future__ import annotations

from ..errors import TrainingException
from .deprecation import warn_deprecated
from .keywords import explain_call_errors

# v1 _DistributedTraining compatibility: object class (lower case) -> estimator classes (lower case).
COMPATIBLE_ESTIMATORS: dict[str, tuple[str, ...]] = {
    "mpi": ("pytorch", "tensorflow", "chainer", "estimator", "lightgbm"),
    "parameterserver": ("tensorflow", "estimator"),
    "gloo": ("pytorch", "estimator"),
    "nccl": ("pytorch", "estimator"),
}


def _count(value: object, parameter: str, owner: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise TrainingException(f"{owner} {parameter} must be an integer >= {minimum}, got {value!r}.")
    return value


class _DistributedTraining:
    """Base of the distribution objects; ``check_supported`` applies v1's compatibility table."""

    def check_supported(self, estimator_name: str) -> None:
        kind = type(self).__name__.lower()
        if estimator_name.lower() not in COMPATIBLE_ESTIMATORS.get(kind, ()):
            raise TrainingException(
                f"distributed_training={type(self).__name__}() is not supported by {estimator_name}. "
                f"{type(self).__name__} works with: {', '.join(COMPATIBLE_ESTIMATORS.get(kind, ()))}. "
                f"Pick a distributed_training object your estimator supports."
            )


class Mpi(_DistributedTraining):
    """MPI (e.g. Horovod) with ``process_count_per_node`` ranks per node."""

    @explain_call_errors
    def __init__(self, process_count_per_node: int = 1) -> None:
        warn_deprecated(
            "Mpi is deprecated; use azureml.core.runconfig.MpiConfiguration "
            "(hpc_estimator.MpiConfiguration) with ScriptRunConfig."
        )
        self.process_count_per_node = _count(process_count_per_node, "process_count_per_node", "Mpi")

    def __repr__(self) -> str:
        return f"Mpi(process_count_per_node={self.process_count_per_node})"


class Gloo(_DistributedTraining):
    """torch.distributed with the Gloo backend."""

    @explain_call_errors
    def __init__(self) -> None:
        warn_deprecated("Gloo is deprecated; use PyTorchConfiguration(communication_backend='Gloo').")

    def __repr__(self) -> str:
        return "Gloo()"


class Nccl(_DistributedTraining):
    """torch.distributed with the NCCL backend."""

    @explain_call_errors
    def __init__(self) -> None:
        warn_deprecated("Nccl is deprecated; use PyTorchConfiguration(communication_backend='Nccl').")

    def __repr__(self) -> str:
        return "Nccl()"


class ParameterServer(_DistributedTraining):
    """TensorFlow parameter-server training with the given worker and parameter-server counts."""

    @explain_call_errors
    def __init__(self, worker_count: int = 1, parameter_server_count: int = 1) -> None:
        warn_deprecated(
            "ParameterServer is deprecated; use TensorflowConfiguration(worker_count=..., parameter_server_count=...)."
        )
        self.worker_count = _count(worker_count, "worker_count", "ParameterServer")
        self.parameter_server_count = _count(
            parameter_server_count, "parameter_server_count", "ParameterServer", minimum=0
        )

    def __repr__(self) -> str:
        return (
            f"ParameterServer(worker_count={self.worker_count}, parameter_server_count={self.parameter_server_count})"
        )
