"""The neutral job state every backend reports (PSI/J style); v1's status words are the runs' business."""

from __future__ import annotations

from enum import Enum


class JobState(str, Enum):
    """Where a job is in its life, whatever scheduler runs it."""

    QUEUED = "queued"  # waiting for resources, a dependency or a requeue
    STARTING = "starting"  # resources granted, the job is being set up (nodes booting, prologue)
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def is_terminal(self) -> bool:
        return self in (JobState.COMPLETED, JobState.FAILED, JobState.CANCELED)
