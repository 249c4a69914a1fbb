"""Lowering: VM size, priority and time limit -> partition, QOS, requeue and --time."""

from __future__ import annotations

from ..cluster.profile import ClusterProfile
from ..job.spec import SchedulerSpec
from ..v1.resolved import ResolvedRun
from .resources import vm_size_of


def lower_scheduler(run: ResolvedRun, profile: ClusterProfile) -> tuple[SchedulerSpec, list[str]]:
    warnings: list[str] = []
    size = vm_size_of(run, profile)
    partition = (size.partition if size else None) or profile.partition
    qos, requeue = profile.qos, False
    if run.vm_priority == "lowpriority":
        # v1's low-priority VMs could be pre-empted and the run restarted: a requeue-able job.
        requeue = True
        qos = profile.lowpriority_qos or qos
        partition = profile.lowpriority_partition or partition
        if not (profile.lowpriority_qos or profile.lowpriority_partition):
            warnings.append(
                f"vm_priority='lowpriority': profile {profile.name!r} sets no lowpriority_qos or "
                "lowpriority_partition, so the job only becomes requeue-able"
            )
    scheduler = SchedulerSpec(
        partition=partition,
        account=profile.account,
        qos=qos,
        constraint=size.constraint if size else None,
        time_limit_s=run.time_limit_s,
        requeue=requeue,
        extra_directives=profile.extra_directives,
    )
    return scheduler, warnings
