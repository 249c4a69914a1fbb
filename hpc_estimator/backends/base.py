"""What every backend offers the Run/Experiment layer."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ..jobspec import JobSpec
from ..profile import ClusterProfile
from ..store import RunRecord
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


def run_path(record: RunRecord, *parts: str) -> str:
    if not record.remote_dir:
        raise ValueError(f"run {record.run_id} has no run directory yet")
    return posixpath.join(record.remote_dir, *parts)


def install_job_library(transport: Transport, run_dir: str, runtime: str) -> None:
    """Put the in-job ``azureml``/``hpc_estimator`` stand-ins beside the run (see jobshim)."""
    from .. import jobshim

    for relpath, text in jobshim.files(container=runtime != "none").items():
        transport.write_text(posixpath.join(run_dir, jobshim.PYLIB, relpath), text)
