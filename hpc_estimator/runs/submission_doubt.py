"""Single runs whose submission is in doubt: the submit command was sent, its reply never came back.

The submit command (``slurm.recorded_submit``) leaves its outcome in the run directory: the job id,
sbatch's refusal, or a marker that it started. When its reply is lost, submission asks again for up
to ``submission.SUBMIT_PATIENCE_S`` (through the outage-proof wait of ``runs.waiting``); after that
the run is recorded IN_DOUBT_STATUS without a job id, and every later status poll asks the run
directory (and squeue, by the unique job name) until the outcome is known. Only "the command never
reached sbatch", "sbatch refused" or "the command is gone and nothing was queued" (the submit
command's own evidence, see ``slurm.recorded_submit``) make it Failed: a job that may be queued is
never recorded as failed. Canceling such a run cancels by name, and the job by its id if a later poll finds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..backends import get_backend
from ..backends.base import JobRef
from ..errors import SchedulerError, TransportError
from .store import RunRecord

if TYPE_CHECKING:
    from .workspace import Workspace

# v1's status for a run hpcest has no answer about; with no job id it marks a submission in doubt.
IN_DOUBT_STATUS = "NotResponding"


def submission_in_doubt(record: RunRecord) -> bool:
    """A single Slurm run whose submit command may have queued a job whose id is not known yet."""
    return (
        record.kind == "run"
        and record.backend == "slurm"
        and not record.job_id
        and bool(record.remote_dir)
        and record.status in (IN_DOUBT_STATUS, "CancelRequested")
    )


def settle_in_doubt(
    workspace: Workspace, target: str, records: Sequence[RunRecord]
) -> tuple[list[RunRecord], dict[str, str]]:
    """Ask ``target`` in one command what the in-doubt submissions of ``records`` left behind.

    Returns the runs that now have a job id (to be polled as usual) and, for the runs whose outcome is
    still not known, why. A run found after a cancel was asked for is canceled by its id. Raises
    TransportError when the cluster cannot be asked (every run stays as it was).
    """
    from ..backends.slurm import SlurmBackend

    backend = get_backend(workspace, target)
    if not records or not isinstance(backend, SlurmBackend):
        return [], {}
    outcomes = backend.find_submissions([(r.run_id, r.remote_dir or "") for r in records])
    store = workspace.run_store
    known: list[RunRecord] = []
    unknown: dict[str, str] = {}
    for record in records:
        outcome = outcomes[record.run_id]
        canceling = record.status == "CancelRequested"
        if outcome.job_id is not None:
            if canceling:
                try:
                    backend.cancel(JobRef(record.run_id, outcome.job_id, record.remote_dir or ""))
                except (SchedulerError, TransportError) as exc:
                    # Still in doubt until the job is canceled: the next poll tries again.
                    unknown[record.run_id] = f"job {outcome.job_id} found, but canceling it failed: {exc}"
                    continue
            store.set_job_id(record.run_id, outcome.job_id)
            if not canceling:
                store.update_status(
                    record.run_id, "Queued", detail=f"job {outcome.job_id} found after the submission reply was lost"
                )
            known.append(store.get(record.run_id))
        elif outcome.how == "refused":
            words = outcome.why or "sbatch exited non-zero and printed nothing"
            store.update_status(record.run_id, "Failed", detail=f"submission failed: sbatch refused the job: {words}")
        elif outcome.how == "never":
            if canceling:
                store.update_status(record.run_id, "Canceled", detail=f"canceled before it was queued ({outcome.why})")
            else:
                detail = f"submission failed: {outcome.why}; submit it again"
                store.update_status(record.run_id, "Failed", detail=detail)
        else:
            detail = (
                f"submission unknown: {outcome.why} (sbatch still running, or the command was killed). Check with "
                f"`squeue --name={record.run_id}` or `sacct --name={record.run_id}`; `hpcest cancel {record.run_id}` "
                "cancels any job of that name"
            )
            store.update_status(record.run_id, record.status, detail=detail)
            unknown[record.run_id] = detail
    return known, unknown


def cancel_in_doubt(workspace: Workspace, record: RunRecord) -> None:
    """Cancel a run whose submission is in doubt: by its unique job name now, and by its id if a later
    status poll finds the job after all."""
    from ..backends.slurm import SlurmBackend

    backend = get_backend(workspace, record.target)
    if isinstance(backend, SlurmBackend):
        backend.cancel_by_name(record.run_id, record.remote_dir or "")
    workspace.run_store.update_status(
        record.run_id,
        "CancelRequested",
        detail=f"cancel requested by user while the submission was in doubt (scancel --name={record.run_id}); "
        "a job found later is canceled by its id",
    )
