"""Slurm job states -> the neutral JobState (one table)."""

from __future__ import annotations

import re

from ..job.state import JobState

_STATES = {
    "PENDING": JobState.QUEUED,
    # a requeued job goes back to PENDING and will run again: from the user's side it is queued
    "REQUEUED": JobState.QUEUED,
    "REQUEUE_HOLD": JobState.QUEUED,
    "REQUEUE_FED": JobState.QUEUED,
    "RESV_DEL_HOLD": JobState.QUEUED,
    "CONFIGURING": JobState.STARTING,
    "RUNNING": JobState.RUNNING,
    "COMPLETING": JobState.RUNNING,
    "SIGNALING": JobState.RUNNING,
    "STAGE_OUT": JobState.RUNNING,
    # RESIZING: the allocation changes size while the job keeps running
    "RESIZING": JobState.RUNNING,
    # SUSPENDED/STOPPED: the job keeps its allocation and resumes later; there is no "paused"
    # state, and a terminal one would end a wait too early
    "SUSPENDED": JobState.RUNNING,
    "STOPPED": JobState.RUNNING,
    "COMPLETED": JobState.COMPLETED,
    "FAILED": JobState.FAILED,
    "TIMEOUT": JobState.FAILED,
    "NODE_FAIL": JobState.FAILED,
    "OUT_OF_MEMORY": JobState.FAILED,
    "BOOT_FAIL": JobState.FAILED,
    "DEADLINE": JobState.FAILED,
    # PREEMPTED is only a final state when the job was not requeued (else it shows PENDING)
    "PREEMPTED": JobState.FAILED,
    "SPECIAL_EXIT": JobState.FAILED,
    "CANCELLED": JobState.CANCELED,
    "REVOKED": JobState.CANCELED,
}


def normalize_state(raw: str) -> tuple[str, str | None]:
    """``"CANCELLED by 0"`` -> ``("CANCELLED", "0")``; ``"RUNNING"`` -> ``("RUNNING", None)``.

    Also drops the ``+`` sacct appends when it truncates a state.
    """
    text = raw.strip()
    by = None
    m = re.match(r"^(\S+)\s+by\s+(\S+)$", text)
    if m:
        text, by = m.group(1), m.group(2)
    return text.rstrip("+").upper(), by


def job_state(slurm_state: str) -> JobState:
    """The neutral state of a Slurm state.

    Unknown (future) states count as running: a non-terminal answer keeps a wait polling, and the
    job's own exit-code file still settles the outcome.
    """
    state, _ = normalize_state(slurm_state)
    return _STATES.get(state, JobState.RUNNING)
