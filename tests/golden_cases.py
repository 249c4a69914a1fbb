"""The estimator configurations whose sbatch scripts are pinned as golden files.

Each case is (estimator factory, cluster profile name). Regenerate the files after an intended
change with::

    HPCEST_UPDATE_GOLDEN=1 python -m pytest tests/test_golden_scripts.py

and review the diff (``git diff tests/golden``) as you would review a script before submitting it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from hpc_estimator import (
    Chainer,
    DataReference,
    Dataset,
    Datastore,
    Estimator,
    Gloo,
    Mpi,
    Nccl,
    ParameterServer,
    PyTorch,
    SKLearn,
    TensorFlow,
)
from hpc_estimator.cluster.profile import ClusterProfile, VmSize

RUN_ID = "golden_1790000000_0123abcd"
EXPERIMENT = "golden"
WORKDIR = "/scratch/alice/hpcest"
RUN_DIR = f"{WORKDIR}/runs/{RUN_ID}"
SRC = "/home/alice/project/src"


def _profile(name: str, runtime: str, **extra: Any) -> ClusterProfile:
    return ClusterProfile(
        name=name,
        transport="ssh",
        host="login.cluster.example.org",
        user="alice",
        workdir=WORKDIR,
        partition="batch",
        account="ml-team",
        gpus_per_node=4,
        container_runtime=runtime,
        image_cache="/scratch/alice/.cache/hpcest/images",
        lowpriority_qos="scavenger",
        lowpriority_partition="preempt",
        vm_sizes={
            "Standard_NC24s_v3": VmSize(partition="gpu", gpus=4, cpus=24),
            "Standard_D4_v2": VmSize(partition="batch", cpus=8, mem_mb=28000),
        },
        prologue=("module load apptainer/1.3",) if runtime == "apptainer" else (),
        env={"OMPI_MCA_btl": "^openib"},
    )


PROFILES = {
    "apptainer": _profile("hpc", "apptainer"),
    "singularity": _profile("hpc", "singularity"),
    "charliecloud": _profile("hpc", "charliecloud"),
    "none": _profile("hpc", "none"),
}

DATA = Datastore("projects", "/lustre/projects/ml")


def _plain() -> Any:
    return Estimator(SRC, compute_target="hpc", entry_script="train.py",
                     script_params={"--epochs": 10, "--lr": 0.01, "--verbose": ""},
                     max_run_duration_seconds=7200)


def _single_gpu() -> Any:
    return Estimator(SRC, compute_target="hpc", entry_script="train.py", use_gpu=True,
                     custom_docker_image="nvcr.io/nvidia/pytorch:24.01-py3", shm_size="16g")


def _mpi_gpu() -> Any:
    return Estimator(SRC, compute_target="hpc", entry_script="train.py", node_count=2,
                     process_count_per_node=4, distributed_backend="mpi", use_gpu=True,
                     custom_docker_image="horovod/horovod:0.28.1")


def _horovod() -> Any:
    return TensorFlow(SRC, compute_target="hpc", entry_script="tf_horovod.py", node_count=2,
                      distributed_training=Mpi(process_count_per_node=2), use_gpu=True,
                      framework_version="2.3", script_params={"--batch-size": 64})


def _torch_nccl() -> Any:
    return PyTorch(SRC, compute_target="hpc", entry_script="ddp.py", node_count=2,
                   process_count_per_node=4, distributed_training=Nccl(), use_gpu=True,
                   framework_version="1.6", vm_size="Standard_NC24s_v3")


def _torch_gloo_cpu() -> Any:
    return PyTorch(SRC, compute_target="hpc", entry_script="ddp.py", node_count=2,
                   process_count_per_node=2, distributed_training=Gloo(), framework_version="1.6")


def _tf_ps() -> Any:
    return TensorFlow(SRC, compute_target="hpc", entry_script="ps_train.py", node_count=2,
                      distributed_training=ParameterServer(worker_count=2, parameter_server_count=1),
                      framework_version="1.13")


def _chainer_mpi() -> Any:
    return Chainer(SRC, compute_target="hpc", entry_script="chainermn_train.py", node_count=2,
                   process_count_per_node=2, distributed_backend="mpi", use_gpu=True,
                   framework_version="7.0.0")


def _sklearn() -> Any:
    return SKLearn(SRC, compute_target="hpc", entry_script="fit.py",
                   script_params={"--kernel": "rbf", "--C": 1.0}, framework_version="0.20.3")


def _inputs_mounted() -> Any:
    images = DATA.path("imagenet/train").as_mount()
    labels = DataReference(DATA, data_reference_name="labels", path_on_datastore="labels",
                           mode="download")
    ds = Dataset.File.from_files("/lustre/projects/ml/cifar10").as_named_input("cifar").as_mount()
    return Estimator(SRC, compute_target="hpc", entry_script="train.py",
                     script_params={"--data": images, "--labels": labels, "--extra": ds},
                     inputs=[images, labels, ds])


def _lowpriority() -> Any:
    return Estimator(SRC, compute_target="hpc", entry_script="train.py", vm_size="Standard_D4_v2",
                     vm_priority="lowpriority", max_run_duration_seconds=86400,
                     environment_variables={"MY_SETTING": "a value with spaces"})


def _packages() -> Any:
    return Estimator(SRC, compute_target="hpc", entry_script="train.py",
                     pip_packages=["scikit-learn==1.3.2", "pandas>=2"], conda_packages=["numpy"])


CASES: dict[str, tuple[Callable[[], Any], str]] = {
    "plain_single_node": (_plain, "apptainer"),
    "mpi_2x4_gpu": (_mpi_gpu, "apptainer"),
    "horovod_tensorflow_mpi": (_horovod, "apptainer"),
    "pytorch_nccl_2x4": (_torch_nccl, "apptainer"),
    "pytorch_gloo_cpu": (_torch_gloo_cpu, "apptainer"),
    "tensorflow_ps_2w_1ps": (_tf_ps, "apptainer"),
    "chainer_mpi": (_chainer_mpi, "apptainer"),
    "sklearn": (_sklearn, "apptainer"),
    "runtime_apptainer": (_single_gpu, "apptainer"),
    "runtime_singularity": (_mpi_gpu, "singularity"),
    "runtime_charliecloud": (_plain, "charliecloud"),
    "runtime_none": (_torch_gloo_cpu, "none"),
    "inputs_mounted": (_inputs_mounted, "apptainer"),
    "lowpriority": (_lowpriority, "apptainer"),
    "packages_layered": (_packages, "apptainer"),
}


def build(name: str) -> tuple[Any, ClusterProfile]:
    factory, profile = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return factory(), PROFILES[profile]
