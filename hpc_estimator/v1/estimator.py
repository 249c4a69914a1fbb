"""Estimator and the shared estimator machinery (v1 ``azureml.train.estimator``).

Constructing an estimator validates the v1 parameter combinations (raising the v1 exception
classes, in v1's order) and fills a ``RunConfiguration`` the compiler reads. No I/O happens beyond
reading the conda / pip requirement files the caller names.

Where v1 refused something only because of Azure (``node_count > 1`` needing an AmlCompute
object), any Slurm target is accepted: a profile name, ``"local"`` or a ``ComputeTarget``.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from typing import Any

from ..errors import ComputeTargetException, TrainingException, UserErrorException
from .compute import is_target
from .data import DataPath
from .deprecation import warn_at_caller, warn_deprecated
from .distributed import Gloo, Mpi, Nccl, ParameterServer, _DistributedTraining
from .environment import (
    AZUREML_DEFAULTS,
    DEFAULT_CPU_IMAGE,
    DEFAULT_GPU_IMAGE,
    CondaDependencies,
    ContainerRegistry,
    Environment,
    package_name,
    read_conda_file,
    read_requirements,
)
from .runconfig import (
    DockerConfiguration,
    MpiConfiguration,
    PyTorchConfiguration,
    RunConfiguration,
    TensorflowConfiguration,
)
from .script_params import add_resume_from, register_inputs, script_params_to_arguments

AMLCOMPUTE_TARGET = "amlcompute"
VM_PRIORITIES = ("dedicated", "lowpriority")

# Runconfig-level distribution objects an estimator kind accepts (v1 used them as-is).
_RUNCONFIG_OBJECTS: dict[type, tuple[str, ...]] = {
    MpiConfiguration: ("estimator", "pytorch", "tensorflow", "chainer"),
    PyTorchConfiguration: ("estimator", "pytorch"),
    TensorflowConfiguration: ("estimator", "tensorflow"),
}

# Parameters that may not accompany environment_definition, in v1's order.
_ENVIRONMENT_CONFLICTS = (
    "pip_packages",
    "pip_requirements_file",
    "conda_packages",
    "conda_dependencies_file",
    "custom_docker_image",
    "image_registry_details",
    "use_gpu",
    "user_managed",
    "shm_size",
    "environment_variables",
)


def collect_params(frame_locals: Mapping[str, Any]) -> dict[str, Any]:
    """The constructor's own parameters from ``locals()`` (drops ``self`` and ``__class__``)."""
    return {key: value for key, value in frame_locals.items() if key != "self" and not key.startswith("__")}


class MMLBaseEstimator:
    """Base of all estimators: a source directory plus a run configuration (v1 signature)."""

    def __init__(
        self, source_directory: str, *, compute_target: Any, estimator_config: RunConfiguration | None = None
    ) -> None:
        if isinstance(source_directory, os.PathLike):
            source_directory = os.fspath(source_directory)
        if not isinstance(source_directory, str) or not source_directory:
            raise TrainingException(
                f"source_directory must be a directory path (str), got {source_directory!r}. "
                f"Pass the folder holding your training script, e.g. source_directory='./src'."
            )
        self._source_directory = source_directory
        self._estimator_config = estimator_config if estimator_config is not None else RunConfiguration()
        self._compute_target = compute_target
        if compute_target is not None:
            self._estimator_config.target = compute_target

    @property
    def source_directory(self) -> str:
        return self._source_directory

    @property
    def run_config(self) -> RunConfiguration:
        return self._estimator_config

    @property
    def conda_dependencies(self) -> CondaDependencies:
        return self._estimator_config.environment.python.conda_dependencies


def _int_param(params: Mapping[str, Any], name: str) -> int:
    value = params[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise TrainingException(f"{name} must be an integer, got {value!r}.")
    return value


def _validate_packages(params: dict[str, Any]) -> None:
    if params["conda_dependencies_file_path"] is not None:
        warn_deprecated("conda_dependencies_file_path is deprecated; use conda_dependencies_file.")
    if params["pip_requirements_file_path"] is not None:
        warn_deprecated("pip_requirements_file_path is deprecated; use pip_requirements_file.")
    # The new parameter wins when both are given (v1).
    params["conda_dependencies_file"] = params["conda_dependencies_file"] or params["conda_dependencies_file_path"]
    params["pip_requirements_file"] = params["pip_requirements_file"] or params["pip_requirements_file_path"]
    if params["conda_dependencies_file"] and (
        params["pip_packages"] or params["conda_packages"] or params["pip_requirements_file"]
    ):
        raise TrainingException(
            "conda_dependencies_file cannot be combined with pip_packages, conda_packages or "
            "pip_requirements_file: the conda file replaces them. Move those packages into the conda "
            "file (its 'pip:' list) or drop conda_dependencies_file."
        )
    if params["user_managed"] and (
        params["pip_packages"]
        or params["conda_packages"]
        or params["conda_dependencies_file"]
        or params["pip_requirements_file"]
    ):
        raise UserErrorException(
            "user_managed=True means the image already holds every package, so pip_packages, "
            "conda_packages, conda_dependencies_file and pip_requirements_file cannot be given. "
            "Drop user_managed or the package parameters."
        )


def _validate_docker(params: dict[str, Any]) -> None:
    if not params["use_docker"]:
        warn_deprecated(
            "use_docker=False is deprecated; use environment_definition with "
            "ScriptRunConfig(docker_runtime_config=DockerConfiguration(use_docker=False))."
        )
        if params["custom_docker_image"] or params["custom_docker_base_image"]:
            raise TrainingException(
                "use_docker=False cannot be combined with custom_docker_image: the image is only used "
                "when the run is containerised. Set use_docker=True or drop custom_docker_image."
            )


def _validate_environment_definition(params: dict[str, Any]) -> None:
    environment = params["environment_definition"]
    if environment is None:
        return
    if not isinstance(environment, Environment):
        raise TrainingException(
            f"environment_definition must be an Environment, got {type(environment).__name__}. "
            f"Create one with Environment(name) or Environment.from_conda_specification(...)."
        )
    given = [name for name in _ENVIRONMENT_CONFLICTS if params.get(name)]
    if params.get("custom_docker_base_image"):
        given.append("custom_docker_base_image")
    if given:
        raise TrainingException(
            f"environment_definition cannot be combined with {', '.join(given)}: the Environment "
            f"already defines them. Set them on the Environment instead (e.g. env.docker.base_image, "
            f"env.python.conda_dependencies) or, for environment_variables, on "
            f"run_config.environment_variables after construction."
        )


def _validate_distribution(params: dict[str, Any], kind: str, backends: list[str] | None, display_name: str) -> None:
    node_count = _int_param(params, "node_count")
    per_node = _int_param(params, "process_count_per_node")
    if node_count < 1:
        raise TrainingException(f"node_count must be >= 1, got {node_count}. Use node_count=1 for one node.")
    if per_node < 1:
        raise TrainingException(f"process_count_per_node must be >= 1, got {per_node}. Use 1 for one process per node.")
    backend = params["distributed_backend"]
    training = params["distributed_training"]
    if backend is not None:
        warn_deprecated(
            "distributed_backend is deprecated; use distributed_training (Mpi(), Gloo(), Nccl() or ParameterServer())."
        )
        supported = backends or []
        if not isinstance(backend, str) or backend.lower() not in supported:
            raise TrainingException(
                f"distributed_backend={backend!r} is not supported by {display_name}; supported: "
                f"{supported}. Use one of those or pass a distributed_training object."
            )
        if training is not None and kind in ("estimator", "chainer") and not isinstance(training, MpiConfiguration):
            raise TrainingException(
                f"distributed_backend='mpi' cannot be combined with distributed_training="
                f"{type(training).__name__}() on {display_name}: backend 'mpi' only pairs with an "
                f"MpiConfiguration. Supported backend: 'mpi'. Drop distributed_backend."
            )
    if per_node != 1:
        warn_deprecated(
            "process_count_per_node is deprecated; put it in Mpi(process_count_per_node=...) "
            "(MpiConfiguration / PyTorchConfiguration(process_count=...) with ScriptRunConfig)."
        )
    if training is not None:
        if isinstance(training, _DistributedTraining):
            training.check_supported(kind)
        elif type(training) in _RUNCONFIG_OBJECTS:
            if kind not in _RUNCONFIG_OBJECTS[type(training)]:
                raise TrainingException(
                    f"distributed_training={type(training).__name__} is not supported by {display_name}. "
                    f"Use a distribution object this estimator supports."
                )
        else:
            raise TrainingException(
                f"distributed_training must be Mpi, Gloo, Nccl, ParameterServer or a MpiConfiguration / "
                f"PyTorchConfiguration / TensorflowConfiguration, got {type(training).__name__}."
            )
    if backend is None and training is None and (node_count > 1 or per_node > 1):
        raise TrainingException(
            f"node_count={node_count} and process_count_per_node={per_node} need a distribution method: "
            f"pass distributed_training=Mpi(process_count_per_node=...) (or Gloo()/Nccl()/"
            f"ParameterServer() where supported)."
        )


def _validate_target(params: dict[str, Any]) -> None:
    target = params["compute_target"]
    if target is None and not params["vm_size"]:
        raise TrainingException(
            "compute_target is required (or vm_size): pass compute_target='<cluster profile name>', "
            "'local', or a ComputeTarget."
        )
    if target is not None and not is_target(target):
        raise ComputeTargetException(
            f"compute_target must be a cluster profile name, 'local' or a ComputeTarget, got "
            f"{type(target).__name__} {target!r}."
        )
    priority = params["vm_priority"]
    if priority is not None and priority not in VM_PRIORITIES:
        raise TrainingException(f"vm_priority must be one of {list(VM_PRIORITIES)}, got {priority!r}.")
    if params["custom_docker_base_image"]:
        warn_deprecated("custom_docker_base_image is deprecated; use custom_docker_image.")
        if params["custom_docker_image"]:
            raise TrainingException(
                "custom_docker_base_image and custom_docker_image are both given; they are the same "
                "setting. Keep only custom_docker_image."
            )


def validate_estimator_params(params: dict[str, Any], kind: str, backends: list[str] | None, display_name: str) -> None:
    """All v1 constructor checks, in v1's order. ``params`` is normalised in place."""
    _validate_packages(params)
    _validate_docker(params)
    _validate_environment_definition(params)
    _validate_distribution(params, kind, backends, display_name)
    _validate_target(params)
    variables = params["environment_variables"]
    if variables is not None and not isinstance(variables, Mapping):
        raise TrainingException(
            f"environment_variables must be a dict of name -> value, got {type(variables).__name__}."
        )
    duration = params["max_run_duration_seconds"]
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int) or duration < 1):
        raise TrainingException(f"max_run_duration_seconds must be a positive integer, got {duration!r}.")


def _resolve_file(path: str, source_directory: str) -> str:
    """v1 reads these files relative to source_directory; fall back to the current directory."""
    path = os.fspath(path)
    if os.path.isabs(path):
        return path
    in_source = os.path.join(source_directory, path)
    return in_source if os.path.exists(in_source) or not os.path.exists(path) else path


def build_environment(params: Mapping[str, Any], kind: str, scenario: Mapping[str, Any] | None = None) -> Environment:
    """The Environment an estimator runs in (behaviour reference §4, full-build mode)."""
    if params["environment_definition"] is not None:
        return params["environment_definition"]
    source_directory = os.fspath(params["source_directory"])
    env = Environment(f"{kind}-environment")
    conda_file = params["conda_dependencies_file"]
    if conda_file:
        deps = CondaDependencies(
            _underlying_structure=read_conda_file(
                _resolve_file(conda_file, source_directory), "conda_dependencies_file"
            )
        )
    else:
        if scenario is not None and not params["user_managed"]:
            deps = CondaDependencies(
                _underlying_structure={
                    "name": "project_environment",
                    "dependencies": [*scenario["conda_packages"], {"pip": list(scenario["pip_packages"])}],
                    "channels": ["conda-forge"],
                }
            )
        else:
            deps = CondaDependencies()
        framework_names = {package_name(p) for p in deps.pip_packages if package_name(p) != "azureml-defaults"}
        user_pip = list(params["pip_packages"] or [])
        if params["pip_requirements_file"]:
            user_pip += read_requirements(
                _resolve_file(params["pip_requirements_file"], source_directory), "pip_requirements_file"
            )
        for package in user_pip:
            if package_name(package) in framework_names:
                warn_at_caller(
                    f"pip package {package!r} replaces the framework's pinned {package_name(package)} version."
                )
            deps.add_pip_package(package)
        # azureml-defaults leads the pip list, as v1 forced it to the front.
        deps.remove_pip_package(AZUREML_DEFAULTS)
        pip_list = deps._pip_list(create=True)
        assert pip_list is not None
        pip_list.insert(len(deps.pip_options), AZUREML_DEFAULTS)
        for package in params["conda_packages"] or []:
            deps.add_conda_package(package)
    env.python.conda_dependencies = deps
    env.python.user_managed_dependencies = bool(params["user_managed"])
    use_gpu = bool(params.get("use_gpu"))
    custom_image = params["custom_docker_image"] or params.get("custom_docker_base_image")
    if custom_image:
        env.docker.base_image = custom_image
    elif scenario is not None:
        env.docker.base_image = scenario["base_image"]
    else:
        env.docker.base_image = DEFAULT_GPU_IMAGE if use_gpu else DEFAULT_CPU_IMAGE
    registry = params["image_registry_details"]
    if registry is not None:
        if not isinstance(registry, ContainerRegistry):
            raise TrainingException(
                f"image_registry_details must be a ContainerRegistry, got {type(registry).__name__}."
            )
        env.docker.base_image_registry = registry
    # gpu_support is what makes the cluster request GPUs and start the container with them.
    env.docker.gpu_support = use_gpu
    env.docker._enabled = bool(params["use_docker"])
    if scenario is not None:
        env.framework_scenario = dict(scenario)
    return env


def apply_distribution(rc: RunConfiguration, params: Mapping[str, Any]) -> None:
    """Fill framework/communicator and the mpi/pytorch/tensorflow sections (reference §3 table)."""
    node_count = params["node_count"]
    per_node = params["process_count_per_node"]
    backend = params["distributed_backend"].lower() if params["distributed_backend"] else None
    training = params["distributed_training"]
    rc.node_count = node_count
    rc.mpi = MpiConfiguration(per_node, node_count)
    rc.framework, rc.communicator = "Python", "None"
    if isinstance(training, MpiConfiguration):
        rc.framework, rc.communicator, rc.mpi = "Python", "IntelMpi", training
    elif isinstance(training, Mpi):
        rc.framework, rc.communicator = "python", "Mpi"
        rc.mpi = MpiConfiguration(training.process_count_per_node, node_count)
    elif isinstance(training, (Gloo, Nccl)):
        name = type(training).__name__
        rc.framework, rc.communicator = "pytorch", name
        rc.pytorch = PyTorchConfiguration(name, node_count * per_node, node_count)
    elif isinstance(training, ParameterServer):
        rc.framework, rc.communicator = "tensorflow", "ParameterServer"
        rc.tensorflow = TensorflowConfiguration(training.worker_count, training.parameter_server_count)
    elif isinstance(training, PyTorchConfiguration):
        rc.framework, rc.communicator, rc.pytorch = "PyTorch", training.communication_backend, training
    elif isinstance(training, TensorflowConfiguration):
        rc.framework, rc.communicator, rc.tensorflow = "TensorFlow", "ParameterServer", training
    elif backend == "mpi":
        rc.framework, rc.communicator = "Python", "IntelMpi"
    elif backend in ("gloo", "nccl"):
        rc.framework, rc.communicator = "PyTorch", backend
        rc.pytorch = PyTorchConfiguration(backend.capitalize(), node_count * per_node, node_count)
    elif backend == "ps":
        rc.framework, rc.communicator = "TensorFlow", "ParameterServer"
        rc.tensorflow = TensorflowConfiguration(params["worker_count"], params["parameter_server_count"])


def build_run_config(
    params: Mapping[str, Any], kind: str, scenario: Mapping[str, Any] | None = None
) -> RunConfiguration:
    """The RunConfiguration for validated estimator ``params``."""
    rc = RunConfiguration()
    rc.script = params["entry_script"]
    rc.environment = build_environment(params, kind, scenario)
    apply_distribution(rc, params)
    target = params["compute_target"]
    if params["vm_size"]:
        rc.amlcompute.vm_size = params["vm_size"]
        rc.amlcompute.vm_priority = params["vm_priority"] or "dedicated"
        rc.amlcompute._cluster_max_node_count = params["node_count"]
        if target is None:
            warn_deprecated(
                "vm_size without compute_target (run-based compute) is deprecated; pass "
                "compute_target='<cluster profile>' (vm_size then selects the node type)."
            )
    rc.target = target if target is not None else AMLCOMPUTE_TARGET
    rc.docker = DockerConfiguration(use_docker=params["use_docker"], shm_size=params["shm_size"])
    if params["environment_variables"]:
        rc.environment_variables = params["environment_variables"]
    rc.max_run_duration_seconds = params["max_run_duration_seconds"]
    rc.source_directory_data_store = params["source_directory_data_store"]
    rc.arguments = script_params_to_arguments(params["script_params"], rc)
    register_inputs(params["inputs"], rc)
    add_resume_from(params["resume_from"], rc)
    return rc


class _EstimatorBase(MMLBaseEstimator):
    """Shared constructor flow: validate, build the run configuration, keep the private flags."""

    _KIND = "estimator"
    _SUPPORTED_BACKENDS: list[str] | None = ["mpi"]

    def _setup(self, params: dict[str, Any]) -> None:
        name = type(self).__name__
        warn_deprecated(
            f"{name} is deprecated; use ScriptRunConfig with an Environment "
            f"(see 'Migrating from Estimators to ScriptRunConfig', or run 'hpcest migrate')."
        )
        for key, default in (
            ("worker_count", 1),
            ("parameter_server_count", 1),
            ("node_count", 1),
            ("process_count_per_node", 1),
            ("distributed_backend", None),
            ("distributed_training", None),
            ("use_gpu", False),
            ("custom_docker_base_image", None),
            ("source_directory_data_store", None),
        ):
            params.setdefault(key, default)
        validate_estimator_params(params, self._KIND, self._SUPPORTED_BACKENDS, name)
        scenario = self._resolve_scenario(params)
        rc = build_run_config(params, self._KIND, scenario)
        MMLBaseEstimator.__init__(
            self, params["source_directory"], compute_target=params["compute_target"], estimator_config=rc
        )
        # The constructor arguments as given (after alias normalisation): the compiler needs to
        # tell the user's own image and packages from the framework scenario's, and submit-time
        # overrides rebuild from them.
        self._constructor_params: dict[str, Any] = dict(params)
        self._disable_validation = params.get("_disable_validation", True)
        self._show_lint_warnings = params.get("_show_lint_warnings", False)
        self._show_package_warnings = params.get("_show_package_warnings", False)
        self._after_build(rc, params)

    def _submit_with_overrides(
        self,
        script_params: Mapping[Any, Any] | None = None,
        inputs: list[Any] | None = None,
        source_directory_data_store: Any = None,
    ) -> _EstimatorBase:
        """A copy with v1's submit-time overrides (``experiment.submit(est, script_params=...)``).

        Override script_params are merged over the constructor's dict (same key: new value in
        place; new key: appended). v1 instead re-paired the argument list two by two, which
        shifted every pair after a bare flag; merging the dicts avoids that bug.
        """
        rc = copy.copy(self._estimator_config)
        rc.arguments = list(rc.arguments)
        rc.data_references = dict(rc.data_references)
        rc.data = dict(rc.data)
        params = dict(self._constructor_params)
        if script_params is not None:
            if not isinstance(script_params, Mapping):
                raise TrainingException(f"submit script_params must be a dict, got {type(script_params).__name__}.")
            merged = dict(params.get("script_params") or {})
            merged.update(script_params)
            params["script_params"] = merged
            rc.arguments = script_params_to_arguments(merged, rc)
            add_resume_from(params.get("resume_from"), rc)
        if inputs is not None:
            register_inputs(inputs, rc)
            params["inputs"] = [*(params.get("inputs") or []), *inputs]
        if source_directory_data_store is not None:
            rc.source_directory_data_store = source_directory_data_store
            params["source_directory_data_store"] = source_directory_data_store
        clone = copy.copy(self)
        clone._estimator_config = rc
        clone._constructor_params = params
        return clone

    def _resolve_scenario(self, params: dict[str, Any]) -> Mapping[str, Any] | None:
        """Framework estimators return their version's scenario (and validate the version)."""
        return None

    def _after_build(self, rc: RunConfiguration, params: Mapping[str, Any]) -> None:
        """Hook for framework-specific settings on the finished run configuration."""


class Estimator(_EstimatorBase):
    """A generic training job (v1 ``azureml.train.estimator.Estimator``; deprecated there)."""

    _KIND = "estimator"
    _SUPPORTED_BACKENDS = ["mpi"]

    def __init__(
        self,
        source_directory: str,
        *,
        compute_target: Any = None,
        vm_size: str | None = None,
        vm_priority: str | None = None,
        entry_script: str | None = None,
        script_params: dict[Any, Any] | None = None,
        node_count: int = 1,
        process_count_per_node: int = 1,
        distributed_backend: str | None = None,
        distributed_training: Any = None,
        use_gpu: bool = False,
        use_docker: bool = True,
        custom_docker_base_image: str | None = None,
        custom_docker_image: str | None = None,
        image_registry_details: ContainerRegistry | None = None,
        user_managed: bool = False,
        conda_packages: list[str] | None = None,
        pip_packages: list[str] | None = None,
        conda_dependencies_file_path: str | None = None,
        pip_requirements_file_path: str | None = None,
        conda_dependencies_file: str | None = None,
        pip_requirements_file: str | None = None,
        environment_variables: dict[str, str] | None = None,
        environment_definition: Environment | None = None,
        inputs: list[Any] | None = None,
        source_directory_data_store: Any = None,
        shm_size: str | None = None,
        resume_from: DataPath | None = None,
        max_run_duration_seconds: int | None = None,
        _disable_validation: bool = True,
        _show_lint_warnings: bool = False,
        _show_package_warnings: bool = False,
    ) -> None:
        self._setup(collect_params(locals()))
