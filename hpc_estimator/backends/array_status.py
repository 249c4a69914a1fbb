"""The state of many job-array tasks: one squeue call, then the tasks' own exit-code files.

A sweep's trials are tasks of one or a few job arrays (``<array id>_<task>``). ``squeue --array``
prints one line per task, pending ones included, so one call answers for a whole sweep; tasks
squeue no longer knows (finished and purged after MinJobAge, or never started) are decided by
the files each trial wrote into its own run directory, exactly as single runs are
(:func:`hpc_estimator.backends.status.resolve`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .. import slurm
from ..errors import TransportError
from ..transport.base import Transport
from .status import StatusUpdate, resolve


@dataclass(frozen=True)
class TaskRef:
    key: str  # the caller's name (a trial run id)
    job_id: str  # "<array id>_<task>"
    run_dir: str  # the trial's own run directory


# One line per trial directory: "<exit code or ->\t<started 0/1>\t<cancel 0/1>".
_FILES_SH = (
    'for d in "$@"; do '
    'if [ -f "$d/exit_code" ]; then e=$(head -c 32 "$d/exit_code" | tr -d "\\n"); else e=-; fi; '
    '[ -f "$d/started_at" ] && s=1 || s=0; [ -f "$d/cancel_requested" ] && c=1 || c=0; '
    'printf "%s\\t%s\\t%s\\n" "$e" "$s" "$c"; done'
)


def squeue_tasks(transport: Transport, array_ids: Sequence[str]) -> dict[str, slurm.SlurmJob]:
    """Every task of the given arrays the scheduler still knows, keyed ``<array>_<task>`` (one squeue)."""
    if not array_ids:
        return {}
    result = transport.run(slurm.squeue_argv(sorted(set(array_ids))))
    if not result.ok:
        # squeue fails only when *every* id is unknown (all purged after MinJobAge): the files decide.
        if "Invalid job id" in result.stderr:
            return {}
        raise TransportError(f"squeue failed: {result.stderr.strip() or 'no error output'}")
    return slurm.parse_squeue(result.stdout)


def read_task_files(transport: Transport, tasks: Sequence[TaskRef]) -> dict[str, tuple[str | None, bool, bool]]:
    """Exit code, started and cancel markers of many trial directories in one remote command."""
    if not tasks:
        return {}
    result = transport.run(["sh", "-c", _FILES_SH, "hpcest-status", *[t.run_dir for t in tasks]])
    if not result.ok:
        raise TransportError(f"cannot read trial status files: {result.stderr.strip()}")
    out: dict[str, tuple[str | None, bool, bool]] = {}
    for task, line in zip(tasks, result.stdout.splitlines()):
        exit_code, started, cancel = [*line.split("\t"), "", "0", "0"][:3]
        out[task.key] = (None if exit_code in ("-", "") else exit_code, started == "1", cancel == "1")
    return out


def poll_tasks(
    transport: Transport, tasks: Sequence[TaskRef], *, known: dict[str, slurm.SlurmJob] | None = None
) -> dict[str, StatusUpdate]:
    """The state of each task; ``known`` is an squeue answer the caller already has (else one is made)."""
    if not tasks:
        return {}
    if known is None:
        known = squeue_tasks(transport, [t.job_id.split("_", 1)[0] for t in tasks])
    need = [t for t in tasks if t.job_id not in known or known[t.job_id].is_terminal or _running(known[t.job_id])]
    files = read_task_files(transport, need)
    updates: dict[str, StatusUpdate] = {}
    for task in tasks:
        exit_text, started, cancel = files.get(task.key, (None, False, False))
        updates[task.key] = resolve(known.get(task.job_id), exit_text, started=started, cancel_requested=cancel)
    return updates


def _running(job: slurm.SlurmJob) -> bool:
    # A running task may already have written its exit code (Slurm is completing it).
    return not job.is_terminal and job.state != "PENDING"
