"""A backend that contacts nothing: the real preparation of a submission, for ``--dry-run``.

It answers the two questions preparation asks a backend (which profile, after ``~`` and
``container_runtime = "auto"`` are resolved, and where the run directory is) without a
connection, and refuses to submit. So a dry run prints exactly the script a submission would send.
"""

from __future__ import annotations

import os
import posixpath
import shutil
from collections.abc import Sequence
from pathlib import Path

from ..cluster.profile import ClusterProfile
from ..errors import ConfigError
from ..job.spec import JobSpec
from ..transport.base import Progress
from .base import JobRef, Report, Submitted
from .status import StatusUpdate


class DryRunBackend:
    name = "dry-run"
    runtime_note: str | None = None

    def __init__(
        self, profile: ClusterProfile, *, runs_root: Path | None = None, on_this_machine: bool = False
    ) -> None:
        """``on_this_machine``: the jobs would run here (the local target), so ``~`` and "auto" are
        resolved against this machine; else ``~`` is shown as the cluster user's usual home."""
        self.profile = profile
        self.runs_root = runs_root
        self.on_this_machine = on_this_machine

    def resolved_profile(self, profile: ClusterProfile) -> ClusterProfile:
        if self.on_this_machine:
            profile, self.runtime_note = profile.with_runtime_detected(shutil.which)
            return profile.with_home(os.path.expanduser("~"))
        # Not contacting the cluster: "auto" cannot be asked, so it shows as the runtime it most
        # often finds; ~ as the usual home directory of the cluster user.
        if profile.container_runtime == "auto":
            profile, _ = profile.with_runtime_detected(lambda c: c if c == "apptainer" else None)
            self.runtime_note = (
                "container_runtime = 'auto' is decided on the cluster at submission (apptainer, singularity or "
                "ch-run, whichever the login node has); this dry run shows apptainer"
            )
        return profile.with_home(f"/home/{profile.user or os.environ.get('USER', 'user')}")

    def run_dir_for(self, run_id: str) -> str:
        if self.runs_root is not None:
            return str(self.runs_root / run_id)
        workdir = self.resolved_profile(self.profile).workdir.rstrip("/")
        if not workdir.startswith("/"):
            raise ConfigError(
                f"cluster profile {self.profile.name!r}: workdir {self.profile.workdir!r} must be absolute "
                "or start with ~"
            )
        return posixpath.join(workdir, "runs", run_id)

    def provide_image(self, spec: JobSpec, *, report: Report | None = None) -> str | None:
        return None  # a dry run fetches nothing; the script shows where the image will be

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
        raise ConfigError("a dry run submits nothing")

    def poll(self, jobs: Sequence[JobRef]) -> dict[str, StatusUpdate]:
        return {}

    def cancel(self, job: JobRef) -> None:
        raise ConfigError("a dry run has no jobs to cancel")

    def close(self) -> None:
        pass
