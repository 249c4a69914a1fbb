"""Deciding a job's state from what the scheduler and the job itself say (pure).

A state becomes terminal only on evidence: the exit-code file the job writes when it ends, a
terminal state reported by the scheduler (squeue, else sacct), or the scheduler answering normally
and no longer knowing a job whose exit-code file is still absent after a grace period (shared
filesystems show a new file late; a job killed with SIGKILL never writes one). A query that fails
(controller down, timeout, SSH gone) is not an answer: the last known state stands.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..job.state import JobState
from ..slurm import SlurmJob

# How long a job the scheduler no longer lists may go without an exit-code file before it is
# declared lost (NFS attribute caches hold a new file back for up to a minute by default).
DEFAULT_GRACE_S = 120.0
# How long one scheduler query may take before it counts as no answer: squeue retries an
# unreachable controller for ~20 s before giving up; allow for that and a slow one.
QUERY_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Observation:
    """What one poll saw of one job."""

    scheduler: SlurmJob | None  # the job as squeue (or sacct) listed it; None: not listed
    scheduler_answered: bool = True  # False: the query failed, so "not listed" means nothing
    exit_file: str | None = None  # the job's exit-code file, None while absent
    started: bool = False  # the job's started_at file exists
    cancel_requested: bool = False  # hpcest cancel left its marker
    end_reason: str | None = None  # "timeout" when the job saw its time limit end it
    unanswered: str | None = None  # what the scheduler said instead of answering


@dataclass(frozen=True)
class StatusUpdate:
    state: JobState | None  # None: no evidence either way; the last known state stands
    detail: str | None = None
    exit_code: int | None = None
    # The scheduler answered and did not list the job, which has not written its exit code yet.
    unseen: bool = False
    # Terminal without evidence from the job or the scheduler (declared lost after the grace period):
    # a later exit-code file may still correct it.
    inferred: bool = False
    # The scheduler did not answer (``state`` is None): the job's state is unknown, not unchanged.
    unanswered: bool = False


def files_may_settle(job: SlurmJob | None) -> bool:
    """Whether a job's own files are read to decide its state: when the scheduler no longer lists it,
    lists it as ended, or lists it COMPLETING (its batch shell has ended and written its exit code).
    Not while it is RUNNING: in the first moments of a requeued attempt the exit-code file may still
    be the previous attempt's (the script moves it aside as it starts). One rule for single runs,
    pipeline steps and array tasks."""
    return job is None or job.is_terminal or job.state == "COMPLETING"


def parse_exit_file(text: str | None) -> int | None:
    if text is None:
        return None
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        return None


def from_exit_code(code: int, cancel_requested: bool = False, end_reason: str | None = None) -> StatusUpdate:
    if code == 0:
        return StatusUpdate(JobState.COMPLETED, None, 0)
    if cancel_requested:
        return StatusUpdate(JobState.CANCELED, "canceled by user", code)
    if code == 143 and end_reason == "timeout":
        return StatusUpdate(JobState.FAILED, "TIMEOUT: the job reached its time limit (max_run_duration_seconds)", code)
    if code == 143:
        # SIGTERM before the time limit: scancel (by the user, another tool or an administrator),
        # which Slurm itself reports as CANCELLED while it still lists the job.
        return StatusUpdate(JobState.CANCELED, "terminated by SIGTERM before its time limit (scancel)", code)
    return StatusUpdate(JobState.FAILED, f"training process exited with code {code}", code)


def resolve(obs: Observation, *, unseen_for: float | None = None, grace: float = DEFAULT_GRACE_S) -> StatusUpdate:
    """Combine the scheduler's view with the job's own files.

    ``unseen_for``: seconds since the scheduler first answered without listing this job (None if
    it listed it last time, or never failed to).
    """
    code = parse_exit_file(obs.exit_file)
    job = obs.scheduler
    if job is not None:
        state = job.job_state
        detail: str | None = job.state if job.reason is None else f"{job.state}: {job.reason}"
        if state.is_terminal:
            exit_code = job.exit_code if job.exit_code is not None else code
            if state is JobState.CANCELED and job.state == "CANCELLED" and code == 0:
                # Finished just as it was canceled: the work completed.
                return StatusUpdate(JobState.COMPLETED, None, 0)
            if state is JobState.FAILED and job.state == "TIMEOUT":
                detail = "TIMEOUT: the job reached its time limit (max_run_duration_seconds)"
            elif state is JobState.FAILED and job.state == "FAILED" and exit_code not in (None, 0):
                # Slurm's "FAILED: NonZeroExitCode" says less than the exit code, and must read the
                # same as after the job is purged and only its exit-code file is left.
                detail = from_exit_code(exit_code, end_reason=obs.end_reason).detail
            if state is JobState.COMPLETED:
                detail = None  # nothing to explain
            return StatusUpdate(state, detail, exit_code)
        if state is JobState.QUEUED:
            # A requeued job is queued again even though its previous attempt left an exit code.
            return StatusUpdate(JobState.QUEUED, job.reason, None)
        if code is not None:
            # The batch shell has written its exit code; Slurm is completing the job.
            return from_exit_code(code, obs.cancel_requested, obs.end_reason)
        return StatusUpdate(state, job.reason, None)
    if code is not None:
        return from_exit_code(code, obs.cancel_requested, obs.end_reason)
    if not obs.scheduler_answered:
        why = obs.unanswered or "no answer"
        return StatusUpdate(None, f"the scheduler is not answering ({why}); last known state kept", unanswered=True)
    if obs.cancel_requested:
        return StatusUpdate(JobState.CANCELED, "canceled by user; the job left the queue", None)
    if unseen_for is None or unseen_for < grace:
        return StatusUpdate(None, "the scheduler no longer lists the job; waiting for its exit-code file", unseen=True)
    if obs.started:
        detail = (
            f"the job left the queue without writing its exit code for {int(unseen_for)} s "
            "(killed with SIGKILL, node failure, or purged)"
        )
    else:
        detail = "the scheduler no longer knows the job and it never started (rejected or purged)"
    return StatusUpdate(JobState.FAILED, detail, None, unseen=True, inferred=True)
