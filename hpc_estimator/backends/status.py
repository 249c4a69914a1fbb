"""Deciding a job's state from what the scheduler and the job itself say (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from ..job.state import JobState
from ..slurm import SlurmJob


@dataclass(frozen=True)
class StatusUpdate:
    state: JobState
    detail: str | None = None
    exit_code: int | None = None


def parse_exit_file(text: str | None) -> int | None:
    if text is None:
        return None
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        return None


def from_exit_code(code: int, cancel_requested: bool = False) -> StatusUpdate:
    if code == 0:
        return StatusUpdate(JobState.COMPLETED, None, 0)
    if cancel_requested:
        return StatusUpdate(JobState.CANCELED, "canceled by user", code)
    if code == 143:
        return StatusUpdate(JobState.FAILED, "terminated by SIGTERM (time limit or scancel)", code)
    return StatusUpdate(JobState.FAILED, f"training process exited with code {code}", code)


def resolve(
    scheduler: SlurmJob | None,
    exit_file: str | None,
    *,
    started: bool = False,
    cancel_requested: bool = False,
) -> StatusUpdate:
    """Combine the scheduler's view (squeue, else sacct) with the job's own exit-code file.

    The scheduler wins while the job is known to it, because it also knows *why* a job ended
    (TIMEOUT, CANCELLED, NODE_FAIL). When it no longer knows the job (accounting off and the job
    purged after MinJobAge), the exit-code file the job wrote decides.
    """
    code = parse_exit_file(exit_file)
    if scheduler is not None:
        state = scheduler.job_state
        detail: str | None = scheduler.state if scheduler.reason is None else f"{scheduler.state}: {scheduler.reason}"
        if state.is_terminal:
            exit_code = scheduler.exit_code if scheduler.exit_code is not None else code
            if state is JobState.CANCELED and scheduler.state == "CANCELLED" and code == 0:
                # Finished just as it was canceled: the work completed.
                return StatusUpdate(JobState.COMPLETED, None, 0)
            if state is JobState.FAILED and scheduler.state == "TIMEOUT":
                detail = "TIMEOUT: the job reached its time limit (max_run_duration_seconds)"
            if state is JobState.COMPLETED:
                detail = None  # nothing to explain
            return StatusUpdate(state, detail, exit_code)
        if state is JobState.QUEUED:
            return StatusUpdate(JobState.QUEUED, scheduler.reason, None)
        if code is not None:
            # The batch shell has written its exit code; Slurm is completing the job.
            return from_exit_code(code, cancel_requested)
        return StatusUpdate(state, scheduler.reason, None)
    if code is not None:
        return from_exit_code(code, cancel_requested)
    if cancel_requested:
        return StatusUpdate(JobState.CANCELED, "canceled by user; the job left the queue", None)
    if started:
        return StatusUpdate(
            JobState.FAILED,
            "the job left the queue without writing its exit code (killed, node failure or purged)",
            None,
        )
    return StatusUpdate(
        JobState.FAILED, "the scheduler no longer knows the job and it never started (rejected or purged)", None
    )
