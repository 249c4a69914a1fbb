"""What every backend offers the Run/Experiment layer."""

from __future__ import annotations

import io
import posixpath
import tarfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..cluster.profile import ClusterProfile
from ..errors import TransportError
from ..job.spec import JobSpec
from ..snapshot.staging import StageStats
from ..transport.base import Progress, Transport
from .status import StatusUpdate

SCRIPT_NAME = "job.sbatch"


@dataclass(frozen=True)
class JobRef:
    """A submitted job as a backend needs to know it."""

    key: str  # the caller's name for it (a run id); status answers are keyed by it
    job_id: str
    run_dir: str


@dataclass(frozen=True)
class Submitted:
    job_id: str
    run_dir: str
    files_sent: int = 0
    bytes_sent: int = 0


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

    def submit(
        self, run_id: str, spec: JobSpec, script: str, source_directory: str, *, progress: Progress | None = None
    ) -> Submitted: ...

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
    stats = stage(transport, build_manifest(source), source, posixpath.join(run_dir, "src"), cas, progress=progress)
    files = {SCRIPT_NAME: (script, 0o755)}
    for staged in spec.staged_files:
        files[staged.path] = (staged.text, staged.mode)
    result = transport.run(
        ["sh", "-c", 'mkdir -p "$1/hpcest-logs" && tar -x -f - -C "$1"', "hpcest-files", run_dir],
        stdin=_tar(files),
    )
    if not result.ok:
        raise TransportError(f"cannot write the job files into {run_dir}: {result.stderr.strip()}")
    return stats


def _tar(files: dict[str, tuple[str, int]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, (text, mode) in files.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
