"""Deciding a run's v1 status from what the scheduler and the job itself say (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from ..slurm import JobState


@dataclass(frozen=True)
class StatusUpdate:
    status: str
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
        return StatusUpdate("Completed", None, 0)
    if cancel_requested:
        return StatusUpdate("Canceled", "canceled by user", code)
    if code == 143:
        return StatusUpdate("Failed", "terminated by SIGTERM (time limit or scancel)", code)
    return StatusUpdate("Failed", f"training process exited with code {code}", code)


def resolve(
    scheduler: JobState | None,
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
        status = scheduler.status
        detail = scheduler.state if scheduler.reason is None else f"{scheduler.state}: {scheduler.reason}"
        if scheduler.is_terminal:
            exit_code = scheduler.exit_code if scheduler.exit_code is not None else code
            if status == "Canceled" and scheduler.state == "CANCELLED" and code == 0:
                # Finished just as it was canceled: the work completed.
                return StatusUpdate("Completed", None, 0)
            if status == "Failed" and scheduler.state == "TIMEOUT":
                detail = "TIMEOUT: the job reached its time limit (max_run_duration_seconds)"
            if status == "Completed":
                detail = None  # nothing to explain
            return StatusUpdate(status, detail, exit_code)
        if status == "Queued":
            return StatusUpdate("Queued", scheduler.reason, None)
        if code is not None:
            # The batch shell has written its exit code; Slurm is completing the job.
            return from_exit_code(code, cancel_requested)
        return StatusUpdate(status, scheduler.reason, None)
    if code is not None:
        return from_exit_code(code, cancel_requested)
    if cancel_requested:
        return StatusUpdate("Canceled", "canceled by user; the job left the queue", None)
    if started:
        return StatusUpdate(
            "Failed",
            "the job left the queue without writing its exit code (killed, node failure or purged)",
            None,
        )
    return StatusUpdate(
        "Failed", "the scheduler no longer knows the job and it never started (rejected or purged)", None
    )
