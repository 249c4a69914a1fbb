"""Hand-written JobSpecs whose rendered sbatch scripts are pinned in ``tests/golden/scripts/``.

These sit on the Slurm side of the seam: they exercise the template, the launchers and the
container command builders without any v1 configuration, so a template change rewrites only
these goldens (the config -> JobSpec goldens in ``tests/golden/specs/`` stay as they are).
Regenerate after an intended change with ``HPCEST_UPDATE_GOLDEN=1 python -m pytest tests/test_golden_scripts.py``.
"""

from __future__ import annotations

from hpc_estimator.job.containers import FORWARD_PATTERNS
from hpc_estimator.job.spec import (
    ARRAY_ARGS,
    ARRAY_TASK,
    ArraySpec,
    Bind,
    ContainerSpec,
    InputSpec,
    JobSpec,
    LaunchSpec,
    OutputSpec,
    ResourceSpec,
    SchedulerSpec,
)

RUN = "/scratch/alice/hpcest/runs/golden_1790000000_0123abcd"
CACHE = "/scratch/alice/.cache/hpcest/images"
RUN_BINDS = (Bind(RUN, "/hpcest/run"), Bind(f"{RUN}/src", "/hpcest/run/src", read_only=True))
JOB_ENV = (
    ("AZUREML_RUN_ID", "golden_1790000000_0123abcd"),
    ("AZUREML_EXPERIMENT_NAME", "golden"),
    ("HPCEST_RUN_DIR", "/hpcest/run"),
    ("HPCEST_EXPERIMENT", "golden"),
    ("PYTHONPATH", "/hpcest/run/.hpcest/pylib"),
)
BARE_ENV = (
    ("AZUREML_RUN_ID", "golden_1790000000_0123abcd"),
    ("AZUREML_EXPERIMENT_NAME", "golden"),
    ("HPCEST_RUN_DIR", RUN),
    ("HPCEST_EXPERIMENT", "golden"),
    ("PYTHONPATH", f"{RUN}/.hpcest/pylib"),
)


def _apptainer(
    image_key: str,
    source: str | None,
    *,
    gpu: bool = False,
    binds: tuple[Bind, ...] = RUN_BINDS,
    forward: tuple[str, ...] = FORWARD_PATTERNS,
    runtime: str = "apptainer",
    **extra: object,
) -> ContainerSpec:
    return ContainerSpec(
        runtime=runtime,  # type: ignore[arg-type]
        image=f"{CACHE}/{runtime}-{image_key}.sif",
        image_source=source,
        gpu=gpu,
        binds=binds,
        workdir="/hpcest/run/src",
        forward_env=forward,
        **extra,  # type: ignore[arg-type]
    )


SPECS: dict[str, JobSpec] = {
    # One process on the cluster's own Python: no container, no rank helpers beyond the minimum.
    "single_bare": JobSpec(
        name="golden_1790000000_0123abcd",
        argv=("python3", "train.py", "--epochs", "10", "--lr", "0.01", "--verbose"),
        run_dir=RUN,
        scheduler=SchedulerSpec(partition="batch", account="ml-team", time_limit_s=7200),
        env=BARE_ENV,
    ),
    # One GPU process in an image pulled once into the cache; shm_size, a user variable.
    "single_gpu_apptainer": JobSpec(
        name="golden_1790000000_0123abcd",
        argv=("python", "train.py"),
        run_dir=RUN,
        resources=ResourceSpec(gpus_per_node=1),
        container=_apptainer(
            "0f1e2d3c4b5a69788796a5b4",
            "docker://nvcr.io/nvidia/pytorch:24.01-py3",
            gpu=True,
            shm_size="16g",
            forward=(*FORWARD_PATTERNS, "MY_SETTING"),
        ),
        scheduler=SchedulerSpec(partition="gpu"),
        env=(("MY_SETTING", "a value with spaces; $HOME `x`"), *JOB_ENV),
        prologue=("module load apptainer/1.3",),
    ),
    # MPI: 2 nodes x 4 ranks with 4 GPUs a node (srun --mpi=pmix), prebuilt image path (nothing to fetch).
    "mpi_2x4_gpu": JobSpec(
        name="golden_1790000000_0123abcd",
        argv=("python", "hvd_train.py"),
        run_dir=RUN,
        resources=ResourceSpec(nodes=2, tasks_per_node=4, gpus_per_node=4),
        launcher=LaunchSpec(kind="mpi"),
        container=ContainerSpec(
            runtime="apptainer",
            image="/shared/images/horovod.sif",
            gpu=True,
            binds=RUN_BINDS,
            workdir="/hpcest/run/src",
            forward_env=FORWARD_PATTERNS,
        ),
        scheduler=SchedulerSpec(partition="gpu", account="ml-team"),
        env=(("OMPI_MCA_btl", "^openib"), *JOB_ENV),
    ),
    # torch.distributed: 2 nodes x 4 processes, RANK/WORLD_SIZE/MASTER_ADDR per rank, GPU slice by local rank.
    "torch_2x4_gpu": JobSpec(
        name="golden_1790000000_0123abcd",
        argv=("python", "ddp.py"),
        run_dir=RUN,
        resources=ResourceSpec(nodes=2, tasks_per_node=4, gpus_per_node=4, cpus_per_task=6),
        launcher=LaunchSpec(kind="torch", master_port=6105),
        container=_apptainer(
            "2e0cddf818de2bde58f7b7cd", "docker://pytorch/pytorch:1.6.0-cuda10.1-cudnn7-runtime", gpu=True
        ),
        scheduler=SchedulerSpec(partition="gpu"),
        env=(("NCCL_TREE_THRESHOLD", "0"), *JOB_ENV),
    ),
    # TensorFlow parameter servers: 2 workers + 1 ps over 2 nodes, TF_CONFIG per task from where Slurm put it.
    "tf_ps_2w_1ps": JobSpec(
        name="golden_1790000000_0123abcd",
        argv=("python", "ps_train.py"),
        run_dir=RUN,
        resources=ResourceSpec(nodes=2, tasks_per_node=1, ntasks=3),
        launcher=LaunchSpec(kind="tf_ps", worker_count=2, ps_count=1),
        container=_apptainer("5a5a5a5a5a5a5a5a5a5a5a5a", "docker://tensorflow/tensorflow:1.13.1-py3"),
        scheduler=SchedulerSpec(partition="batch"),
        env=JOB_ENV,
    ),
    # Packages layered onto a base image through a definition file built once (under flock).
    "packages_definition": JobSpec(
        name="golden_1790000000_0123abcd",
        argv=("python", "train.py"),
        run_dir=RUN,
        container=_apptainer(
            "7c7c7c7c7c7c7c7c7c7c7c7c",
            f"{CACHE}/apptainer-7c7c7c7c7c7c7c7c7c7c7c7c.def",
            definition=(
                "Bootstrap: docker\nFrom: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:20251130.v1\n\n%post\n"
                "    python -m pip install --no-cache-dir 'pandas>=2' scikit-learn==1.3.2\n"
            ),
        ),
        env=JOB_ENV,
    ),
    # Singularity with MPI ranks and a mounted plus a downloaded input.
    "singularity_mpi_inputs": JobSpec(
        name="golden_1790000000_0123abcd",
        argv=("python", "train.py", "--data", "/hpcest/run/inputs/images", "--labels", "/hpcest/run/inputs/labels"),
        run_dir=RUN,
        resources=ResourceSpec(nodes=2, tasks_per_node=2),
        launcher=LaunchSpec(kind="mpi", mpi_plugin="pmi2"),
        container=_apptainer(
            "3b3b3b3b3b3b3b3b3b3b3b3b",
            "docker://horovod/horovod:0.28.1",
            runtime="singularity",
            binds=(*RUN_BINDS, Bind("/lustre/projects/ml/imagenet/train", "/hpcest/run/inputs/images", read_only=True)),
        ),
        inputs=(
            InputSpec("images", "/lustre/projects/ml/imagenet/train", "mount"),
            InputSpec("labels", "/lustre/projects/ml/labels", "download"),
        ),
        env=(
            ("AZUREML_DATAREFERENCE_images", "/hpcest/run/inputs/images"),
            ("AZUREML_DATAREFERENCE_labels", "/hpcest/run/inputs/labels"),
            *JOB_ENV,
        ),
    ),
    # Charliecloud: an unpacked image directory built from a registry image, binds without :ro.
    "charliecloud_single": JobSpec(
        name="golden_1790000000_0123abcd",
        argv=("python", "train.py"),
        run_dir=RUN,
        container=ContainerSpec(
            runtime="charliecloud",
            image=f"{CACHE}/charliecloud-4d4d4d4d4d4d4d4d4d4d4d4d",
            image_source="docker://python:3.11-slim",
            binds=(Bind(RUN, "/hpcest/run"),),
            workdir="/hpcest/run/src",
        ),
        env=JOB_ENV,
    ),
    # Scheduler options: low priority (QOS + requeue), constraint, memory, a time limit in days, site directives.
    "scheduler_options": JobSpec(
        name="golden_1790000000_0123abcd",
        argv=("python3", "train.py"),
        run_dir=RUN,
        resources=ResourceSpec(cpus_per_task=8, mem_per_node_mb=28000),
        scheduler=SchedulerSpec(
            partition="preempt",
            account="ml-team",
            qos="scavenger",
            constraint="skylake&ib",
            time_limit_s=86400 * 2 + 30,
            requeue=True,
            extra_directives=("--mail-type=END", "#SBATCH --exclusive"),
        ),
        env=BARE_ENV,
    ),
    # What a site's set-up needs: a private umask, PYTHONPATH put in front of what `module load` set,
    # and an image fetched at submission (the job only checks it is still in the cache).
    "site_setup": JobSpec(
        name="golden_1790000000_0123abcd",
        argv=("sh", "-c", 'exec "$(command -v python3 || command -v python)" "$@"', "python", "train.py"),
        run_dir=RUN,
        container=_apptainer("6e6e6e6e6e6e6e6e6e6e6e6e", "docker://python:3.11-slim", fetch_at="submission"),
        env=JOB_ENV,
        prologue=("module load python/3.11",),
        path_prepend=("PYTHONPATH",),
        umask="0077",
    ),
    # torch processes without a container and without GPUs (the local-size helper is still needed for
    # LOCAL_WORLD_SIZE; the GPU slice is not).
    "torch_cpu_bare": JobSpec(
        name="golden_1790000000_0123abcd",
        argv=("python3", "ddp.py"),
        run_dir=RUN,
        resources=ResourceSpec(nodes=2, tasks_per_node=2),
        launcher=LaunchSpec(kind="torch", master_port=6105),
        env=BARE_ENV,
        prologue=("module load cuda/12.2", "source /opt/site/env.sh"),
    ),
    # A pipeline step: reads one step's output (bound read-only), writes its own (created, bound writable).
    "pipeline_step_data": JobSpec(
        name="golden_1790000000_0123abcd",
        argv=(
            "python", "train.py", "--data", "/hpcest/run/inputs/prepared", "--model", "/hpcest/run/pipeline-data/model",
        ),
        run_dir=RUN,
        container=_apptainer(
            "0f0f0f0f0f0f0f0f0f0f0f0f",
            "docker://python:3.11-slim",
            binds=(
                *RUN_BINDS,
                Bind("/scratch/alice/hpcest/runs/golden_pipe/data/prepared", "/hpcest/run/inputs/prepared", True),
                Bind("/scratch/alice/hpcest/runs/golden_pipe/data/model", "/hpcest/run/pipeline-data/model"),
            ),
        ),
        env=(
            *JOB_ENV,
            ("AZUREML_DATAREFERENCE_prepared", "/hpcest/run/inputs/prepared"),
            ("AZUREML_DATAREFERENCE_model", "/hpcest/run/pipeline-data/model"),
        ),
        inputs=(InputSpec("prepared", "/scratch/alice/hpcest/runs/golden_pipe/data/prepared"),),
        outputs=(OutputSpec("model", "/scratch/alice/hpcest/runs/golden_pipe/data/model"),),
    ),
    # A HyperDrive sweep's job array, bare: task N runs trials/N with the arguments of line N.
    "array_sweep_bare": JobSpec(
        name="golden_1790000000_0123abcd",
        argv=("python3", "train.py", "--epochs", "10", ARRAY_ARGS),
        run_dir=f"{RUN}/trials/{ARRAY_TASK}",
        scheduler=SchedulerSpec(partition="batch", time_limit_s=3600),
        env=tuple(
            (k, v.replace(RUN, f"{RUN}/trials/{ARRAY_TASK}").replace("abcd", f"abcd_{ARRAY_TASK}"))
            for k, v in BARE_ENV
        ),
        stdout="hpcest-logs/slurm-%A_%a.out",
        array=ArraySpec(sweep_dir=RUN),
    ),
    # The same in an apptainer container with GPUs and a data input: binds and workdir follow the task.
    "array_sweep_apptainer_gpu": JobSpec(
        name="golden_1790000000_0123abcd",
        argv=("python", "train.py", "--data", "/hpcest/run/inputs/data", ARRAY_ARGS),
        run_dir=f"{RUN}/trials/{ARRAY_TASK}",
        resources=ResourceSpec(gpus_per_node=1),
        container=_apptainer(
            "3f2a",
            "docker://pytorch/pytorch:2.1.0-cuda12.1-cudnn8-runtime",
            gpu=True,
            binds=(
                Bind(f"{RUN}/trials/{ARRAY_TASK}", "/hpcest/run"),
                Bind(f"{RUN}/trials/{ARRAY_TASK}/src", "/hpcest/run/src", read_only=True),
                Bind("/data/set", "/hpcest/run/inputs/data", read_only=True),
            ),
        ),
        inputs=(InputSpec("data", "/data/set"),),
        env=tuple((k, v.replace("abcd", f"abcd_{ARRAY_TASK}")) for k, v in JOB_ENV),
        stdout="hpcest-logs/slurm-%A_%a.out",
        array=ArraySpec(sweep_dir=RUN),
    ),
}
