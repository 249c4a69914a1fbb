"""Framework estimators (PyTorch, TensorFlow, Chainer, SKLearn) and their v1 version tables.

Each framework version had a bundled scenario: a base image and pinned packages (behaviour
reference §4). ``framework_scenario`` exposes that table as data so the cluster side can map a
framework/version/processor to one of its own images; the estimators use it for v1's
"full build" environment (scenario image plus pins, user packages win on collisions).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import TrainingException, UserErrorException
from .deprecation import warn_at_caller, warn_deprecated
from .environment import CPU, GPU, ContainerRegistry, Environment
from .estimator import _EstimatorBase, collect_params
from .keywords import explain_call_errors
from .runconfig import RunConfiguration, TensorflowConfiguration

PYTHON_PIN = "python=3.6.2"
FRAMEWORK_IMAGE_REGISTRY = "viennaprivate.azurecr.io"

_BASE_INTELMPI_U16 = "mcr.microsoft.com/azureml/base:intelmpi2018.3-ubuntu16.04"
_BASE_GPU_OPENMPI3_CUDA10_U16 = "mcr.microsoft.com/azureml/base-gpu:openmpi3.1.2-cuda10.0-cudnn7-ubuntu16.04"
_BASE_GPU_OPENMPI4_CUDA11_U20 = "mcr.microsoft.com/azureml/base-gpu:openmpi4.1.0-cuda11.1-cudnn8-ubuntu20.04"
_BASE_OPENMPI3_U16 = "mcr.microsoft.com/azureml/base:openmpi3.1.2-ubuntu16.04"
_OPENMPI3_U16 = "mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu16.04"
_OPENMPI4_CUDA11_U20 = "mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.1-cudnn8-ubuntu20.04"
_INTELMPI_U16_0423 = "mcr.microsoft.com/azureml/intelmpi2018.3-ubuntu16.04:20200423.v1"
_INTELMPI_CUDA9_U16_0704 = "mcr.microsoft.com/azureml/intelmpi2018.3-cuda9.0-cudnn7-ubuntu16.04:20200704.v1"
_INTELMPI_CUDA10_U16_0704 = "mcr.microsoft.com/azureml/intelmpi2018.3-cuda10.0-cudnn7-ubuntu16.04:20200704.v1"
_OPENMPI4_U20_0423 = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:20200423.v1"
_OPENMPI4_CUDA11_U20_0704 = "mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.1-cudnn8-ubuntu20.04:20200704.v1"
_OPENMPI4_CUDA11_U20_0423 = "mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.1-cudnn8-ubuntu20.04:20200423.v1"
_BASE_GPU_INTELMPI_CUDA9_U16 = "mcr.microsoft.com/azureml/base-gpu:intelmpi2018.3-cuda9.0-cudnn7-ubuntu16.04"

# framework -> {"<version>-<cpu|gpu>": (full-build base image, pinned pip packages)}
_SCENARIOS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "PyTorch": {
        "1.0-cpu": (
            _BASE_INTELMPI_U16,
            (
                "azureml-defaults",
                "torch==1.0",
                "torchvision==0.4.1",
                "horovod==0.18.1",
            ),
        ),
        "1.0-gpu": (
            _BASE_GPU_OPENMPI3_CUDA10_U16,
            (
                "azureml-defaults",
                "torch==1.0",
                "torchvision==0.4.1",
                "horovod==0.18.1",
            ),
        ),
        "1.1-cpu": (
            _BASE_INTELMPI_U16,
            (
                "azureml-defaults",
                "torch==1.1",
                "torchvision==0.4.1",
                "horovod==0.18.1",
                "tensorboard==1.14.0",
                "future==0.17.1",
            ),
        ),
        "1.1-gpu": (
            _BASE_GPU_OPENMPI3_CUDA10_U16,
            (
                "azureml-defaults",
                "torch==1.1",
                "torchvision==0.4.1",
                "horovod==0.18.1",
                "tensorboard==1.14.0",
                "future==0.17.1",
            ),
        ),
        "1.2-cpu": (
            _BASE_INTELMPI_U16,
            (
                "azureml-defaults",
                "torch==1.2",
                "torchvision==0.4.1",
                "horovod==0.18.1",
                "tensorboard==1.14.0",
                "future==0.17.1",
            ),
        ),
        "1.2-gpu": (
            _BASE_GPU_OPENMPI3_CUDA10_U16,
            (
                "azureml-defaults",
                "torch==1.2",
                "torchvision==0.4.1",
                "horovod==0.18.1",
                "tensorboard==1.14.0",
                "future==0.17.1",
            ),
        ),
        "1.3-cpu": (
            _BASE_INTELMPI_U16,
            (
                "azureml-defaults",
                "torch==1.3.1",
                "torchvision==0.4.1",
                "horovod==0.18.1",
                "tensorboard==1.14.0",
                "future==0.17.1",
            ),
        ),
        "1.3-gpu": (
            _BASE_GPU_OPENMPI4_CUDA11_U20,
            (
                "azureml-defaults",
                "torch==1.3.1",
                "torchvision==0.4.1",
                "horovod==0.18.1",
                "tensorboard==1.14.0",
                "future==0.17.1",
            ),
        ),
        "1.4-cpu": (
            _BASE_OPENMPI3_U16,
            (
                "azureml-defaults",
                "torch==1.4.0",
                "torchvision==0.5.0",
                "horovod==0.18.1",
                "tensorboard==1.14.0",
                "future==0.17.1",
            ),
        ),
        "1.4-gpu": (
            _BASE_GPU_OPENMPI4_CUDA11_U20,
            (
                "azureml-defaults",
                "torch==1.4.0",
                "torchvision==0.5.0",
                "horovod==0.18.1",
                "tensorboard==1.14.0",
                "future==0.17.1",
            ),
        ),
        "1.5-cpu": (
            _BASE_OPENMPI3_U16,
            (
                "azureml-defaults",
                "torch==1.5.0",
                "torchvision==0.5.0",
                "horovod==0.19.1",
                "tensorboard==1.14.0",
                "future==0.17.1",
            ),
        ),
        "1.5-gpu": (
            _BASE_GPU_OPENMPI4_CUDA11_U20,
            (
                "azureml-defaults",
                "torch==1.5.0",
                "torchvision==0.5.0",
                "horovod==0.19.1",
                "tensorboard==1.14.0",
                "future==0.17.1",
            ),
        ),
        "1.6-cpu": (
            _OPENMPI3_U16,
            (
                "azureml-defaults",
                "torch==1.6.0",
                "torchvision==0.5.0",
                "horovod==0.19.5",
                "tensorboard==1.14.0",
                "future==0.17.1",
            ),
        ),
        "1.6-gpu": (
            _OPENMPI4_CUDA11_U20,
            (
                "azureml-defaults",
                "torch==1.6.0",
                "torchvision==0.5.0",
                "horovod==0.19.5",
                "tensorboard==1.14.0",
                "future==0.17.1",
            ),
        ),
    },
    "TensorFlow": {
        "1.10-cpu": (
            _INTELMPI_U16_0423,
            (
                "azureml-defaults",
                "azureml-dataset-runtime[fuse,pandas]",
                "tensorflow==1.10.0",
                "horovod==0.15.2",
            ),
        ),
        "1.10-gpu": (
            _INTELMPI_CUDA9_U16_0704,
            (
                "azureml-defaults",
                "azureml-dataset-runtime[fuse,pandas]",
                "tensorflow-gpu==1.10.0",
                "horovod==0.15.2",
            ),
        ),
        "1.12-cpu": (
            _INTELMPI_U16_0423,
            (
                "azureml-defaults",
                "azureml-dataset-runtime[fuse,pandas]",
                "tensorflow==1.12.0",
                "horovod==0.15.2",
            ),
        ),
        "1.12-gpu": (
            _INTELMPI_CUDA9_U16_0704,
            (
                "azureml-defaults",
                "azureml-dataset-runtime[fuse,pandas]",
                "tensorflow-gpu==1.12.0",
                "horovod==0.15.2",
            ),
        ),
        "1.13-cpu": (
            _INTELMPI_U16_0423,
            (
                "azureml-defaults",
                "azureml-dataset-runtime[fuse,pandas]",
                "tensorflow==1.13.1",
                "horovod==0.16.1",
            ),
        ),
        "1.13-gpu": (
            _INTELMPI_CUDA10_U16_0704,
            (
                "azureml-defaults",
                "azureml-dataset-runtime[fuse,pandas]",
                "tensorflow-gpu==1.13.1",
                "horovod==0.16.1",
            ),
        ),
        "2.0-cpu": (
            _OPENMPI4_U20_0423,
            (
                "azureml-defaults",
                "azureml-dataset-runtime[fuse,pandas]",
                "tensorflow==2.0.0",
                "horovod==0.18.1",
            ),
        ),
        "2.0-gpu": (
            _OPENMPI4_CUDA11_U20_0704,
            (
                "azureml-defaults",
                "azureml-dataset-runtime[fuse,pandas]",
                "tensorflow-gpu==2.0.0",
                "horovod==0.18.1",
            ),
        ),
        "2.1-cpu": (_OPENMPI4_U20_0423, ("azureml-defaults", "tensorflow==2.1.0", "horovod==0.19.1")),
        "2.1-gpu": (
            _OPENMPI4_CUDA11_U20_0423,
            (
                "azureml-defaults",
                "tensorflow-gpu==2.1.0",
                "horovod==0.19.1",
            ),
        ),
        "2.2-cpu": (_OPENMPI4_U20_0423, ("azureml-defaults", "tensorflow==2.2.0", "horovod==0.19.5")),
        "2.2-gpu": (
            _OPENMPI4_CUDA11_U20_0423,
            (
                "azureml-defaults",
                "tensorflow-gpu==2.2.0",
                "horovod==0.19.5",
            ),
        ),
        "2.3-cpu": (
            _OPENMPI4_U20_0423,
            (
                "azureml-defaults",
                "tensorflow==2.3.0",
                "cmake==3.18.2",
                "horovod==0.20.0",
            ),
        ),
        "2.3-gpu": (
            _OPENMPI4_CUDA11_U20_0423,
            (
                "azureml-defaults",
                "tensorflow-gpu==2.3.0",
                "cmake==3.18.2",
                "horovod==0.20.0",
            ),
        ),
    },
    "Chainer": {
        "5.1.0-cpu": (_BASE_INTELMPI_U16, ("azureml-defaults", "chainer==5.1.0", "mpi4py==3.0.0")),
        "5.1.0-gpu": (
            _BASE_GPU_INTELMPI_CUDA9_U16,
            (
                "azureml-defaults",
                "chainer==5.1.0",
                "mpi4py==3.0.0",
                "cupy-cuda90==5.2.0",
            ),
        ),
        "7.0.0-cpu": (_BASE_INTELMPI_U16, ("azureml-defaults", "chainer==7.0.0", "mpi4py==3.0.0")),
        "7.0.0-gpu": (
            _BASE_GPU_INTELMPI_CUDA9_U16,
            (
                "azureml-defaults",
                "chainer==7.0.0",
                "mpi4py==3.0.0",
                "cupy-cuda90==7.0.0",
            ),
        ),
    },
    "SKLearn": {
        "0.20.3-cpu": (
            _INTELMPI_U16_0423,
            (
                "azureml-defaults",
                "scikit-learn==0.20.3",
                "scipy==1.2.1",
                "joblib==0.13.2",
            ),
        ),
    },
}

_DEFAULT_VERSIONS = {"PyTorch": "1.4", "TensorFlow": "1.13", "Chainer": "5.1.0", "SKLearn": "0.20.3"}
_SUPPORTED_BACKENDS: dict[str, list[str] | None] = {
    "PyTorch": ["mpi", "gloo", "nccl"],
    "TensorFlow": ["mpi", "ps"],
    "Chainer": ["mpi"],
    "SKLearn": None,
}
# Curated environments are named AzureML-<Framework>-<version>-<CPU|GPU>, with these exceptions
# (Microsoft's 2020 list): scikit-learn had one CPU name, and some scenarios never had one.
_CURATED_EXCEPTIONS: dict[tuple[str, str], str | None] = {
    ("SKLearn", "0.20.3-cpu"): "AzureML-Scikit-learn-0.20.3",
    ("TensorFlow", "2.3-cpu"): None,
    ("Chainer", "7.0.0-cpu"): None,
    ("Chainer", "7.0.0-gpu"): None,
}
_ALIASES = {
    "pytorch": "PyTorch",
    "torch": "PyTorch",
    "tensorflow": "TensorFlow",
    "tf": "TensorFlow",
    "chainer": "Chainer",
    "sklearn": "SKLearn",
    "scikit-learn": "SKLearn",
    "scikitlearn": "SKLearn",
}


def canonical_framework(framework_name: str) -> str:
    """``'pytorch'`` -> ``'PyTorch'`` and so on; unknown names raise UserErrorException."""
    canonical = _ALIASES.get(str(framework_name).lower())
    if canonical is None:
        raise UserErrorException(f"Unknown framework {framework_name!r}; known: PyTorch, TensorFlow, Chainer, SKLearn.")
    return canonical


def supported_versions(framework_name: str) -> list[str]:
    """The framework's supported versions, string-sorted as v1 listed its scenario files."""
    framework = canonical_framework(framework_name)
    return sorted({key.rsplit("-", 1)[0] for key in _SCENARIOS[framework]})


def default_version(framework_name: str) -> str:
    """The version v1 used when ``framework_version`` was not given."""
    return _DEFAULT_VERSIONS[canonical_framework(framework_name)]


def supported_backends(framework_name: str) -> list[str]:
    """The ``distributed_backend`` strings the framework estimator accepts (empty for SKLearn)."""
    return list(_SUPPORTED_BACKENDS[canonical_framework(framework_name)] or [])


def scenario_keys(framework_name: str) -> list[str]:
    """The framework's scenarios as ``<version>-<cpu|gpu>`` keys, in v1's order."""
    return list(_SCENARIOS[canonical_framework(framework_name)])


def curated_environment_name(framework_name: str, version: str, use_gpu: bool) -> str | None:
    """The v1 curated environment that mirrored this scenario, or None when there was none."""
    framework = canonical_framework(framework_name)
    key = f"{version}-{GPU if use_gpu else CPU}"
    if key not in _SCENARIOS[framework]:
        return None
    if (framework, key) in _CURATED_EXCEPTIONS:
        return _CURATED_EXCEPTIONS[(framework, key)]
    return f"AzureML-{framework}-{version}-{'GPU' if use_gpu else 'CPU'}"


def framework_scenario(framework_name: str, version: str, use_gpu: bool) -> dict[str, Any]:
    """v1's scenario for a framework version on CPU or GPU, as a fresh dict.

    Keys: framework, version, processor ('cpu'|'gpu'), file (v1 scenario file name),
    base_image (full-build image), framework_image (v1's prebuilt image), conda_packages,
    pip_packages, curated_environment (name or None). Unknown versions raise TrainingException.
    """
    framework = canonical_framework(framework_name)
    processor = GPU if use_gpu else CPU
    key = f"{version}-{processor}"
    if key not in _SCENARIOS[framework]:
        versions = supported_versions(framework)
        if isinstance(version, str) and version in versions:
            raise TrainingException(
                f"{framework} {version} has no {processor.upper()} scenario; supported: "
                f"{[k for k in _SCENARIOS[framework]]}. Use use_gpu={not use_gpu} or the generic Estimator."
            )
        raise TrainingException(
            f"framework_version {version!r} is not supported by {framework}; supported versions: "
            f"{versions}. Pick one of them, or switch to the generic Estimator with your own image "
            f"(custom_docker_image=...) and packages (pip_packages=...)."
        )
    base_image, pip_packages = _SCENARIOS[framework][key]
    return {
        "framework": framework,
        "version": version,
        "processor": processor,
        "file": f"{framework.lower()}-{key}.yml",
        "base_image": base_image,
        "framework_image": f"{FRAMEWORK_IMAGE_REGISTRY}/{framework.lower()}:{key}",
        "conda_packages": [PYTHON_PIN],
        "pip_packages": list(pip_packages),
        "curated_environment": curated_environment_name(framework, version, use_gpu),
    }


_CURATED_RE = re.compile(r"^AzureML-(PyTorch|TensorFlow|Chainer)-(\d[\w.]*)-(CPU|GPU)$", re.IGNORECASE)


def curated_scenario(name: str) -> dict[str, Any] | None:
    """The scenario behind a v1 curated environment name (e.g. 'AzureML-PyTorch-1.6-GPU'), or None."""
    if not isinstance(name, str):
        return None
    if name.lower() == "azureml-scikit-learn-0.20.3":
        return framework_scenario("SKLearn", "0.20.3", False)
    match = _CURATED_RE.match(name)
    if match is None:
        return None
    framework, version, processor = match.group(1), match.group(2), match.group(3).lower()
    try:
        scenario = framework_scenario(framework, version, processor == GPU)
    except TrainingException:
        return None
    if scenario["curated_environment"] is None:
        return None
    return scenario


class _FrameworkBaseEstimator(_EstimatorBase):
    """Shared behaviour of the framework estimators: version choice and scenario environment."""

    FRAMEWORK_NAME = ""
    DEFAULT_VERSION = ""

    def _resolve_scenario(self, params: dict[str, Any]) -> Mapping[str, Any] | None:
        if params.get("environment_definition") is not None or params["conda_dependencies_file"]:
            given = "environment_definition" if params.get("environment_definition") is not None else (
                "conda_dependencies_file"
            )
            warn_at_caller(
                f"with {given}, the framework's own packages are not installed for you (v1): the environment or "
                f"the conda file must list them."
            )
        version = params.get("framework_version")
        if version is None:
            definition = params.get("environment_definition")
            user_managed = definition.python.user_managed_dependencies if definition else params["user_managed"]
            if not user_managed and len(self.get_supported_versions()) > 1:
                warn_at_caller(
                    f"framework_version is not specified; defaulting to {self.FRAMEWORK_NAME} "
                    f"{self.DEFAULT_VERSION}. Pass framework_version to pin it."
                )
            version = self.DEFAULT_VERSION
        if not isinstance(version, str):
            raise TrainingException(
                f"framework_version must be a string such as {self.DEFAULT_VERSION!r}, got {version!r} "
                f"(a float would turn '1.10' into '1.1'). Supported versions: "
                f"{self.get_supported_versions()}."
            )
        scenario = framework_scenario(self.FRAMEWORK_NAME, version, bool(params.get("use_gpu")))
        self._framework_version = version
        return scenario

    @property
    def framework_version(self) -> str:
        return self._framework_version

    @classmethod
    def get_supported_versions(cls) -> list[str]:
        return supported_versions(cls.FRAMEWORK_NAME)


class PyTorch(_FrameworkBaseEstimator):
    """PyTorch training (v1 ``azureml.train.dnn.PyTorch``; deprecated there)."""

    FRAMEWORK_NAME = "PyTorch"
    DEFAULT_VERSION = _DEFAULT_VERSIONS["PyTorch"]
    _SUPPORTED_BACKENDS = _SUPPORTED_BACKENDS["PyTorch"]
    _KIND = "pytorch"

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
        resume_from: Any = None,
        max_run_duration_seconds: int | None = None,
        framework_version: str | None = None,
        _enable_optimized_mode: bool = False,
        _disable_validation: bool = True,
        _show_lint_warnings: bool = False,
        _show_package_warnings: bool = False,
    ) -> None:
        self._setup(collect_params(locals()))

    def _after_build(self, rc: RunConfiguration, params: Mapping[str, Any]) -> None:
        # v1 always set this (even on a user-supplied Environment): NCCL's tree algorithm hurt
        # multi-node all-reduce. The job gets it through the run's environment variables too.
        rc.environment._environment_variables["NCCL_TREE_THRESHOLD"] = "0"
        rc.environment_variables.setdefault("NCCL_TREE_THRESHOLD", "0")
        backend = params["distributed_backend"]
        if backend and backend.lower() in ("gloo", "nccl"):
            # After the base constructor, so the backend string wins over a distribution object.
            rc.framework, rc.communicator = "PyTorch", backend.lower()


class TensorFlow(_FrameworkBaseEstimator):
    """TensorFlow training (v1 ``azureml.train.dnn.TensorFlow``; deprecated there)."""

    FRAMEWORK_NAME = "TensorFlow"
    DEFAULT_VERSION = _DEFAULT_VERSIONS["TensorFlow"]
    _SUPPORTED_BACKENDS = _SUPPORTED_BACKENDS["TensorFlow"]
    _KIND = "tensorflow"

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
        worker_count: int = 1,
        parameter_server_count: int = 1,
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
        resume_from: Any = None,
        max_run_duration_seconds: int | None = None,
        framework_version: str | None = None,
        _enable_optimized_mode: bool = False,
        _disable_validation: bool = True,
        _show_lint_warnings: bool = False,
        _show_package_warnings: bool = False,
    ) -> None:
        params = collect_params(locals())
        for name, value in (("worker_count", worker_count), ("parameter_server_count", parameter_server_count)):
            if value != 1:
                warn_deprecated(
                    f"{name} is deprecated; use distributed_training=ParameterServer("
                    f"worker_count=..., parameter_server_count=...)."
                )
        if (worker_count != 1 or parameter_server_count != 1) and distributed_backend is None:
            warn_at_caller(
                "worker_count and parameter_server_count are only used together with distributed_backend='ps' (v1); "
                "use distributed_training=ParameterServer(worker_count=..., parameter_server_count=...) instead."
            )
        self._setup(params)

    def _after_build(self, rc: RunConfiguration, params: Mapping[str, Any]) -> None:
        # After the base constructor, so the backend string wins over a distribution object (v1).
        backend = params["distributed_backend"]
        if backend and backend.lower() == "ps":
            rc.framework, rc.communicator = "TensorFlow", "ParameterServer"
            rc.tensorflow.worker_count = params["worker_count"]
            rc.tensorflow.parameter_server_count = params["parameter_server_count"]
        training = params["distributed_training"]
        if isinstance(training, TensorflowConfiguration):
            rc.framework, rc.communicator, rc.tensorflow = "TensorFlow", "ParameterServer", training


class Chainer(_FrameworkBaseEstimator):
    """Chainer training (v1 ``azureml.train.dnn.Chainer``; deprecated there)."""

    FRAMEWORK_NAME = "Chainer"
    DEFAULT_VERSION = _DEFAULT_VERSIONS["Chainer"]
    _SUPPORTED_BACKENDS = _SUPPORTED_BACKENDS["Chainer"]
    _KIND = "chainer"

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
        resume_from: Any = None,
        max_run_duration_seconds: int | None = None,
        framework_version: str | None = None,
        _enable_optimized_mode: bool = False,
        _disable_validation: bool = True,
        _show_lint_warnings: bool = False,
        _show_package_warnings: bool = False,
    ) -> None:
        self._setup(collect_params(locals()))


class SKLearn(_FrameworkBaseEstimator):
    """scikit-learn training: single node, CPU, no distribution (v1 ``azureml.train.sklearn.SKLearn``)."""

    FRAMEWORK_NAME = "SKLearn"
    DEFAULT_VERSION = _DEFAULT_VERSIONS["SKLearn"]
    _SUPPORTED_BACKENDS = _SUPPORTED_BACKENDS["SKLearn"]
    _KIND = "sklearn"

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
        use_docker: bool = True,
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
        shm_size: str | None = None,
        resume_from: Any = None,
        max_run_duration_seconds: int | None = None,
        framework_version: str | None = None,
        _enable_optimized_mode: bool = False,
        _disable_validation: bool = True,
        _show_lint_warnings: bool = False,
        _show_package_warnings: bool = False,
    ) -> None:
        # The reduced signature has no node/process/GPU/distribution parameters: v1 forced one CPU
        # node with no backend, which _setup's defaults reproduce.
        self._setup(collect_params(locals()))
