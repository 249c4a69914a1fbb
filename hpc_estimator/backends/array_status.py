"""The state of many job-array tasks: one squeue call, then the tasks' own exit-code files.

A sweep's trials are tasks of one or a few job arrays (``<array id>_<task>``). ``squeue --array``
prints one line per task, pending ones included, so one call answers for a whole sweep (more only
for more arrays than one command can name); tasks squeue no longer knows (finished and purged
after MinJobAge, or never started) are decided by the files each trial wrote into its own run
directory, by the same rules as single runs
(:func:`hpc_estimator.backends.status.resolve`): a query that got no answer (slurmctld down or
restarting, a timeout) decides nothing, and a task neither listed nor finished is declared lost
only after the grace period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import slurm
from ..errors import CommandTimeout
from ..transport.base import Transport
from ..util.argv_chunks import argv_chunks
from .job_files import read_job_files
from .status import DEFAULT_GRACE_S, QUERY_TIMEOUT_S, Observation, StatusUpdate, files_may_settle, resolve


@dataclass(frozen=True)
class TaskRef:
    key: str  # the caller's name (a trial run id)
    job_id: str  # "<array id>_<task>"
    run_dir: str  # the trial's own run directory
    unseen_for: float | None = None  # seconds since the scheduler first answered without listing it


@dataclass(frozen=True)
class TaskQuery:
    """One squeue over some arrays: the tasks it listed, or why it got no answer."""

    known: dict[str, slurm.SlurmJob] = field(default_factory=dict)
    unanswered: str | None = None  # None: the scheduler answered (an empty answer included)

    @property
    def answered(self) -> bool:
        return self.unanswered is None


def squeue_tasks(transport: Transport, job_ids: Sequence[str]) -> TaskQuery:
    """Every task of the given arrays (and plain jobs) the scheduler still knows, keyed
    ``<array>_<task>``, in one squeue (more only for more ids than fit one command:
    ``util.argv_chunks``). One squeue without an answer is no answer for the whole query (the rest
    are not asked; what the earlier ones listed is kept). A transport failure raises (nothing could
    be asked)."""
    known: dict[str, slurm.SlurmJob] = {}
    for chunk in argv_chunks(sorted(set(job_ids))):
        try:
            result = transport.run(slurm.squeue_argv(chunk), timeout=QUERY_TIMEOUT_S)
        except CommandTimeout as exc:
            return TaskQuery(known=known, unanswered=str(exc))
        why = slurm.unanswered(result)
        if why is not None:
            return TaskQuery(known=known, unanswered=why)
        # "Invalid job id" (every id purged after MinJobAge) is an answer: nothing listed.
        if result.ok:
            known.update(slurm.parse_squeue(result.stdout))
    return TaskQuery(known=known)


def poll_tasks(
    transport: Transport,
    tasks: Sequence[TaskRef],
    *,
    query: TaskQuery | None = None,
    grace: float = DEFAULT_GRACE_S,
) -> dict[str, StatusUpdate]:
    """The state of each task; ``query`` is an squeue answer the caller already has (else one is made)."""
    if not tasks:
        return {}
    if query is None:
        query = squeue_tasks(transport, [t.job_id.split("_", 1)[0] for t in tasks])
    known = query.known
    need = [t for t in tasks if files_may_settle(known.get(t.job_id))]
    files = read_job_files(transport, [(t.key, t.run_dir) for t in need])
    updates: dict[str, StatusUpdate] = {}
    for task in tasks:
        exit_text, started, cancel, end_reason = files.get(task.key, (None, False, False, None))
        observation = Observation(
            scheduler=known.get(task.job_id),
            scheduler_answered=query.answered,
            exit_file=exit_text,
            started=started,
            cancel_requested=cancel,
            end_reason=end_reason,
            unanswered=query.unanswered,
        )
        updates[task.key] = resolve(observation, unseen_for=task.unseen_for, grace=grace)
    return updates
