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
    BASE_SPEC_PYTHON_VERSION,
    DEFAULT_CPU_IMAGE,
    DEFAULT_GPU_IMAGE,
    CondaDependencies,
    ContainerRegistry,
    Environment,
    package_name,
    read_conda_file,
    read_requirements,
)
from .keywords import explain_call_errors
from .resolve import resolve_run_configuration
from .resolved import ResolvedRun, ScriptChecks
from .runconfig import (
    DockerConfiguration,
    MpiConfiguration,
    PyTorchConfiguration,
    RunConfiguration,
    TensorflowConfiguration,
)
from .script_params import add_resume_from, check_resume_from, register_inputs, script_params_to_arguments

AMLCOMPUTE_TARGET = "amlcompute"

# Runconfig-level distribution objects v1 accepted as distributed_training. Only MpiConfiguration
# (any estimator) and TensorflowConfiguration (TensorFlow) are used; v1 ignored the others.
_RUNCONFIG_OBJECTS = (MpiConfiguration, PyTorchConfiguration, TensorflowConfiguration)

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


def _deprecations(params: dict[str, Any]) -> None:
    """v1's warnings for the deprecated file parameters and process_count_per_node (its first step)."""
    if params["conda_dependencies_file_path"] is not None:
        warn_deprecated("conda_dependencies_file_path is deprecated; use conda_dependencies_file.")
    if params["pip_requirements_file_path"] is not None:
        warn_deprecated("pip_requirements_file_path is deprecated; use pip_requirements_file.")
    # The new parameter wins when both are given (v1).
    params["conda_dependencies_file"] = params["conda_dependencies_file"] or params["conda_dependencies_file_path"]
    params["pip_requirements_file"] = params["pip_requirements_file"] or params["pip_requirements_file_path"]
    if params["process_count_per_node"] != 1:
        warn_deprecated(
            "process_count_per_node is deprecated; put it in Mpi(process_count_per_node=...) "
            "(MpiConfiguration / PyTorchConfiguration(process_count=...) with ScriptRunConfig)."
        )
        if params["distributed_backend"] is None:
            warn_at_caller(
                "process_count_per_node is only used together with distributed_backend (v1); with a "
                "distributed_training object set the count on that object, e.g. Mpi(process_count_per_node=...)."
            )


def _validate_docker(params: dict[str, Any]) -> None:
    if params["use_docker"] is False:
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
    if given:
        raise TrainingException(
            f"environment_definition cannot be combined with {', '.join(given)}: the Environment "
            f"already defines them. Set them on the Environment instead (e.g. env.docker.base_image, "
            f"env.python.conda_dependencies) or, for environment_variables, on "
            f"run_config.environment_variables after construction."
        )


def _validate_conda_file(params: dict[str, Any]) -> None:
    if params["conda_dependencies_file"] and (
        params["pip_packages"] or params["conda_packages"] or params["pip_requirements_file"]
    ):
        raise TrainingException(
            "conda_dependencies_file cannot be combined with pip_packages, conda_packages or "
            "pip_requirements_file: the conda file replaces them. Move those packages into the conda "
            "file (its 'pip:' list) or drop conda_dependencies_file."
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
        if supported == ["mpi"] and training is not None and not isinstance(training, MpiConfiguration):
            raise TrainingException(
                f"distributed_backend='mpi' cannot be combined with distributed_training="
                f"{type(training).__name__}() on {display_name}: backend 'mpi' only pairs with an "
                f"MpiConfiguration. Supported backend: 'mpi'. Drop distributed_backend."
            )
    if isinstance(training, _DistributedTraining):
        training.check_supported(kind)
    elif training is not None and not isinstance(training, _RUNCONFIG_OBJECTS):
        # v1 silently ignored anything else; a value that is no distribution at all is a mistake.
        raise TrainingException(
            f"distributed_training must be Mpi, Gloo, Nccl, ParameterServer or a MpiConfiguration / "
            f"PyTorchConfiguration / TensorflowConfiguration, got {type(training).__name__}."
        )


def _validate_user_managed(params: dict[str, Any]) -> None:
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


def _validate_process_counts(params: dict[str, Any]) -> None:
    node_count, per_node = params["node_count"], params["process_count_per_node"]
    if params["distributed_backend"] is None and params["distributed_training"] is None and (
        node_count > 1 or per_node > 1
    ):
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
    if params["custom_docker_base_image"]:
        if params["custom_docker_image"]:
            raise TrainingException(
                "custom_docker_base_image and custom_docker_image are both given; they are the same "
                "setting. Keep only custom_docker_image."
            )
        warn_deprecated("custom_docker_base_image is deprecated; use custom_docker_image.")


def _validate_rest(params: dict[str, Any]) -> None:
    """hpcest's own type checks, after v1's (v1 failed later on these, at submission)."""
    variables = params["environment_variables"]
    if variables is not None and not isinstance(variables, Mapping):
        raise TrainingException(
            f"environment_variables must be a dict of name -> value, got {type(variables).__name__}."
        )
    duration = params["max_run_duration_seconds"]
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int)):
        raise TrainingException(f"max_run_duration_seconds must be an integer number of seconds, got {duration!r}.")


def validate_estimator_params(params: dict[str, Any], kind: str, backends: list[str] | None, display_name: str) -> None:
    """All v1 constructor checks, in v1's order (the first failing rule raises). ``params`` is
    normalised in place."""
    _deprecations(params)
    _validate_docker(params)
    _validate_environment_definition(params)
    _validate_conda_file(params)
    _validate_distribution(params, kind, backends, display_name)
    _validate_user_managed(params)
    _validate_process_counts(params)
    _validate_target(params)
    _validate_rest(params)


def _resolve_file(path: str, source_directory: str) -> str:
    """v1 reads these files relative to source_directory; fall back to the current directory."""
    path = os.fspath(path)
    if os.path.isabs(path):
        return path
    in_source = os.path.join(source_directory, path)
    return in_source if os.path.exists(in_source) or not os.path.exists(path) else path


def _user_conda_dependencies(params: Mapping[str, Any]) -> CondaDependencies:
    """v1's ``_create_conda_dependencies``: the default spec plus the user's packages, or the conda file."""
    source_directory = os.fspath(params["source_directory"])
    conda_file = params["conda_dependencies_file"]
    if conda_file:
        path = _resolve_file(conda_file, source_directory)
        return CondaDependencies(_underlying_structure=read_conda_file(path, "conda_dependencies_file"))
    deps = CondaDependencies()
    pip = list(params["pip_packages"] or [])
    if params["pip_requirements_file"]:
        lines = read_requirements(
            _resolve_file(params["pip_requirements_file"], source_directory), "pip_requirements_file"
        )
        pip = CondaDependencies.merge_requirements([*lines, *(p for p in pip if p not in lines)])
    if pip:
        # azureml-defaults leads the list, as v1 put it back in front of the user's packages.
        deps.set_pip_requirements([AZUREML_DEFAULTS, *pip])
    for package in params["conda_packages"] or []:
        deps.add_conda_package(package)
    return deps


def _merge_scenario(deps: CondaDependencies, scenario: Mapping[str, Any]) -> None:
    """v1's full build: the scenario's pins join the user's packages; on a name both list, the user wins."""
    framework = CondaDependencies(
        _underlying_structure={
            "dependencies": [*scenario["conda_packages"], {"pip": list(scenario["pip_packages"])}],
        }
    )
    defaults = CondaDependencies()
    default_names = {package_name(p) for p in [*defaults.pip_packages, *defaults.conda_packages]}
    framework_names = {package_name(p) for p in [*framework.pip_packages, *framework.conda_packages]}
    common = [
        name
        for name in (package_name(p) for p in [*deps.pip_packages, *deps.conda_packages])
        if name in framework_names and name not in default_names
    ]
    if common:
        warn_at_caller(
            f"you install {sorted(set(common))} yourself, which replaces the framework's pinned version; "
            f"the image build may fail if the versions do not fit together."
        )
    for name in common:
        framework.remove_pip_package(name)
        framework.remove_conda_package(name)
    if deps.get_python_version() != BASE_SPEC_PYTHON_VERSION:
        # The user pinned python: keep that pin (v1 let the scenario's python=3.6.2 replace it).
        framework.remove_conda_package("python")
    for package in framework.conda_packages:
        deps.add_conda_package(package)
    for package in framework.pip_packages:
        deps.add_pip_package(package)


def build_environment(
    params: Mapping[str, Any], kind: str, scenario: Mapping[str, Any] | None = None
) -> Environment:
    """The Environment an estimator runs in (v1's ``_update_environment`` and, for framework
    estimators, its full-build ``_setup_environment``; behaviour reference §4)."""
    if params["environment_definition"] is not None:
        return params["environment_definition"]
    env = Environment(f"{kind}-environment")
    deps = _user_conda_dependencies(params)
    env.python.user_managed_dependencies = bool(params["user_managed"])
    env.python.conda_dependencies = deps
    use_gpu = bool(params.get("use_gpu"))
    custom_image = params["custom_docker_image"] or params.get("custom_docker_base_image")
    env.docker.base_image = custom_image or (DEFAULT_GPU_IMAGE if use_gpu else DEFAULT_CPU_IMAGE)
    registry = params["image_registry_details"]
    if registry is not None:
        if not isinstance(registry, ContainerRegistry):
            raise TrainingException(
                f"image_registry_details must be a ContainerRegistry, got {type(registry).__name__}."
            )
        env.docker.base_image_registry = registry
    # gpu_support is what makes the cluster request GPUs and start the container with them.
    env.docker.gpu_support = use_gpu
    if scenario is not None:
        # With user_managed nothing is installed, so the scenario's pins are not carried either
        # (v1 merged them into a specification nobody used).
        if not params["conda_dependencies_file"] and not params["user_managed"]:
            _merge_scenario(deps, scenario)
        if not custom_image:
            env.docker.base_image = scenario["base_image"]
        env.framework_scenario = dict(scenario)
    return env


def apply_distribution(rc: RunConfiguration, params: Mapping[str, Any]) -> None:
    """v1's distribution section of ``_init_run_config`` (reference §3 table).

    The framework estimators add their backend strings and configuration objects afterwards
    (``_apply_framework_distribution``), as v1's subclasses did after the base constructor.
    """
    rc.node_count = params["node_count"]
    rc.framework, rc.communicator = "Python", "None"
    backend = params["distributed_backend"].lower() if params["distributed_backend"] else None
    training = params["distributed_training"]
    if backend == "mpi":
        rc.communicator = "IntelMpi"
        rc.mpi.process_count_per_node = params["process_count_per_node"]
    if isinstance(training, MpiConfiguration):
        rc.communicator, rc.mpi = "IntelMpi", training
    elif isinstance(training, Mpi):
        rc.framework, rc.communicator = "python", "Mpi"
        rc.mpi = MpiConfiguration(training.process_count_per_node)
    elif isinstance(training, (Gloo, Nccl)):
        rc.framework, rc.communicator = "pytorch", type(training).__name__
    elif isinstance(training, ParameterServer):
        rc.framework, rc.communicator = "tensorflow", "ParameterServer"
        rc.tensorflow = TensorflowConfiguration(training.worker_count, training.parameter_server_count)


def _docker_configuration(rc: RunConfiguration, params: Mapping[str, Any], env: Environment) -> None:
    definition = params["environment_definition"]
    if definition is not None:
        # v1 copied the Environment's (deprecated) docker settings into the run configuration; they
        # choose the container only if the Environment set ``docker.enabled`` itself.
        docker = definition.docker
        config = DockerConfiguration(
            use_docker=docker._enabled,
            shared_volumes=docker._shared_volumes,
            arguments=docker._arguments,
            shm_size=docker._shm_size,
        )
        rc._set_docker(config, given=docker._enabled_given)
    else:
        rc.docker = DockerConfiguration(use_docker=params["use_docker"], shm_size=params["shm_size"])


def build_run_config(
    params: Mapping[str, Any], kind: str, scenario: Mapping[str, Any] | None = None
) -> RunConfiguration:
    """The RunConfiguration for validated estimator ``params``."""
    rc = RunConfiguration()
    rc.script = params["entry_script"]
    apply_distribution(rc, params)
    target = params["compute_target"]
    rc.amlcompute.vm_size = params["vm_size"]
    rc.amlcompute.vm_priority = params["vm_priority"]
    rc.amlcompute._cluster_max_node_count = params["node_count"]
    if params["vm_size"] and target is None:
        warn_deprecated(
            "vm_size without compute_target (run-based compute) is deprecated; pass "
            "compute_target='<cluster profile>' (vm_size then selects the node type)."
        )
    rc.target = target if target is not None else AMLCOMPUTE_TARGET
    rc.environment = build_environment(params, kind, scenario)
    _docker_configuration(rc, params, rc.environment)
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
        check_resume_from(params["resume_from"])  # v1 checks it before the framework version
        scenario = self._resolve_scenario(params)
        rc = build_run_config(params, self._KIND, scenario)
        MMLBaseEstimator.__init__(
            self, params["source_directory"], compute_target=params["compute_target"], estimator_config=rc
        )
        # The constructor arguments as given (after alias normalisation), for v1's submit-time
        # overrides, which rebuild the arguments from them.
        self._constructor_params: dict[str, Any] = dict(params)
        self._disable_validation = params.get("_disable_validation", True)
        self._show_lint_warnings = params.get("_show_lint_warnings", False)
        self._show_package_warnings = params.get("_show_package_warnings", False)
        self._after_build(rc, params)
        self._notes = tuple(self._distribution_notes(rc, params))

    def _distribution_notes(self, rc: RunConfiguration, params: Mapping[str, Any]) -> list[str]:
        """What v1 did with the counts that the user may not expect, said at submission."""
        notes = []
        training = params["distributed_training"]
        per_node = params["process_count_per_node"]
        if isinstance(training, PyTorchConfiguration) and rc.communicator == "None":
            notes.append(
                "distributed_training=PyTorchConfiguration(...) is ignored by estimators (v1 ran one process "
                "without torch.distributed); use ScriptRunConfig(distributed_job_config=PyTorchConfiguration(...))."
            )
        if str(rc.communicator).lower() in ("gloo", "nccl") and per_node != 1:
            nodes = params["node_count"]
            notes.append(
                f"process_count_per_node={per_node} is not used with {rc.communicator}: as in v1, one "
                f"torch.distributed process runs per node ({nodes} in all; WORLD_SIZE={nodes}). For one process "
                f"per GPU use ScriptRunConfig(distributed_job_config=PyTorchConfiguration("
                f"process_count={nodes * per_node}, node_count={nodes}))."
            )
        return notes

    def _resolved_run(self) -> ResolvedRun:
        return self._resolve_run_config(self._estimator_config)

    def _resolve_run_config(self, rc: RunConfiguration) -> ResolvedRun:
        """What v1 runs for this estimator with ``rc`` (its own run configuration, or the copy an
        EstimatorStep made with the step's arguments and target)."""
        return resolve_run_configuration(
            rc,
            config_kind=type(self).__name__,
            source_directory=self.source_directory,
            # v1 checked the script at submission only with _disable_validation=False.
            checks=ScriptChecks(
                lint=not self._disable_validation and bool(self._show_lint_warnings),
                packages=not self._disable_validation and bool(self._show_package_warnings),
            ),
            notes=self._notes,
        )

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

    def _without_script_params(self, keys: list[Any]) -> _EstimatorBase:
        """A copy whose script_params lack ``keys`` (HyperDrive: the sampled values replace them).

        v1 removed them from the argument list paired two by two (so a bare flag shifted every pair
        after it); removing them from the constructor's dict avoids that, as for submit overrides.
        """
        clone = self._submit_with_overrides()
        params = clone._constructor_params
        kept = {k: v for k, v in (params.get("script_params") or {}).items() if k not in keys}
        params["script_params"] = kept
        rc = clone._estimator_config
        rc.arguments = script_params_to_arguments(kept, rc)
        add_resume_from(params.get("resume_from"), rc)
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

    @explain_call_errors
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
