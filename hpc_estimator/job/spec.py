"""The neutral job description: the single seam between Azure semantics and Slurm.

Everything that builds a ``JobSpec`` (``hpc_estimator.compile``) knows Azure ML v1;
everything that consumes one (``render.py``, launchers, containers, backends) knows Slurm and
containers and nothing of Azure. A ``JobSpec`` is frozen and holds only plain values, so two
equal specs render byte-identical scripts.

Counts are inferred the PSI/J way: give ``nodes`` and ``tasks_per_node`` and the rest follows.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Literal

LaunchKind = Literal["single", "mpi", "torch", "tf_ps"]
RuntimeName = Literal["apptainer", "singularity", "charliecloud", "none"]


@dataclass(frozen=True)
class ResourceSpec:
    """What the job asks Slurm for."""

    nodes: int = 1
    tasks_per_node: int = 1
    # When set, the job asks for this many tasks in total and Slurm spreads them over ``nodes``
    # (block distribution); used where the count does not divide evenly (TF parameter servers).
    ntasks: int | None = None
    cpus_per_task: int | None = None
    gpus_per_node: int = 0
    gres_name: str = "gpu"
    mem_per_node_mb: int | None = None
    exclusive: bool = False

    def __post_init__(self) -> None:
        if self.nodes < 1:
            raise ValueError(f"nodes must be >= 1, got {self.nodes}")
        if self.tasks_per_node < 1:
            raise ValueError(f"tasks_per_node must be >= 1, got {self.tasks_per_node}")
        if self.ntasks is not None and self.ntasks < self.nodes:
            raise ValueError(f"ntasks ({self.ntasks}) must be >= nodes ({self.nodes})")
        if self.gpus_per_node < 0:
            raise ValueError(f"gpus_per_node must be >= 0, got {self.gpus_per_node}")

    @property
    def total_tasks(self) -> int:
        return self.ntasks if self.ntasks is not None else self.nodes * self.tasks_per_node


@dataclass(frozen=True)
class Bind:
    """A host path made visible inside the container."""

    source: str
    target: str
    read_only: bool = False


@dataclass(frozen=True)
class ContainerSpec:
    """How each rank's command is wrapped in a container runtime.

    ``image`` is what the runtime runs: for apptainer/singularity a ``.sif`` path in the
    content-addressed image cache (``image_source`` is the ``docker://`` reference it is built
    from once, before any rank starts); for charliecloud an unpacked image directory.
    """

    runtime: RuntimeName = "none"
    image: str | None = None
    image_source: str | None = None
    gpu: bool = False
    binds: tuple[Bind, ...] = ()
    workdir: str | None = None
    shm_size: str | None = None
    cleanenv: bool = True
    # Apptainer/Singularity definition file text, built once into ``image`` when packages are
    # layered onto the base image (``image_source`` is then the path the file is written to).
    definition: str | None = None
    # Environment variable names (or NAME_* patterns) each rank passes into a container that starts
    # with a clean environment.
    forward_env: tuple[str, ...] = ()
    # Where ``image_source`` becomes ``image``: inside the job before the ranks start ("job"), or
    # before the job is queued ("submission": on the login node, or by a build job it depends on),
    # in which case the job only checks that the image is there.
    fetch_at: Literal["job", "submission"] = "job"


@dataclass(frozen=True)
class InputSpec:
    """Data a job reads, from a path on the cluster's shared filesystem.

    ``mount``: the path is bound read-only at ``<run>/inputs/<name>`` (containers) or used in
    place (no container). ``download``: it is copied into ``<run>/inputs/<name>`` before the
    ranks start, so the job never writes to the source.
    """

    name: str
    source: str
    mode: Literal["mount", "download"] = "mount"


@dataclass(frozen=True)
class OutputSpec:
    """A directory on the cluster's shared filesystem the job writes into (pipeline step output).

    The job creates it before the ranks start; in a container it is bound writable at
    ``<run>/pipeline-data/<name>``, without one the ranks use the path itself.
    """

    name: str
    path: str


@dataclass(frozen=True)
class LaunchSpec:
    """How ranks are started across the allocation.

    - ``single``: one task runs the command.
    - ``mpi``: ``srun --mpi=<mpi_plugin>`` starts nodes x tasks_per_node ranks (MPI, Horovod).
    - ``torch``: one task per process; each gets RANK/WORLD_SIZE/LOCAL_RANK/NODE_RANK and
      MASTER_ADDR (first host of the allocation) / MASTER_PORT.
    - ``tf_ps``: ``worker_count`` workers and ``ps_count`` parameter servers, each with its own
      ``TF_CONFIG``.
    """

    kind: LaunchKind = "single"
    mpi_plugin: str = "pmix"
    master_port: int = 29500
    worker_count: int = 0
    ps_count: int = 0
    tf_port: int = 2222


@dataclass(frozen=True)
class SchedulerSpec:
    """Scheduler-facing options that are not resources."""

    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    constraint: str | None = None
    reservation: str | None = None
    time_limit_s: int | None = None
    requeue: bool = False
    array: str | None = None
    dependency: str | None = None
    extra_directives: tuple[str, ...] = ()


# Job arrays: one script, task N runs in its own run directory. A JobSpec compiled for "every task"
# carries these markers where the task number belongs (run directory, run id) and one argv item
# standing for the task's own arguments; the renderer turns them into shell expansions.
ARRAY_TASK = "\x1ehpcest-array-task\x1e"
ARRAY_ARGS = "\x1ehpcest-array-args\x1e"


@dataclass(frozen=True)
class ArraySpec:
    """A job array whose task N runs ``<sweep_dir>/<trials_dir>/N`` with the arguments on line N of a file.

    ``sweep_dir`` holds what every task shares: the staged snapshot (``src/``), the in-job library
    (``.hpcest/``) and ``args_file``, whose lines are ``<task>\t<shell-quoted arguments>``.
    """

    sweep_dir: str
    args_file: str = "trial_args.tsv"
    trials_dir: str = "trials"


@dataclass(frozen=True)
class StagedFile:
    """A file written into the run directory beside the job script (e.g. the in-job library)."""

    path: str  # relative to the run directory
    text: str
    mode: int = 0o644


@dataclass(frozen=True)
class JobSpec:
    """A whole job: what to run, where, with what, and how to launch it."""

    name: str
    argv: tuple[str, ...]
    run_dir: str
    resources: ResourceSpec = field(default_factory=ResourceSpec)
    launcher: LaunchSpec = field(default_factory=LaunchSpec)
    container: ContainerSpec = field(default_factory=ContainerSpec)
    scheduler: SchedulerSpec = field(default_factory=SchedulerSpec)
    env: tuple[tuple[str, str], ...] = ()
    inputs: tuple[InputSpec, ...] = ()
    outputs: tuple[OutputSpec, ...] = ()
    # GPU binding per rank: "local_rank" slices the node's CUDA_VISIBLE_DEVICES by local rank.
    gpu_bind: Literal["local_rank", "none"] = "local_rank"
    # Relative to run_dir; ``%j`` etc. are expanded by Slurm.
    stdout: str = "hpcest-logs/slurm-%j.out"
    stderr: str | None = None
    # Shell lines run before the launch (module loads); trusted cluster-profile content.
    prologue: tuple[str, ...] = ()
    # The working directory of every rank, relative to run_dir (the source snapshot).
    workdir: str = "src"
    exit_code_file: str = "exit_code"
    staged_files: tuple[StagedFile, ...] = ()
    # Path-like variables whose value goes in front of what the site's environment (modules) set.
    path_prepend: tuple[str, ...] = ()
    # File creation mask of the job (e.g. "0077": outputs private to the user); None: the site's.
    umask: str | None = None
    array: ArraySpec | None = None

    def __post_init__(self) -> None:
        if not self.argv:
            raise ValueError("JobSpec.argv must not be empty")
        for key, _ in self.env:
            if not key or not (key[0].isalpha() or key[0] == "_") or not all(c.isalnum() or c == "_" for c in key):
                raise ValueError(
                    f"environment variable name {key!r} is not a valid shell name "
                    "(letters, digits and '_', not starting with a digit)"
                )
        if self.umask is not None and not re.fullmatch(r"0?[0-7]{3}", self.umask):
            raise ValueError(f"umask {self.umask!r} must be three or four octal digits, e.g. 0077")
        if self.launcher.kind == "tf_ps":
            wanted = self.launcher.worker_count + self.launcher.ps_count
            if wanted != self.resources.total_tasks:
                raise ValueError(
                    f"tf_ps launch needs worker_count + ps_count ({wanted}) tasks, "
                    f"but resources give {self.resources.total_tasks}"
                )

    @property
    def env_dict(self) -> dict[str, str]:
        return dict(self.env)


def spec_as_dict(spec: JobSpec) -> dict[str, object]:
    """``spec`` as plain data for JSON (golden files, ``--dry-run --json``).

    Staged files appear by path and mode only: their text is hpcest's own in-job library, the same
    for every job, and would bury what the job asks for.
    """
    data = asdict(spec)
    if spec.array is None:
        del data["array"]  # single jobs describe themselves exactly as before arrays existed
    data["staged_files"] = [{"path": f.path, "mode": oct(f.mode)} for f in spec.staged_files]
    return data
