"""How the scheduler's answer and the job's exit-code file combine into a job state."""

from __future__ import annotations

from hpc_estimator.backends.status import resolve
from hpc_estimator.job.state import JobState
from hpc_estimator.slurm import SlurmJob


def test_pending_is_queued_with_reason() -> None:
    upd = resolve(SlurmJob("1", "PENDING", reason="Resources"), None)
    assert (upd.state, upd.detail) == (JobState.QUEUED, "Resources")


def test_running_job_whose_shell_wrote_its_code_is_final() -> None:
    assert resolve(SlurmJob("1", "COMPLETING"), "0\n").state is JobState.COMPLETED


def test_timeout_keeps_the_reason() -> None:
    upd = resolve(SlurmJob("1", "TIMEOUT", exit_code=0), "143\n")
    assert upd.state is JobState.FAILED and "TIMEOUT" in (upd.detail or "")


def test_purged_job_uses_exit_file() -> None:
    assert resolve(None, "0\n").state is JobState.COMPLETED
    upd = resolve(None, "3\n")
    assert (upd.state, upd.exit_code) == (JobState.FAILED, 3)


def test_purged_job_without_exit_file_fails_with_explanation() -> None:
    upd = resolve(None, None, started=True)
    assert upd.state is JobState.FAILED and "without writing its exit code" in (upd.detail or "")


def test_canceled_by_user_after_purge() -> None:
    assert resolve(None, "143\n", cancel_requested=True).state is JobState.CANCELED
    assert resolve(None, None, cancel_requested=True).state is JobState.CANCELED
