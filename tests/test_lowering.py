"""Lowering a ResolvedRun onto a cluster profile: one table per lowering function.

Protects the Slurm meaning of each v1 fact, decided in one small function each: resources
(nodes, tasks, GPUs, CPUs), scheduler (partition, QOS, requeue, time), container (runtime, image,
packages), inputs (binds and copies), command (argv and data tokens) and environment (exported
and forwarded variables). The rows are written by hand from ResolvedRun values, so they do not
depend on how a v1 class produced them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from hpc_estimator import ClusterProfile, VmSize
from hpc_estimator.compile.command import lower_command, substitute
from hpc_estimator.compile.container import choose_runtime, lower_container, lower_image
from hpc_estimator.compile.environment import forwarded_names, lower_environment
from hpc_estimator.compile.inputs import lower_inputs
from hpc_estimator.compile.resources import launch_layout, lower_resources
from hpc_estimator.compile.scheduler import lower_scheduler
from hpc_estimator.errors import ConfigError
from hpc_estimator.job.containers import FORWARD_PATTERNS
from hpc_estimator.v1.resolved import (
    DataInput,
    FrameworkImage,
    ImageReference,
    MpiRanks,
    Packages,
    ParameterServers,
    ResolvedRun,
    SingleProcess,
    TorchProcesses,
)

PROFILE = ClusterProfile(
    name="hpc",
    workdir="/w",
    partition="batch",
    account="ml",
    gpus_per_node=4,
    container_runtime="apptainer",
    image_cache="/cache",
    lowpriority_qos="scavenger",
    vm_sizes={"NC24": VmSize(partition="gpu", gpus=4, cpus=24), "D4": VmSize(cpus=8, mem_mb=28000, constraint="ib")},
)
RUN = ResolvedRun(
    config_kind="Estimator",
    source_directory="/src",
    script="train.py",
    arguments=("--lr", "0.1"),
    target="hpc",
    node_count=1,
    distribution=SingleProcess(),
    use_docker=True,
    image=ImageReference("repo/img:1"),
    gpu=False,
)


def run(**changes: Any) -> ResolvedRun:
    return replace(RUN, **changes)


@pytest.mark.parametrize(
    ("distribution", "nodes_in", "kind", "nodes", "per_node", "ntasks"),
    [
        (SingleProcess(), 1, "single", 1, 1, None),
        (MpiRanks(4), 2, "mpi", 2, 4, None),
        (TorchProcesses(8, "nccl"), 2, "torch", 2, 4, None),
        (TorchProcesses(2, "gloo"), 2, "torch", 2, 1, None),
        (ParameterServers(2, 1), 2, "tf_ps", 2, 1, 3),
        (ParameterServers(1, 1), 4, "tf_ps", 2, 1, 2),  # no more nodes than tasks
    ],
)
def test_launch_layout(
    distribution: Any, nodes_in: int, kind: str, nodes: int, per_node: int, ntasks: int | None
) -> None:
    launch, n, p, t = launch_layout(distribution, nodes_in)
    assert (launch.kind, n, p, t) == (kind, nodes, per_node, ntasks)


@pytest.mark.parametrize(
    ("changes", "nodes", "per_node", "gpus", "cpus", "mem"),
    [
        ({}, 1, 1, 0, None, None),
        ({"gpu": True}, 1, 1, 4, None, None),  # the profile's GPUs per node
        ({"vm_size": "NC24", "distribution": MpiRanks(4), "node_count": 2}, 2, 4, 4, 6, None),  # 24 CPUs / 4 ranks
        ({"vm_size": "D4"}, 1, 1, 0, 8, 28000),
    ],
)
def test_lower_resources(
    changes: dict[str, Any], nodes: int, per_node: int, gpus: int, cpus: int | None, mem: int | None
) -> None:
    res, launch = lower_resources(run(**changes), PROFILE)
    assert (res.nodes, res.tasks_per_node, res.gpus_per_node, res.cpus_per_task, res.mem_per_node_mb) == (
        nodes,
        per_node,
        gpus,
        cpus,
        mem,
    )
    assert launch.mpi_plugin == PROFILE.mpi_plugin


def test_gpus_without_a_profile_count_are_one_per_process() -> None:
    res, _ = lower_resources(
        run(gpu=True, distribution=TorchProcesses(6, "nccl"), node_count=2), replace(PROFILE, gpus_per_node=None)
    )
    assert res.gpus_per_node == 3


def test_unknown_vm_size_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"vm_size 'ND40'.*known: D4, NC24.*vm_sizes\.ND40"):
        lower_resources(run(vm_size="ND40"), PROFILE)


@pytest.mark.parametrize(
    ("changes", "partition", "qos", "requeue", "time", "constraint"),
    [
        ({}, "batch", None, False, None, None),
        ({"vm_size": "NC24"}, "gpu", None, False, None, None),
        ({"vm_size": "D4", "time_limit_s": 3600}, "batch", None, False, 3600, "ib"),
        ({"vm_priority": "lowpriority"}, "batch", "scavenger", True, None, None),
    ],
)
def test_lower_scheduler(
    changes: dict[str, Any], partition: str, qos: str | None, requeue: bool, time: int | None, constraint: str | None
) -> None:
    sched, warnings = lower_scheduler(run(**changes), PROFILE)
    assert (sched.partition, sched.qos, sched.requeue, sched.time_limit_s, sched.constraint) == (
        partition,
        qos,
        requeue,
        time,
        constraint,
    )
    assert sched.account == "ml" and warnings == []


def test_lowpriority_without_a_site_qos_warns() -> None:
    _, warnings = lower_scheduler(run(vm_priority="lowpriority"), replace(PROFILE, lowpriority_qos=None))
    assert warnings and "only becomes requeue-able" in warnings[0]


@pytest.mark.parametrize(
    ("use_docker", "runtime", "expected"),
    [
        (True, "apptainer", "apptainer"),
        (True, "charliecloud", "charliecloud"),
        (False, "apptainer", "none"),
    ],
)
def test_choose_runtime(use_docker: bool, runtime: str, expected: str) -> None:
    assert choose_runtime(run(use_docker=use_docker), replace(PROFILE, container_runtime=runtime)) == expected


@pytest.mark.parametrize(
    ("changes", "source", "layered"),
    [
        ({}, "docker://repo/img:1", None),
        ({"image": ImageReference("/shared/img.sif")}, None, None),  # a prebuilt image: nothing to fetch
        ({"packages": Packages(pip=("einops",))}, "def", "einops"),
        # A framework image: the scenario's pins it lacks are layered, never the MPI-built ones.
        (
            {"image": FrameworkImage("PyTorch", "1.6", False, ("torch==1.6.0", "horovod==0.19.5", "future==0.17.1"))},
            "def",
            "future==0.17.1",
        ),
        (
            {"image": FrameworkImage("TensorFlow", "2.2", True, ("tensorflow-gpu==2.2.0",))},
            "docker://tensorflow/tensorflow:2.2.0-gpu",
            None,
        ),
    ],
)
def test_lower_image(changes: dict[str, Any], source: str | None, layered: str | None) -> None:
    image, image_source, definition, _ = lower_image(run(**changes), "apptainer", PROFILE, gpu=False)
    if source == "def":
        assert image_source and image_source.endswith(".def") and definition and layered in definition
        assert "horovod" not in definition
    else:
        assert (image_source, definition) == (source, None)
    assert image and (image.startswith("/cache/apptainer-") or image == "/shared/img.sif")


def test_packages_without_a_container_are_reported() -> None:
    image, _, _, warnings = lower_image(run(use_docker=False, packages=Packages(pip=("x",))), "none", PROFILE, False)
    assert image is None and "not installed for a run without a container" in warnings[0]


def test_pip_options_and_conda_channels_reach_the_build() -> None:
    packages = Packages(
        pip=("x",),
        conda=("y",),
        conda_channels=("conda-forge",),
        pip_options=("--extra-index-url https://pkgs.example/simple",),
    )
    _, _, definition, _ = lower_image(run(packages=packages), "apptainer", PROFILE, False)
    assert definition is not None
    assert "conda install -y -c conda-forge y" in definition
    assert "pip install --no-cache-dir --extra-index-url https://pkgs.example/simple x" in definition


def test_lower_container_binds_and_forwarding() -> None:
    spec, _ = lower_container(run(), "apptainer", PROFILE, "/w/runs/r", gpus=0, input_binds=(), forward_env=("A",))
    # One writable bind: src/ is this run's own copy of the snapshot (a job may write into it,
    # as on v1's compute), so nothing needs to be read-only to protect other runs.
    assert [(b.source, b.target, b.read_only) for b in spec.binds] == [("/w/runs/r", "/hpcest/run", False)]
    assert spec.workdir == "/hpcest/run/src" and spec.forward_env == ("A",)
    bare, _ = lower_container(
        run(use_docker=False), "none", PROFILE, "/w/runs/r", gpus=0, input_binds=(), forward_env=("A",)
    )
    assert (bare.binds, bare.forward_env, bare.workdir) == ((), (), None)


INPUTS = (
    DataInput("images", "/lustre/imagenet", "mount", "$AZUREML_DATAREFERENCE_images"),
    DataInput("labels", "/lustre/labels", "download", "DatasetConsumptionConfig:labels"),
)


@pytest.mark.parametrize(
    ("runtime", "images_path", "binds"),
    [
        ("apptainer", "/hpcest/run/inputs/images", 1),
        ("none", "/lustre/imagenet", 0),  # a mount without a container is the data's own path
    ],
)
def test_lower_inputs(runtime: str, images_path: str, binds: int) -> None:
    specs, by_token, by_name, input_binds, _ = lower_inputs(run(inputs=INPUTS), runtime, "/w/runs/r")  # type: ignore[arg-type]
    assert [(s.name, s.mode) for s in specs] == [("images", "mount"), ("labels", "download")]
    assert by_token["$AZUREML_DATAREFERENCE_images"] == by_name["images"] == images_path
    assert by_name["labels"].endswith("/inputs/labels") and len(input_binds) == binds


def test_upload_mode_is_refused_with_the_fix() -> None:
    with pytest.raises(ConfigError, match="as_mount\\(\\) or as_download\\(\\)"):
        lower_inputs(run(inputs=(DataInput("out", "/x", "upload", "$AZUREML_DATAREFERENCE_out"),)), "none", "/w")


@pytest.mark.parametrize(
    ("arg", "expected"),
    [
        ("$AZUREML_DATAREFERENCE_images", "/in/images"),
        ("--data=$AZUREML_DATAREFERENCE_images/train", "--data=/in/images/train"),
        ("$AZUREML_DATAREFERENCE_images_b", "/in/images_b"),  # the longer name is not eaten by the shorter
        ("DatasetConsumptionConfig:labels", "/in/labels"),
        ("x DatasetConsumptionConfig:labels", "x DatasetConsumptionConfig:labels"),  # only a whole argument
    ],
)
def test_substitute(arg: str, expected: str) -> None:
    paths = {
        "$AZUREML_DATAREFERENCE_images": "/in/images",
        "$AZUREML_DATAREFERENCE_images_b": "/in/images_b",
        "DatasetConsumptionConfig:labels": "/in/labels",
    }
    assert substitute(arg, paths) == expected


def test_lower_command() -> None:
    assert lower_command(run(), "python", {}) == ("python", "train.py", "--lr", "0.1")
    assert lower_command(run(script=None, arguments=("bash", "go.sh")), "python", {}) == ("bash", "go.sh")


def test_forwarded_names_have_no_duplicates() -> None:
    names = forwarded_names("apptainer", ["PYTHONPATH", "AZUREML_RUN_ID", "NCCL_DEBUG", "MY_VAR", "HOME", "MY_VAR"])
    assert names == (*FORWARD_PATTERNS, "MY_VAR")  # covered by patterns, not forwardable, or repeated: once
    assert forwarded_names("charliecloud", ["MY_VAR"]) == ()  # ch-run passes the host environment through


def test_lower_environment_order_and_pythonpath() -> None:
    env, forward, warnings = lower_environment(
        run(environment_variables=(("PYTHONPATH", "/opt/lib"), ("HOME", "/x"))),
        replace(PROFILE, env={"SITE": "1"}),
        "apptainer",
        run_id="r",
        run_dir="/w/runs/r",
        experiment="e",
        input_paths={"images": "/in"},
    )
    keys = [k for k, _ in env]
    assert keys[0] == "SITE" and "AZUREML_DATAREFERENCE_images" in keys
    assert dict(env)["PYTHONPATH"] == "/hpcest/run/.hpcest/pylib:/opt/lib"
    assert "HOME" in warnings[0] and "HOME" not in forward


def test_invalid_variable_names_and_nul_bytes_are_refused() -> None:
    for variables, message in (((("1X", "v"),), "not valid"), ((("X", "a\x00b"),), "NUL byte")):
        with pytest.raises(ConfigError, match=message):
            lower_environment(
                run(environment_variables=variables),
                PROFILE,
                "none",
                run_id="r",
                run_dir="/w",
                experiment="e",
                input_paths={},
            )
