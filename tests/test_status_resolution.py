"""How the scheduler's answer and the job's own files combine into a job state (pure).

Protects the rule "terminal only on evidence": the exit-code file, a terminal scheduler state, or
the scheduler answering normally and not knowing a job whose exit-code file is still absent after
the grace period. A query that fails is no answer and changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from hpc_estimator import slurm
from hpc_estimator.backends.status import Observation, resolve
from hpc_estimator.job.state import JobState
from hpc_estimator.slurm import SlurmJob
from hpc_estimator.transport.base import CommandResult

DATA = Path(__file__).parent / "data" / "slurm"


def _obs(job: SlurmJob | None = None, exit_file: str | None = None, **kw: object) -> Observation:
    return Observation(scheduler=job, exit_file=exit_file, **kw)  # type: ignore[arg-type]


def test_pending_is_queued_with_reason() -> None:
    upd = resolve(_obs(SlurmJob("1", "PENDING", reason="Resources")))
    assert (upd.state, upd.detail) == (JobState.QUEUED, "Resources")


def test_running_job_whose_shell_wrote_its_code_is_final() -> None:
    assert resolve(_obs(SlurmJob("1", "COMPLETING"), "0\n")).state is JobState.COMPLETED


def test_requeued_job_is_queued_again_despite_the_old_exit_code() -> None:
    assert resolve(_obs(SlurmJob("1", "PENDING", reason="BeginTime"), "143\n")).state is JobState.QUEUED


def test_timeout_keeps_the_reason() -> None:
    upd = resolve(_obs(SlurmJob("1", "TIMEOUT", exit_code=0), "143\n"))
    assert upd.state is JobState.FAILED and "TIMEOUT" in (upd.detail or "")


def test_failure_reads_the_same_live_and_after_purge() -> None:
    live = resolve(_obs(SlurmJob("1", "FAILED", reason="NonZeroExitCode", exit_code=3), "3\n"))
    purged = resolve(_obs(None, "3\n"))
    assert (live.state, live.detail, live.exit_code) == (purged.state, purged.detail, purged.exit_code)
    assert live.detail == "training process exited with code 3"


def test_time_limit_and_scancel_are_told_apart_after_purge() -> None:
    """Both end in 143; the job records "timeout" when its own time limit ended it. Purged, each
    reads as Slurm said while it still listed them: TIMEOUT is Failed, CANCELLED is Canceled."""
    timeout = resolve(_obs(None, "143\n", end_reason="timeout"))
    cancel = resolve(_obs(None, "143\n"))
    assert timeout.state is JobState.FAILED and "TIMEOUT" in (timeout.detail or "")
    assert cancel.state is JobState.CANCELED and "scancel" in (cancel.detail or "")
    live_timeout = resolve(_obs(SlurmJob("1", "TIMEOUT", exit_code=0), "143\n", end_reason="timeout"))
    live_cancel = resolve(_obs(SlurmJob("1", "CANCELLED", exit_code=0), "143\n"))
    assert (live_timeout.state, live_cancel.state) == (timeout.state, cancel.state)


def test_purged_job_uses_exit_file() -> None:
    assert resolve(_obs(None, "0\n")).state is JobState.COMPLETED
    upd = resolve(_obs(None, "3\n"))
    assert (upd.state, upd.exit_code) == (JobState.FAILED, 3)


def test_an_unanswered_query_is_no_verdict() -> None:
    """Controller down: a job squeue cannot list keeps its last state (None), nothing is inferred."""
    upd = resolve(_obs(None, scheduler_answered=False, started=True,
                       unanswered="Unable to contact slurm controller"), unseen_for=10_000)
    assert upd.state is None and not upd.inferred and not upd.unseen
    assert "not answering" in (upd.detail or "") and "Unable to contact" in (upd.detail or "")


def test_an_unanswered_query_still_sees_the_exit_code_file() -> None:
    assert resolve(_obs(None, "0\n", scheduler_answered=False)).state is JobState.COMPLETED


def test_vanished_job_waits_out_the_grace_period_then_is_declared_lost() -> None:
    first = resolve(_obs(None, started=True), unseen_for=None, grace=120)
    assert (first.state, first.unseen) == (None, True)
    later = resolve(_obs(None, started=True), unseen_for=60, grace=120)
    assert later.state is None
    lost = resolve(_obs(None, started=True), unseen_for=121, grace=120)
    assert (lost.state, lost.inferred) == (JobState.FAILED, True)
    assert "without writing its exit code" in (lost.detail or "")


def test_canceled_by_user_after_purge() -> None:
    assert resolve(_obs(None, "143\n", cancel_requested=True)).state is JobState.CANCELED
    assert resolve(_obs(None, None, cancel_requested=True)).state is JobState.CANCELED


def test_recorded_controller_outage_is_unanswered_but_unknown_ids_are_an_answer() -> None:
    down = CommandResult(("squeue",), 1, "", (DATA / "squeue_controller_down.stderr.txt").read_text())
    assert slurm.unanswered(down) == "slurm_load_jobs error: Unable to contact slurm controller (connect failure)"
    unknown = CommandResult(("squeue",), 1, "", (DATA / "squeue_invalid_job.stderr.txt").read_text())
    assert slurm.unanswered(unknown) is None
    assert slurm.unanswered(CommandResult(("squeue",), 0, "", "")) is None
