"""What v1 would run: the one resolved description every submittable configuration gives compile.

Azure ML v1 spread the meaning of a run over an estimator's constructor arguments, its
``RunConfiguration`` and the service that read it. Each submittable class (the estimators,
ScriptRunConfig, and later pipeline steps and HyperDrive trials) resolves that meaning here, once,
into a frozen :class:`ResolvedRun`: the command, how processes are distributed, which image and
which packages, the data it reads and writes, the environment variables, the requested VM size and
priority, and the time limit. The compile stage lowers this description into a Slurm ``JobSpec`` and never looks at
the v1 objects themselves.

Only plain values live here; nothing in this module knows Slurm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

# -- distribution ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SingleProcess:
    """One process (v1 communicator ``None``)."""


@dataclass(frozen=True)
class MpiRanks:
    """``process_count_per_node`` MPI ranks on each node (v1 ``IntelMpi``/``Mpi``: MPI, Horovod)."""

    process_count_per_node: int


@dataclass(frozen=True)
class TorchProcesses:
    """``process_count`` torch.distributed processes in total (v1 ``Gloo``/``Nccl``)."""

    process_count: int
    backend: Literal["gloo", "nccl"]


@dataclass(frozen=True)
class ParameterServers:
    """TensorFlow parameter-server training: workers plus parameter servers (v1 ``ParameterServer``)."""

    worker_count: int
    parameter_server_count: int


Distribution = SingleProcess | MpiRanks | TorchProcesses | ParameterServers


# -- software -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FrameworkImage:
    """The framework's own image of a version (v1 framework estimators and curated environments)."""

    framework: str  # "PyTorch", "TensorFlow", "Chainer", "SKLearn"
    version: str
    gpu: bool
    # The pip pins v1's scenario installed with the framework (e.g. torch==1.6.0, horovod==0.19.5).
    pins: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImageReference:
    """An image named by the user or v1's default base image."""

    reference: str  # a registry reference ("repo/img:tag") or an absolute path on the cluster
    # v1's DEFAULT_CPU_IMAGE / DEFAULT_GPU_IMAGE, chosen because nothing else was named.
    is_default: bool = False
    # ContainerRegistry credentials v1 would have used; the cluster must hold its own login.
    registry_username: str | None = None


Image = FrameworkImage | ImageReference


@dataclass(frozen=True)
class Packages:
    """Packages to install on top of the image (empty when the image already has everything)."""

    pip: tuple[str, ...] = ()
    conda: tuple[str, ...] = ()
    conda_channels: tuple[str, ...] = ()
    pip_options: tuple[str, ...] = ()  # "--index-url URL", "--extra-index-url URL", ...

    def __bool__(self) -> bool:
        return bool(self.pip or self.conda)


# -- data -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataInput:
    """A data reference or dataset the run consumes, as a path on the cluster's shared filesystem.

    ``token`` is the text v1 put into the arguments in its place (``$AZUREML_DATAREFERENCE_<name>``
    or ``DatasetConsumptionConfig:<name>``); the job sees the data's local path there instead.
    """

    name: str
    source: str
    mode: str  # "mount" | "download" (anything else is refused when lowered)
    token: str
    path_on_compute: str | None = None


@dataclass(frozen=True)
class DataOutput:
    """A directory on the cluster's shared filesystem the run writes its output into.

    A pipeline step's PipelineData output: ``token`` (``$AZUREML_DATAREFERENCE_<name>``) in the
    arguments, and the variable ``AZUREML_DATAREFERENCE_<name>``, become the directory's path as the
    job sees it. The directory exists before the job starts.
    """

    name: str
    path: str
    token: str


# -- the whole run --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScriptChecks:
    """v1's submission-time checks of the entry script (``_show_lint_warnings`` / ``_show_package_warnings``)."""

    lint: bool = False
    packages: bool = False


@dataclass(frozen=True)
class ResolvedRun:
    """Everything v1 would run for one configuration, decided by the v1 class that holds it."""

    config_kind: str  # the v1 class, for descriptions ("PyTorch", "ScriptRunConfig")
    source_directory: str
    # With a script: ``python <script> <arguments...>``. Without: ``arguments`` is the whole command.
    script: str | None
    arguments: tuple[str, ...]
    target: str | None  # compute target name; None: the workspace's default
    node_count: int
    distribution: Distribution
    use_docker: bool
    image: Image
    gpu: bool
    packages: Packages = field(default_factory=Packages)
    interpreter: str = "python"
    shm_size: str | None = None
    # The training process's environment, in v1's precedence (later entries win).
    environment_variables: tuple[tuple[str, str], ...] = ()
    inputs: tuple[DataInput, ...] = ()
    outputs: tuple[DataOutput, ...] = ()
    vm_size: str | None = None
    vm_priority: Literal["dedicated", "lowpriority"] = "dedicated"
    time_limit_s: int | None = None  # None: no limit asked for
    checks: ScriptChecks = field(default_factory=ScriptChecks)
    # What ``retarget`` needs to decide v1's target-dependent defaults again for another target:
    # whether the configuration itself chose ``use_docker`` (False: it is the target's usual), and
    # the checks the class asked for before the target ruled some out (None: ``checks`` are final).
    docker_given: bool = True
    checks_asked: ScriptChecks | None = None
    # What v1 told (or should have told) the user about this configuration, shown at submission.
    notes: tuple[str, ...] = ()


@runtime_checkable
class Submittable(Protocol):
    """A configuration that ``Experiment.submit`` accepts."""

    @property
    def source_directory(self) -> str: ...

    def _resolved_run(self) -> ResolvedRun:
        """What v1 would run, resolved from the configuration's current state."""
        ...
