"""compile: Azure semantics → JobSpec (resources, launch kind, inputs, images, errors)."""

from __future__ import annotations

import warnings

import pytest

from hpc_estimator import (
    Environment,
    Estimator,
    MpiConfiguration,
    Nccl,
    ParameterServer,
    PyTorch,
    PyTorchConfiguration,
    ScriptRunConfig,
    TensorFlow,
)
from hpc_estimator.cluster.profile import ClusterProfile, VmSize
from hpc_estimator.compile import compile_job
from hpc_estimator.compile.command import IMAGE_PYTHON
from hpc_estimator.errors import ConfigError, UserErrorException

PROFILE = ClusterProfile(
    name="hpc", workdir="/w", partition="batch", gpus_per_node=4, container_runtime="apptainer",
    image_cache="/cache", vm_sizes={"Standard_NC6": VmSize(partition="gpu", gpus=1)},
)


def _compile(config, profile=PROFILE):
    return compile_job(config, profile=profile, run_id="r_1_a", run_dir="/w/runs/r_1_a", experiment="e")


def _est(cls=Estimator, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(".", compute_target="hpc", entry_script="train.py", **kw)


def test_plain_estimator_is_one_task_with_v1_argv() -> None:
    spec = _compile(_est(script_params={"--lr": 0.1, "--flag": "", "--n": [1, 2]})).spec
    # The image's own interpreter (python3 or python, whichever it has) runs v1's argv.
    assert spec.argv[:len(IMAGE_PYTHON)] == IMAGE_PYTHON
    assert spec.argv[len(IMAGE_PYTHON):] == ("train.py", "--lr", "0.1", "--flag", "--n", "1", "2")
    assert (spec.resources.nodes, spec.resources.total_tasks, spec.launcher.kind) == (1, 1, "single")


def test_mpi_backend_string_gives_nodes_times_processes_ranks() -> None:
    spec = _compile(_est(node_count=2, process_count_per_node=4, distributed_backend="mpi")).spec
    assert spec.launcher.kind == "mpi"
    assert (spec.resources.nodes, spec.resources.tasks_per_node) == (2, 4)


def test_pytorch_nccl_estimator_gives_one_task_per_node_as_v1() -> None:
    """v1 ran one torch.distributed process per node with Nccl() (process_count_per_node is not used)."""
    compiled = _compile(_est(PyTorch, node_count=2, process_count_per_node=4, distributed_training=Nccl(),
                             use_gpu=True, framework_version="1.6"))
    spec = compiled.spec
    assert spec.launcher.kind == "torch"
    assert (spec.resources.nodes, spec.resources.tasks_per_node, spec.resources.gpus_per_node) == (2, 1, 4)
    assert any("PyTorchConfiguration(process_count=8, node_count=2)" in w for w in compiled.warnings)
    # v1's scenario pins the public image lacks are layered onto it; Horovod needs the site's MPI and is not.
    definition = spec.container.definition or ""
    assert spec.container.gpu and "From: pytorch/pytorch:1.6.0-cuda10.1-cudnn7-runtime" in definition
    assert "tensorboard==1.14.0 future==0.17.1" in definition and "horovod" not in definition
    assert ("NCCL_TREE_THRESHOLD", "0") in spec.env


def test_tensorflow_parameter_server_counts_workers_plus_ps() -> None:
    spec = _compile(_est(TensorFlow, distributed_training=ParameterServer(worker_count=2, parameter_server_count=1),
                         framework_version="2.2")).spec
    assert spec.launcher.kind == "tf_ps"
    assert (spec.launcher.worker_count, spec.launcher.ps_count, spec.resources.total_tasks) == (2, 1, 3)


def test_script_run_config_distributions() -> None:
    mpi = ScriptRunConfig(".", script="t.py", compute_target="hpc",
                          distributed_job_config=MpiConfiguration(process_count_per_node=2, node_count=3))
    torch = ScriptRunConfig(".", script="t.py", compute_target="hpc",
                            distributed_job_config=PyTorchConfiguration(process_count=8, node_count=2))
    assert _compile(mpi).spec.resources.total_tasks == 6
    spec = _compile(torch).spec
    assert (spec.launcher.kind, spec.resources.nodes, spec.resources.tasks_per_node) == ("torch", 2, 4)


def test_script_run_config_default_duration_sets_no_time_limit() -> None:
    spec = _compile(ScriptRunConfig(".", script="t.py", compute_target="hpc")).spec
    assert spec.scheduler.time_limit_s is None


def test_unknown_vm_size_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"Standard_ND40.*known: Standard_NC6.*vm_sizes"):
        _compile(_est(vm_size="Standard_ND40"))


def test_vm_size_picks_partition_and_gpus() -> None:
    spec = _compile(_est(vm_size="Standard_NC6")).spec
    assert (spec.scheduler.partition, spec.resources.gpus_per_node) == ("gpu", 1)


def test_lowpriority_without_profile_qos_warns_and_requeues() -> None:
    compiled = _compile(_est(vm_priority="lowpriority"))
    assert compiled.spec.scheduler.requeue
    assert any("lowpriority" in w for w in compiled.warnings)


def test_use_docker_false_runs_bare_with_profile_python() -> None:
    spec = _compile(_est(use_docker=False)).spec
    assert spec.container.runtime == "none" and spec.argv[0] == "python3"


def test_curated_environment_maps_to_framework_image() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        env = Environment.get(None, "AzureML-TensorFlow-2.3-GPU")
    spec = _compile(ScriptRunConfig(".", script="t.py", compute_target="hpc", environment=env)).spec
    assert spec.container.image_source == "docker://tensorflow/tensorflow:2.3.0-gpu"


def test_pip_packages_are_layered_through_a_definition_file() -> None:
    spec = _compile(_est(pip_packages=["requests==2.31.0"])).spec
    assert spec.container.definition and "pip install --no-cache-dir requests==2.31.0" in spec.container.definition
    assert spec.container.image_source.endswith(".def")


def test_input_path_with_comma_is_refused_with_the_fix() -> None:
    from hpc_estimator import DataReference, Datastore

    ref = DataReference(Datastore("d", "/data/a,b"), data_reference_name="x")
    with pytest.raises(ConfigError, match="cannot express; move or symlink"):
        _compile(_est(script_params={"--d": ref}, inputs=[ref]))


def test_torch_process_count_must_divide_over_nodes() -> None:
    src = ScriptRunConfig(".", script="t.py", compute_target="hpc")
    src.run_config.communicator = "Nccl"
    src.run_config.node_count = 2
    src.run_config.pytorch.process_count = 3
    with pytest.raises(UserErrorException, match="does not divide evenly"):
        _compile(src)


def test_notebook_entry_script_is_refused_with_conversion_hint() -> None:
    with pytest.raises(UserErrorException, match="nbconvert"):
        _compile(ScriptRunConfig(".", script="train.ipynb", compute_target="hpc"))
