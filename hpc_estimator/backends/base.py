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
from ..runs.staging import StageStats
from ..runs.store import RunRecord
from ..transport.base import Progress, Transport
from .status import StatusUpdate

SCRIPT_NAME = "job.sbatch"


@dataclass(frozen=True)
class Submitted:
    job_id: str
    run_dir: str
    files_sent: int = 0
    bytes_sent: int = 0


class Backend(Protocol):
    name: str  # "local" | "slurm"
    transport: Transport
    # Set by resolved_profile when container_runtime = "auto" found no runtime (jobs run bare).
    runtime_note: str | None

    def resolved_profile(self, profile: ClusterProfile) -> ClusterProfile:
        """``profile`` with ``~`` in cluster paths replaced by the cluster user's home."""
        ...

    def run_dir_for(self, run_id: str) -> str:
        """Absolute run directory on the machine that runs the job."""
        ...

    def submit(
        self, run_id: str, spec: JobSpec, script: str, source_directory: str, *, progress: Progress | None = None
    ) -> Submitted: ...

    def poll(self, records: Sequence[RunRecord]) -> dict[str, StatusUpdate]: ...

    def cancel(self, record: RunRecord) -> None: ...

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
    from ..runs.staging import build_manifest, stage
    from ..runtime import jobshim

    source = Path(source_directory)
    stats = stage(transport, build_manifest(source), source, posixpath.join(run_dir, "src"), cas, progress=progress)
    files = {SCRIPT_NAME: (script, 0o755)}
    for relpath, text in jobshim.files(container=spec.container.runtime != "none").items():
        files[posixpath.join(jobshim.PYLIB, relpath)] = (text, 0o644)
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
