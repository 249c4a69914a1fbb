"""RunConfiguration and its distribution/docker sections (v1 ``azureml.core.runconfig`` names).

A RunConfiguration is what the compiler reads: script or command, arguments, target,
framework/communicator, node and process counts, environment, docker settings, runtime
environment variables and data bindings. The attribute names are the v1 ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import RunConfigurationException
from .environment import (
    _DEFAULT_SHM_SIZE,
    DEFAULT_CPU_IMAGE,
    DEFAULT_GPU_IMAGE,
    CondaDependencies,
    Environment,
)
from .keywords import explain_call_errors

__all__ = [
    "DEFAULT_CPU_IMAGE",
    "DEFAULT_GPU_IMAGE",
    "SUPPORTED_PYTORCH_BACKENDS",
    "AmlComputeConfiguration",
    "DockerConfiguration",
    "MpiConfiguration",
    "PyTorchConfiguration",
    "RunConfiguration",
    "TensorflowConfiguration",
]

SUPPORTED_PYTORCH_BACKENDS = ["nccl", "gloo"]


class MpiConfiguration:
    """MPI job: ``node_count`` nodes with ``process_count_per_node`` ranks each.

    As in v1 the counts are not checked here; a submission refuses counts below one.
    """

    @explain_call_errors
    def __init__(self, process_count_per_node: int = 1, node_count: int = 1) -> None:
        self.process_count_per_node = process_count_per_node
        self.node_count = node_count

    def __repr__(self) -> str:
        return f"MpiConfiguration(process_count_per_node={self.process_count_per_node}, node_count={self.node_count})"


class PyTorchConfiguration:
    """torch.distributed job: ``process_count`` is the total number of processes (None = one per node).

    The backend is stored lower-case, as v1 did; counts are checked at submission.
    """

    @explain_call_errors
    def __init__(
        self, communication_backend: str = "Nccl", process_count: int | None = None, node_count: int = 1
    ) -> None:
        if (
            not isinstance(communication_backend, str)
            or communication_backend.lower() not in SUPPORTED_PYTORCH_BACKENDS
        ):
            raise RunConfigurationException(
                f"{communication_backend!r} is not a supported backend: PyTorchConfiguration communication_backend "
                f"must be 'Nccl' or 'Gloo'."
            )
        self.communication_backend = communication_backend.lower()
        self.process_count = process_count
        self.node_count = node_count

    def __repr__(self) -> str:
        return (
            f"PyTorchConfiguration(communication_backend={self.communication_backend!r}, "
            f"process_count={self.process_count}, node_count={self.node_count})"
        )


class TensorflowConfiguration:
    """Parameter-server TensorFlow job (TF_CONFIG): workers plus parameter servers (checked at submission)."""

    @explain_call_errors
    def __init__(self, worker_count: int = 1, parameter_server_count: int = 1) -> None:
        self.worker_count = worker_count
        self.parameter_server_count = parameter_server_count

    def __repr__(self) -> str:
        return (
            f"TensorflowConfiguration(worker_count={self.worker_count}, "
            f"parameter_server_count={self.parameter_server_count})"
        )


class DockerConfiguration:
    """Whether the run uses a container, with its shared-memory size and extra runtime arguments."""

    @explain_call_errors
    def __init__(
        self,
        use_docker: bool = False,
        shared_volumes: bool = True,
        arguments: list[str] = [],  # noqa: B006 - v1 default, copied below, never mutated
        shm_size: str | None = _DEFAULT_SHM_SIZE,
    ) -> None:
        self.use_docker = bool(use_docker)
        self.shared_volumes = bool(shared_volumes)
        self.arguments = list(arguments or [])
        self.shm_size = shm_size

    def __repr__(self) -> str:
        return (
            f"DockerConfiguration(use_docker={self.use_docker}, shared_volumes={self.shared_volumes}, "
            f"arguments={self.arguments!r}, shm_size={self.shm_size!r})"
        )


class AmlComputeConfiguration:
    """v1's run-based compute request (``vm_size``/``vm_priority`` without a compute target)."""

    def __init__(self) -> None:
        self.vm_size: str | None = None
        self.vm_priority: str | None = None
        self.retain_cluster = False
        self.name: str | None = None
        self._cluster_max_node_count = 1


class RunConfiguration:
    """Everything a run needs besides the source directory (v1 signature and attribute names)."""

    @explain_call_errors
    def __init__(
        self,
        script: str | None = None,
        arguments: list[Any] | None = None,
        framework: str | None = None,
        communicator: str | None = None,
        conda_dependencies: CondaDependencies | None = None,
        _history_enabled: bool | None = None,
        _path: str | None = None,
        _name: str | None = None,
        command: list[Any] | str | None = None,
    ) -> None:
        self.script = script
        self.arguments: list[Any] = list(arguments or [])
        self.command: list[Any] | str | None = command or None
        self._target: Any = "local"
        self.framework = framework or "Python"
        self.communicator = communicator or "None"
        self.max_run_duration_seconds: int | None = None
        self.node_count = 1
        self.priority: int | None = None
        self.environment = Environment(_name or "default-environment")
        if conda_dependencies is not None:
            self.environment.python.conda_dependencies = conda_dependencies
        self.history_enabled = True if _history_enabled is None else bool(_history_enabled)
        self._docker = DockerConfiguration()
        # Whether anything chose the container setting (see ``docker_given``).
        self._docker_given = False
        self.tensorflow = TensorflowConfiguration()
        self.mpi = MpiConfiguration()
        self.pytorch = PyTorchConfiguration()
        self.data_references: dict[str, Any] = {}
        self.data: dict[str, Any] = {}
        self.output_data: dict[str, Any] = {}
        self.source_directory_data_store: Any = None
        self.amlcompute = AmlComputeConfiguration()
        self.credential_passthrough = False
        self._environment_variables: dict[str, str] = {}
        self.services: dict[str, Any] = {}
        self._path = _path
        self._name = _name

    @property
    def target(self) -> Any:
        """A profile name / ``"local"`` string, or a ComputeTarget-like object with ``.name``."""
        return self._target

    @target.setter
    def target(self, value: Any) -> None:
        self._target = value

    @property
    def docker(self) -> DockerConfiguration:
        return self._docker

    @docker.setter
    def docker(self, value: DockerConfiguration) -> None:
        self._set_docker(value, given=True)

    def _set_docker(self, value: DockerConfiguration, *, given: bool) -> None:
        self._docker = value
        self._docker_given = given

    @property
    def docker_given(self) -> bool:
        """True when a DockerConfiguration was chosen for this run (by the user or an estimator's
        ``use_docker``), False while the default stands; the default means "the target's usual"."""
        return self._docker_given

    @property
    def environment_variables(self) -> dict[str, str]:
        """Variables set in the job's environment at run time."""
        return self._environment_variables

    @environment_variables.setter
    def environment_variables(self, value: Mapping[str, Any]) -> None:
        self._environment_variables = {str(key): str(val) for key, val in dict(value).items()}

    def __repr__(self) -> str:
        return (
            f"RunConfiguration(script={self.script!r}, target={self.target!r}, "
            f"framework={self.framework!r}, communicator={self.communicator!r}, "
            f"node_count={self.node_count})"
        )
