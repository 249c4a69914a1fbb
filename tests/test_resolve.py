"""What v1 would run, as the v1 classes resolve it (ResolvedRun): one table per rule.

Protects the meaning of a configuration before any cluster is involved: how many processes of
which kind, which image and which packages, whether a container is used, the time limit and
what is refused. Each row names the v1 behaviour it pins (measured with the real SDK; see
tests/test_v1_differential.py for the 1,039-config comparison).
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from hpc_estimator import (
    ContainerRegistry,
    DockerConfiguration,
    Environment,
    Estimator,
    Gloo,
    Mpi,
    MpiConfiguration,
    Nccl,
    ParameterServer,
    PyTorch,
    PyTorchConfiguration,
    ScriptRunConfig,
    SKLearn,
    TensorFlow,
    TensorflowConfiguration,
    UserErrorException,
)
from hpc_estimator.v1.resolved import (
    FrameworkImage,
    ImageReference,
    MpiRanks,
    ParameterServers,
    ResolvedRun,
    SingleProcess,
    TorchProcesses,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _resolve(cls: Any, **kw: Any) -> ResolvedRun:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if cls is ScriptRunConfig:
            return ScriptRunConfig("src", **{"script": "t.py", **kw})._resolved_run()
        return cls("src", **{"compute_target": "c", "entry_script": "t.py", **kw})._resolved_run()


@pytest.mark.parametrize(("cls", "kw", "distribution", "nodes"), [
    (Estimator, {}, SingleProcess(), 1),
    (Estimator, {"node_count": 2, "process_count_per_node": 4, "distributed_backend": "mpi"}, MpiRanks(4), 2),
    (Estimator, {"node_count": 2, "process_count_per_node": 5, "distributed_training": Mpi(3)}, MpiRanks(3), 2),
    (Estimator, {"node_count": 2, "distributed_training": MpiConfiguration(2, 5)}, MpiRanks(2), 2),
    # Gloo()/Nccl() and the backend strings: one process per node, process_count_per_node unused.
    (PyTorch, {"node_count": 2, "process_count_per_node": 4, "distributed_training": Nccl(),
               "framework_version": "1.6"}, TorchProcesses(2, "nccl"), 2),
    (PyTorch, {"node_count": 3, "process_count_per_node": 2, "distributed_backend": "Gloo",
               "framework_version": "1.6"}, TorchProcesses(3, "gloo"), 3),
    (Estimator, {"node_count": 2, "distributed_training": Gloo()}, TorchProcesses(2, "gloo"), 2),
    # A PyTorchConfiguration / TensorflowConfiguration the estimator does not use is ignored (v1).
    (PyTorch, {"distributed_training": PyTorchConfiguration(process_count=8), "framework_version": "1.6"},
     SingleProcess(), 1),
    (Estimator, {"distributed_training": TensorflowConfiguration(3, 1)}, SingleProcess(), 1),
    # The backend string wins over a distribution object.
    (TensorFlow, {"distributed_backend": "ps", "worker_count": 3, "parameter_server_count": 1,
                  "distributed_training": Mpi(3), "framework_version": "2.2"}, ParameterServers(3, 1), 1),
    (PyTorch, {"distributed_backend": "nccl", "distributed_training": Mpi(2), "node_count": 2,
               "framework_version": "1.6"}, TorchProcesses(2, "nccl"), 2),
    (TensorFlow, {"distributed_training": ParameterServer(2, 1), "framework_version": "2.2"},
     ParameterServers(2, 1), 1),
    (TensorFlow, {"distributed_training": TensorflowConfiguration(4, 2), "framework_version": "2.1"},
     ParameterServers(4, 2), 1),
    # ScriptRunConfig: node_count from the distributed config, process_count the total.
    (ScriptRunConfig, {"compute_target": "c", "distributed_job_config": PyTorchConfiguration("Gloo", 8, 2)},
     TorchProcesses(8, "gloo"), 2),
    (ScriptRunConfig, {"compute_target": "c", "distributed_job_config": MpiConfiguration(4, 3)}, MpiRanks(4), 3),
    (ScriptRunConfig, {"compute_target": "c", "distributed_job_config": TensorflowConfiguration(3, 1)},
     ParameterServers(3, 1), 3),
])
def test_distribution(cls: Any, kw: dict[str, Any], distribution: Any, nodes: int) -> None:
    run = _resolve(cls, **kw)
    assert (run.distribution, run.node_count) == (distribution, nodes)


@pytest.mark.parametrize(("cls", "kw", "image"), [
    (Estimator, {}, ImageReference("mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:20251130.v1", is_default=True)),
    (PyTorch, {"framework_version": "1.6", "use_gpu": True}, FrameworkImage(
        "PyTorch", "1.6", True, ("torch==1.6.0", "torchvision==0.5.0", "horovod==0.19.5", "tensorboard==1.14.0",
                                 "future==0.17.1"))),
    # The user's image wins for framework estimators too (it once silently did not).
    (PyTorch, {"framework_version": "1.6", "custom_docker_image": "myreg/img:1"}, ImageReference("myreg/img:1")),
    (PyTorch, {"framework_version": "1.6", "custom_docker_base_image": "myreg/img:2"}, ImageReference("myreg/img:2")),
    (Estimator, {"custom_docker_image": "train:1",
                 "image_registry_details": (lambda r: (setattr(r, "address", "reg.example.org"), r)[1])(
                     ContainerRegistry())}, ImageReference("reg.example.org/train:1")),
    # An image that names its own registry is not prefixed with the registry address.
    (Estimator, {"custom_docker_image": "mcr.microsoft.com/x:1",
                 "image_registry_details": (lambda r: (setattr(r, "address", "reg.example.org"), r)[1])(
                     ContainerRegistry())}, ImageReference("mcr.microsoft.com/x:1")),
])
def test_image(cls: Any, kw: dict[str, Any], image: Any) -> None:
    assert _resolve(cls, **kw).image == image


def test_environment_definition_gives_image_packages_and_docker_settings() -> None:
    env = Environment("mine")
    env.docker.base_image = "nvcr.io/nvidia/pytorch:24.01-py3"
    env.python.conda_dependencies.add_pip_package("einops==0.7.0")
    env.python.conda_dependencies.add_conda_package("libsndfile")
    run = _resolve(PyTorch, environment_definition=env, framework_version="1.6")
    assert run.image == ImageReference("nvcr.io/nvidia/pytorch:24.01-py3")
    assert (run.packages.pip, run.packages.conda) == (("einops==0.7.0",), ("libsndfile",))
    assert run.use_docker is True  # the Environment never said, and the target is a cluster
    env.docker.enabled = False
    assert _resolve(Estimator, environment_definition=env).use_docker is False


@pytest.mark.parametrize(("cls", "kw", "pip", "conda"), [
    # Only what the user adds on top of a framework image is "packages"; the pins travel with the image.
    (PyTorch, {"framework_version": "1.6", "pip_packages": ["einops"]}, ("einops",), ()),
    # A user pin replaces the framework's (v1's full-build merge).
    (PyTorch, {"framework_version": "1.6", "pip_packages": ["torch==1.7.1"]}, ("torch==1.7.1",), ()),
    # On an explicit image the whole specification is installed (v1 built the conda env on it).
    (PyTorch, {"framework_version": "1.6", "custom_docker_image": "ubuntu:22.04"},
     ("torch==1.6.0", "torchvision==0.5.0", "horovod==0.19.5", "tensorboard==1.14.0", "future==0.17.1"), ()),
    (Estimator, {"pip_packages": ["numpy==1.26"], "conda_packages": ["scipy"]}, ("numpy==1.26",), ("scipy",)),
    (Estimator, {"user_managed": True, "custom_docker_image": "img:1"}, (), ()),
    (SKLearn, {"framework_version": "0.20.3"}, (), ()),
])
def test_packages(cls: Any, kw: dict[str, Any], pip: tuple[str, ...], conda: tuple[str, ...]) -> None:
    packages = _resolve(cls, **kw).packages
    assert (packages.pip, packages.conda) == (pip, conda)


@pytest.mark.parametrize(("cls", "kw", "use_docker"), [
    (Estimator, {}, True),
    (Estimator, {"use_docker": False}, False),
    (ScriptRunConfig, {}, False),  # "local": the caller's Python
    (ScriptRunConfig, {"compute_target": "gpu"}, True),  # a cluster ran every job in its image
    (ScriptRunConfig, {"compute_target": "gpu", "docker_runtime_config": DockerConfiguration(use_docker=False)},
     False),
    (ScriptRunConfig, {"docker_runtime_config": DockerConfiguration(use_docker=True)}, True),
])
def test_container_choice(cls: Any, kw: dict[str, Any], use_docker: bool) -> None:
    assert _resolve(cls, **kw).use_docker is use_docker


@pytest.mark.parametrize(("cls", "kw", "limit"), [
    (Estimator, {}, None),
    (Estimator, {"max_run_duration_seconds": 3600}, 3600),
    (Estimator, {"max_run_duration_seconds": 0}, None),  # v1 accepted 0: no limit
    (ScriptRunConfig, {}, None),  # the class's own 30-day default is no request
    (ScriptRunConfig, {"max_run_duration_seconds": 600}, 600),
])
def test_time_limit(cls: Any, kw: dict[str, Any], limit: int | None) -> None:
    assert _resolve(cls, **kw).time_limit_s == limit


@pytest.mark.parametrize(("cls", "kw", "message"), [
    (Estimator, {"max_run_duration_seconds": -5}, "is negative"),
    (Estimator, {"vm_priority": "spot", "vm_size": "STANDARD_D2"}, "vm_priority must be"),
    (ScriptRunConfig, {"compute_target": "c", "distributed_job_config": MpiConfiguration(0, 2)},
     "process_count_per_node must be an integer >= 1"),
    (ScriptRunConfig, {"compute_target": "c", "distributed_job_config": PyTorchConfiguration(process_count=3,
                                                                                             node_count=2)},
     "does not divide evenly"),
    (ScriptRunConfig, {"command": ["python", "t.py"]}, "command cannot be combined with script"),
    (Estimator, {"entry_script": "nb.ipynb"}, "nbconvert"),
])
def test_refused_before_submission(cls: Any, kw: dict[str, Any], message: str) -> None:
    """Accepted at construction, as v1; refused when resolved, before anything is queued."""
    with pytest.raises(UserErrorException, match=message):
        _resolve(cls, **kw)


def test_notes_say_what_v1_did_with_unused_counts() -> None:
    run = _resolve(PyTorch, node_count=2, process_count_per_node=4, distributed_training=Nccl(),
                   framework_version="1.6")
    assert any("PyTorchConfiguration(process_count=8, node_count=2)" in note for note in run.notes)
    ignored = _resolve(Estimator, distributed_training=PyTorchConfiguration(process_count=4))
    assert any("is ignored by estimators" in note for note in ignored.notes)


def test_script_checks_follow_v1s_conditions() -> None:
    asked = {"_disable_validation": False, "_show_lint_warnings": True, "_show_package_warnings": True}
    framework = _resolve(PyTorch, framework_version="1.6", **asked).checks
    assert (framework.lint, framework.packages) == (True, True)
    generic = _resolve(Estimator, **asked).checks  # v1 compared packages only on framework images
    assert (generic.lint, generic.packages) == (True, False)
    local = _resolve(PyTorch, framework_version="1.6", compute_target="local", **asked).checks
    assert local.packages is False
    default = _resolve(PyTorch, framework_version="1.6", _show_lint_warnings=True).checks
    assert (default.lint, default.packages) == (False, False)  # _disable_validation defaults to True
