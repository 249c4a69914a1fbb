"""Slurm's reasons for a pending job, explained, and which of them can never resolve by waiting.

A queued run's status detail carries Slurm's reason code (``PartitionNodeLimit``, ``Resources``,
...). Most reasons pass (the cluster is busy); some mean the job as submitted can never start, and
Slurm keeps it queued anyway. ``status`` and ``submit --wait`` show the explanation and the fix for
those, instead of a bare code and an endless wait. Pure: text in, text out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class QueueReason:
    code: str
    meaning: str
    fix: str
    never_starts: bool


def _never(code: str, meaning: str, fix: str) -> QueueReason:
    return QueueReason(code, meaning, fix, True)


_RESUBMIT = "cancel it (hpcest cancel {run}) and submit again"

# Slurm's reason codes (squeue %r, "JOB REASON CODES" in squeue(1)) that waiting cannot clear.
_TABLE: dict[str, QueueReason] = {
    r.code: r
    for r in (
        _never(
            "PartitionNodeLimit",
            "the job asks for more nodes than the partition allows or has (or its nodes are down or drained)",
            _RESUBMIT + " with node_count no larger than the partition's node count (hpcest cluster check {cluster})",
        ),
        _never(
            "PartitionTimeLimit",
            "the job's time limit is longer than the partition's maximum",
            _RESUBMIT + " with a shorter max_run_duration_seconds (the partition's limit: hpcest cluster check "
            "{cluster})",
        ),
        _never(
            "BadConstraints",
            "no node has the features the job's constraint names",
            _RESUBMIT + " with a constraint the nodes offer (the vm_sizes table of the profile)",
        ),
        _never(
            "InvalidAccount",
            "the account does not exist or the user may not use it",
            _RESUBMIT + " after fixing account in the profile (sacctmgr show assoc user=$USER lists yours)",
        ),
        _never(
            "InvalidQOS",
            "the QOS does not exist or the account may not use it",
            _RESUBMIT + " after fixing qos / lowpriority_qos in the profile",
        ),
        _never(
            "DependencyNeverSatisfied",
            "a job this one depends on ended in a way that never satisfies the dependency",
            "cancel it (hpcest cancel {run}); rerun the job it depends on first",
        ),
        _never(
            "QOSMaxNodePerJobLimit",
            "the QOS allows fewer nodes per job than the job asks for",
            _RESUBMIT + " with fewer nodes, or with a QOS that allows them",
        ),
        _never(
            "QOSMaxCpuPerJobLimit",
            "the QOS allows fewer CPUs per job than the job asks for",
            _RESUBMIT + " with fewer processes, or with a QOS that allows them",
        ),
        _never(
            "QOSMaxGRESPerJob",
            "the QOS allows fewer GPUs (gres) per job than the job asks for",
            _RESUBMIT + " with fewer GPUs, or with a QOS that allows them",
        ),
        _never(
            "QOSMaxWallDurationPerJobLimit",
            "the job's time limit is longer than its QOS allows",
            _RESUBMIT + " with a shorter max_run_duration_seconds",
        ),
        _never(
            "AssocMaxNodesPerJobLimit",
            "the account's limits allow fewer nodes per job than the job asks for",
            _RESUBMIT + " with fewer nodes",
        ),
        _never(
            "AssocMaxCpuPerJobLimit",
            "the account's limits allow fewer CPUs per job than the job asks for",
            _RESUBMIT + " with fewer processes",
        ),
        _never(
            "AssocMaxWallDurationPerJobLimit",
            "the job's time limit is longer than the account's limit",
            _RESUBMIT + " with a shorter max_run_duration_seconds",
        ),
        QueueReason("Resources", "waiting for nodes to become free", "", False),
        # Slurm's first answer for a job the partition cannot hold; it turns into PartitionNodeLimit & co.
        QueueReason("PartitionConfig", "the partition cannot give what the job asks for right now", "", False),
        QueueReason("Priority", "other jobs of higher priority are ahead of it", "", False),
        QueueReason("ReqNodeNotAvail", "a node it needs is down, drained or reserved", "", False),
        QueueReason("PartitionDown", "the partition is down (an administrator has to bring it up)", "", False),
        QueueReason("PartitionInactive", "the partition is inactive (an administrator has to activate it)", "", False),
        QueueReason("BeginTime", "its start time has not come yet", "", False),
        QueueReason("Dependency", "waiting for the jobs it depends on", "", False),
    )
}
_CODE = re.compile(r"[A-Za-z]+")


def find_reason(detail: str | None) -> QueueReason | None:
    """The known reason in a status detail ("PartitionNodeLimit", "PENDING: PartitionNodeLimit", ...)."""
    if not detail:
        return None
    for word in _CODE.findall(detail):
        reason = _TABLE.get(word)
        if reason is not None:
            return reason
    return None


def explain(detail: str | None, *, run_id: str, cluster: str) -> str | None:
    """One paragraph for a queued run whose reason waiting does not clear; None otherwise."""
    reason = find_reason(detail)
    if reason is None or not reason.never_starts:
        return None
    fix = reason.fix.format(run=run_id, cluster=cluster)
    return (
        f"run {run_id} will not start as submitted ({reason.code}: {reason.meaning}); Slurm keeps it queued "
        f"anyway: {fix}."
    )


def describe(detail: str | None) -> str | None:
    """A short meaning for any known reason (for the status table), e.g. "waiting for nodes to become free"."""
    reason = find_reason(detail)
    return None if reason is None else reason.meaning
