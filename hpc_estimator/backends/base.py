"""What every backend offers the Run/Experiment layer."""

from __future__ import annotations

import io
import posixpath
import tarfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..cluster.profile import ClusterProfile
from ..errors import SchedulerError, TransportError
from ..job.spec import JobSpec
from ..snapshot.staging import StageStats
from ..transport.base import Progress, Transport
from .image_gc import ImageStore
from .status import StatusUpdate

# One line of news for the user (image fetch started, still running, done).
Report = Callable[[str], None]

SCRIPT_NAME = "job.sbatch"


@dataclass(frozen=True)
class JobRef:
    """A submitted job as a backend needs to know it."""

    key: str  # the caller's name for it (a run id); status answers are keyed by it
    job_id: str
    run_dir: str
    # Seconds since the scheduler first answered without listing the job (None: listed last time).
    unseen_for: float | None = None


@dataclass(frozen=True)
class Submitted:
    job_id: str
    run_dir: str
    files_sent: int = 0
    bytes_sent: int = 0


class SubmissionInDoubt(TransportError):
    """The submit command was sent, but whether Slurm queued the job is not known: its reply was lost
    (or it answered that an earlier attempt's outcome is not known yet).

    ``retry()`` runs the command again (it submits nothing twice) and returns the job id, or raises
    this again while the outcome stays unknown, or SchedulerError when sbatch refused the job.
    """

    def __init__(
        self,
        message: str,
        *,
        run_dir: str,
        retry: Callable[[], str],
        files_sent: int = 0,
        bytes_sent: int = 0,
    ) -> None:
        super().__init__(message)
        self.run_dir = run_dir
        self.retry = retry
        self.files_sent = files_sent
        self.bytes_sent = bytes_sent


class SubmissionInterrupted(KeyboardInterrupt):
    """Ctrl-C arrived while the submit command ran: the job may or may not have been queued. Still a
    KeyboardInterrupt for the caller; the run is recorded as in doubt, not Failed."""

    def __init__(self, run_dir: str) -> None:
        super().__init__()
        self.run_dir = run_dir


class Placement(Protocol):
    """What preparing a submission asks of a backend (a dry run answers it without a connection)."""

    name: str
    # Set by resolved_profile when container_runtime = "auto" needs saying (e.g. found no runtime).
    runtime_note: str | None

    def resolved_profile(self, profile: ClusterProfile) -> ClusterProfile:
        """``profile`` with ``~`` in cluster paths replaced by the cluster user's home and "auto" resolved."""
        ...

    def run_dir_for(self, run_id: str) -> str:
        """Absolute run directory on the machine that runs the job."""
        ...


class Backend(Placement, Protocol):
    """Where jobs run: ``local`` (this machine, no Slurm) or ``slurm`` (through a transport)."""

    @property
    def transport(self) -> Transport: ...

    def snapshot_store(self) -> tuple[str, str]:
        """(content store, root of the run directories) on the machine that runs the jobs."""
        ...

    def image_store(self) -> ImageStore | None:
        """Where the cluster keeps fetched images and image-build job directories (``hpcest gc``);
        None where images are not collected."""
        ...

    def active_workdirs(self) -> frozenset[str]:
        """The working directories of this user's jobs the scheduler lists as not ended; raises
        TransportError / SchedulerError when it cannot be asked (then nothing may be taken as unused)."""
        ...

    def provide_image(self, spec: JobSpec, *, report: Report | None = None) -> str | None:
        """Make the job's image exist in the image cache before the job is queued (the profile's
        ``image_fetch``); returns the id of a build job the run must wait for, if one was queued.
        Raises with the tool's own words when the fetch or build fails."""
        ...

    def submit(
        self,
        run_id: str,
        spec: JobSpec,
        script: str,
        source_directory: str,
        *,
        progress: Progress | None = None,
        after: Sequence[str] = (),
    ) -> Submitted:
        """Stage and queue the job; ``after``: job ids it may only start after (they must succeed)."""
        ...

    def poll(self, jobs: Sequence[JobRef]) -> dict[str, StatusUpdate]:
        """The state of each job, keyed by ``JobRef.key``."""
        ...

    def cancel(self, job: JobRef) -> None: ...

    def close(self) -> None: ...


def prepare_run_dir(
    transport: Transport,
    run_dir: str,
    cas: str,
    spec: JobSpec,
    script: str,
    source_directory: str,
    *,
    progress: Progress | None = None,
) -> StageStats:
    """Stage the snapshot into ``run_dir/src``, then write the job script and the in-job library.

    The small files travel as one tar archive on the standard input of one remote command (a
    round trip each would dominate submission over SSH).
    """
    from ..snapshot.staging import build_manifest, stage

    source = Path(source_directory)
    umask = spec.umask or "0022"
    stats = stage(
        transport, build_manifest(source), source, posixpath.join(run_dir, "src"), cas, progress=progress, umask=umask
    )
    files = {SCRIPT_NAME: (script, 0o755)}
    for staged in spec.staged_files:
        files[staged.path] = (staged.text, staged.mode)
    result = transport.run(
        ["sh", "-c", 'umask "$2" && mkdir -p "$1/hpcest-logs" && tar -x -f - -C "$1"', "hpcest-files", run_dir, umask],
        stdin=_tar(files, umask=umask),
    )
    if not result.ok:
        raise TransportError(f"cannot write the job files into {run_dir}: {result.stderr.strip()}")
    return stats


def _tar(files: Mapping[str, tuple[str | None, int]], *, umask: str | None = None) -> bytes:
    """A tar archive of ``files`` (name -> (text, mode); text None is a directory).

    With ``umask`` the modes are masked by it in the archive itself: tar run as root restores the
    archive's modes as they are, whatever the umask of the shell that unpacks it.
    """
    mask = int(umask, 8) if umask else 0
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, (text, mode) in files.items():
            info = tarfile.TarInfo(name)
            info.mode, info.mtime = mode & ~mask, int(time.time())
            if text is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
                continue
            data = text.encode("utf-8")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def fetch_image_here(transport: Transport, spec: JobSpec, *, report: Report | None = None) -> None:
    """Fetch or build the job's image into the image cache by running the fetch block through
    ``transport`` (the login node's network and fakeroot), with a progress line every 15 s."""
    import threading

    from ..job import image_fetch

    container = spec.container
    if not image_fetch.fetched_at_submission(container):
        return
    assert container.image is not None
    check = transport.run(image_fetch.present_argv(container))
    if check.ok:
        return
    say = report or (lambda line: None)
    say(f"fetching image {container.image_source} into {container.image} (first use on this cluster)")
    started = time.monotonic()
    done = threading.Event()

    def ticker() -> None:
        while not done.wait(15.0):
            try:
                probe = transport.run(image_fetch.size_probe(container), timeout=30)
                size = int(probe.stdout.strip() or 0) if probe.ok else 0
            except (TransportError, ValueError):
                size = 0
            say(f"  still fetching: {size / 1e6:.0f} MB after {time.monotonic() - started:.0f} s")

    thread = threading.Thread(target=ticker, daemon=True)
    thread.start()
    try:
        result = transport.run(image_fetch.login_script(container), timeout=IMAGE_FETCH_TIMEOUT_S)
    finally:
        done.set()
        thread.join(timeout=1)
    if not result.ok:
        words = (result.stderr.strip() or result.stdout.strip())[-2000:]
        raise SchedulerError(
            f"cannot fetch image {container.image_source} on the cluster (nothing was queued):\n{words}\n"
            "Check the image name and the registry login (apptainer registry login), or set "
            "image_fetch = \"job\" / \"build-job\" in the cluster profile if only compute nodes can fetch it."
        )
    say(f"image ready in {time.monotonic() - started:.0f} s")


# Pulls of multi-GB images and package builds take long; a fetch stuck for hours is still an error.
IMAGE_FETCH_TIMEOUT_S = 4 * 3600.0
