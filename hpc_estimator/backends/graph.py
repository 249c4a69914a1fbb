"""A dependency graph of jobs, as backends take it: what to submit, and what came back. Neutral.

A pipeline run's steps are staged and submitted together (``submit_graph``), polled together
(``poll_graph``: one scheduler query for all of them) and cancelled together (``cancel_graph``).
The layout on the cluster is fixed here so every backend builds the same tree::

    <pipeline dir>/steps/<step run id>/     each step's run directory (src/, job.sbatch, logs ...)
    <pipeline dir>/data/<output name>/      the pipeline data the steps write
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..errors import SchedulerError, TransportError, UserErrorException
from ..job.spec import JobSpec
from ..snapshot.combined import stage_many
from ..snapshot.staging import Manifest, StageStats, build_manifest
from ..transport.base import CommandResult, Progress, Transport
from ..util.shellquote import quote
from .base import SCRIPT_NAME, JobRef, _tar
from .status import StatusUpdate

STEPS_DIR = "steps"


def step_run_dir(pipeline_dir: str, step_key: str) -> str:
    return posixpath.join(pipeline_dir, STEPS_DIR, step_key)


@dataclass(frozen=True)
class SideJob:
    """A further batch job of a step, submitted before the step's own job, which waits for it to end
    whatever its outcome (afterany): a HyperDrive step's array chunks and its controller. Paths are
    relative to the step's run directory (also the side job's working directory)."""

    name: str  # its job name (unique in the graph)
    script: str
    id_dir: str  # where its job_id file goes (the run directory is shared)
    sbatch_options: tuple[str, ...] = ()  # e.g. --array=0-9%4
    after_any: tuple[str, ...] = ()  # names of earlier side jobs of the same step
    record: tuple[str, str] | None = None  # (template, target): its id recorded once submitted


@dataclass(frozen=True)
class GraphStep:
    key: str  # the step's run id (also its job name)
    spec: JobSpec
    script: str  # the rendered batch script
    source_directory: str  # local directory snapshotted into <run dir>/src
    after: tuple[str, ...] = ()  # keys of steps of this submission that must complete successfully first
    name: str = ""  # the step's own name, for messages
    side_jobs: tuple[SideJob, ...] = ()
    script_name: str = SCRIPT_NAME  # where ``script`` goes in the run directory
    files: tuple[tuple[str, str, int], ...] = ()  # more files for the run directory: (relative path, text, mode)
    manifest: Manifest | None = None  # of source_directory, when already built (else staging builds it)

    def run_dir(self, pipeline_dir: str) -> str:
        return step_run_dir(pipeline_dir, self.key)


@dataclass(frozen=True)
class GraphSubmission:
    pipeline_dir: str
    steps: tuple[GraphStep, ...]  # every step after the steps it waits for
    # Directories earlier runs wrote that these steps read (reused outputs); nothing is submitted
    # when one of them is gone.
    require_dirs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for step in self.steps:
            missing = [k for k in step.after if k not in seen]
            if missing:
                raise ValueError(f"step {step.key} waits for {missing}, which are not submitted before it")
            seen.add(step.key)


@dataclass(frozen=True)
class GraphSubmitted:
    job_ids: dict[str, str]  # step key -> job id
    side_job_ids: dict[str, str] = field(default_factory=dict)  # side job name -> job id
    files_sent: int = 0
    bytes_sent: int = 0


class GraphSubmitError(SchedulerError):
    """Submitting the graph failed part-way; ``submitted`` are the steps that were submitted."""

    def __init__(self, message: str, submitted: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.submitted = dict(submitted or {})


@runtime_checkable
class GraphBackend(Protocol):
    """A backend that runs pipelines: the local one and Slurm."""

    def submit_graph(self, submission: GraphSubmission, *, progress: Progress | None = None) -> GraphSubmitted: ...

    def poll_graph(self, jobs: Sequence[JobRef]) -> dict[str, StatusUpdate]: ...

    def cancel_graph(self, jobs: Sequence[JobRef]) -> None: ...

    def recorded_job_ids(self, submission: GraphSubmission) -> dict[str, str]: ...


def graph_backend(backend: Any) -> GraphBackend:
    if not isinstance(backend, GraphBackend):
        raise UserErrorException(f"the {getattr(backend, 'name', type(backend).__name__)} backend cannot run pipelines")
    return backend


def missing_data_error(missing: Sequence[str]) -> UserErrorException:
    return UserErrorException(
        f"reused step outputs are gone from the cluster: {', '.join(missing)}; submit again with "
        f"regenerate_outputs=True (hpcest submit --regenerate-outputs) to run those steps anew"
    )


def submission_umask(submission: GraphSubmission) -> str:
    """The umask the pipeline's files are created under: its steps' profile umask (one profile per
    pipeline; should steps differ, the strictest of them, as they share the pipeline directory).
    A spec without one gets 0022, as a single run's directory does (``prepare_run_dir``)."""
    mask = 0
    for step in submission.steps:
        mask |= int(step.spec.umask or "0022", 8)
    return f"{mask:04o}" if submission.steps else "0022"


def stage_steps(
    transport: Transport, submission: GraphSubmission, cas: str, *, progress: Progress | None = None
) -> StageStats | None:
    """Every step's snapshot into ``<pipeline dir>/steps/<key>/src``, in the round trips of one."""
    if not submission.steps:
        return None
    parts = [(s.key, s.manifest or build_manifest(s.source_directory), s.source_directory) for s in submission.steps]
    return stage_many(
        transport, parts, posixpath.join(submission.pipeline_dir, STEPS_DIR), cas, progress=progress,
        umask=submission_umask(submission),
    )


def job_files(submission: GraphSubmission, extra: dict[str, tuple[str, int]] | None = None) -> bytes:
    """A tar archive (relative to the pipeline dir) of each step's batch script, in-job library and log
    dir, with modes masked by the pipeline's umask."""
    entries: dict[str, tuple[str | None, int]] = {}
    for step in submission.steps:
        base = posixpath.join(STEPS_DIR, step.key)
        entries[posixpath.join(base, "hpcest-logs")] = (None, 0o755)
        entries[posixpath.join(base, step.script_name)] = (step.script, 0o755)
        for staged in step.spec.staged_files:
            entries[posixpath.join(base, staged.path)] = (staged.text, staged.mode)
        for relpath, body, file_mode in step.files:
            entries[posixpath.join(base, relpath)] = (body, file_mode)
    for name, (content, mode) in (extra or {}).items():
        entries[name] = (content, mode)
    return _tar(entries, umask=submission_umask(submission))


# The exit status of a write_files_command that did not write its files (umask, mkdir, tar or
# creating a file failed), whatever they printed: apart from every status of what it runs next (a
# graph submit script exits 1 or 3, ``hpc_estimator.slurm.graph``).
WRITE_FAILED_STATUS = 4


def write_files_command(
    directory: str,
    umask: str,
    then: str = "",
    *,
    make_dirs: Sequence[str] = (),
    touch: Sequence[str] = (),
    label: str = "hpcest-graph",
) -> list[str]:
    """``sh -c`` that unpacks the job files (tar on stdin) into ``directory`` under ``umask``, makes
    the directories ``make_dirs`` and creates the files ``touch`` (relative to it; an existing file is
    kept as it is), exiting ``WRITE_FAILED_STATUS`` when any of that fails; then runs ``then`` (which
    sees the directory as ``$1``)."""
    steps = ['umask "$2"', 'mkdir -p "$1"']
    steps += [f'mkdir -p "$1"/{quote(d)}' for d in make_dirs]
    steps.append('tar -x -f - -C "$1"')
    steps += [f': >> "$1"/{quote(f)}' for f in touch]
    script = "{ " + " && ".join(steps) + f"; }} || exit {WRITE_FAILED_STATUS}" + (f"; {then}" if then else "")
    return ["sh", "-c", script, label, directory, umask]


def check_written(
    result: CommandResult, directory: str, *, ran_then: bool = False, what: str = "the pipeline's job files"
) -> None:
    """Raise TransportError when a ``write_files_command`` did not write its files: it exited
    ``WRITE_FAILED_STATUS``, or (a command without ``then``: ``ran_then=False``) it failed at all.
    Any other failure of a command with ``then`` is what ``then`` ran, for the caller to report."""
    if result.returncode == WRITE_FAILED_STATUS or (not ran_then and not result.ok):
        raise TransportError(f"cannot write {what} into {directory}: {result.stderr.strip()}")
