"""How the scheduler's answer and the job's exit-code file combine into a v1 status."""

from __future__ import annotations

from hpc_estimator.backends.status import resolve
from hpc_estimator.slurm import JobState


def test_pending_is_queued_with_reason() -> None:
    upd = resolve(JobState("1", "PENDING", reason="Resources"), None)
    assert (upd.status, upd.detail) == ("Queued", "Resources")


def test_running_job_whose_shell_wrote_its_code_is_final() -> None:
    assert resolve(JobState("1", "COMPLETING"), "0\n").status == "Completed"


def test_timeout_keeps_the_reason() -> None:
    upd = resolve(JobState("1", "TIMEOUT", exit_code=0), "143\n")
    assert upd.status == "Failed" and "TIMEOUT" in (upd.detail or "")


def test_purged_job_uses_exit_file() -> None:
    assert resolve(None, "0\n").status == "Completed"
    upd = resolve(None, "3\n")
    assert (upd.status, upd.exit_code) == ("Failed", 3)


def test_purged_job_without_exit_file_fails_with_explanation() -> None:
    upd = resolve(None, None, started=True)
    assert upd.status == "Failed" and "without writing its exit code" in (upd.detail or "")


def test_canceled_by_user_after_purge() -> None:
    assert resolve(None, "143\n", cancel_requested=True).status == "Canceled"
    assert resolve(None, None, cancel_requested=True).status == "Canceled"
