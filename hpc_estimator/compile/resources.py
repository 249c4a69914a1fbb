"""Lowering: distribution and VM size -> how many nodes, tasks, CPUs and GPUs the job asks for."""

from __future__ import annotations

import math

from ..cluster.profile import ClusterProfile, VmSize
from ..errors import ConfigError
from ..job.spec import LaunchSpec, ResourceSpec
from ..v1.resolved import Distribution, MpiRanks, ParameterServers, ResolvedRun, SingleProcess, TorchProcesses

# The port v1 gave torch.distributed's rendezvous (MASTER_PORT).
TORCH_MASTER_PORT = 6105


def launch_layout(distribution: Distribution, node_count: int) -> tuple[LaunchSpec, int, int, int | None]:
    """(launch, nodes, tasks per node, total tasks when they do not fill nodes evenly)."""
    if isinstance(distribution, SingleProcess):
        return LaunchSpec(kind="single"), 1, 1, None
    if isinstance(distribution, MpiRanks):
        return LaunchSpec(kind="mpi"), node_count, distribution.process_count_per_node, None
    if isinstance(distribution, TorchProcesses):
        per_node = distribution.process_count // node_count
        return LaunchSpec(kind="torch", master_port=TORCH_MASTER_PORT), node_count, per_node, None
    if isinstance(distribution, ParameterServers):
        workers, servers = distribution.worker_count, distribution.parameter_server_count
        if workers < 1 or servers < 0:
            raise ConfigError(
                f"TensorFlow parameter-server jobs need worker_count >= 1 and parameter_server_count >= 0, "
                f"got {workers} and {servers}"
            )
        total = workers + servers
        # One task per node where there are enough nodes; Slurm packs the rest (block distribution).
        nodes = max(1, min(node_count, total))
        return LaunchSpec(kind="tf_ps", worker_count=workers, ps_count=servers), nodes, 1, total
    raise AssertionError(f"unknown distribution {distribution!r}")  # pragma: no cover


def vm_size_of(run: ResolvedRun, profile: ClusterProfile) -> VmSize | None:
    """What the run's v1 ``vm_size`` means on this cluster (None when it names none)."""
    if not run.vm_size:
        return None
    size = profile.vm_sizes.get(run.vm_size)
    if size is None:
        known = ", ".join(sorted(profile.vm_sizes)) or "none configured"
        raise ConfigError(
            f"vm_size {run.vm_size!r} is not known to cluster profile {profile.name!r} (known: {known}); "
            f"add it under [clusters.{profile.name}.vm_sizes.{run.vm_size}] in hpcest.toml"
        )
    return size


def lower_resources(run: ResolvedRun, profile: ClusterProfile) -> tuple[ResourceSpec, LaunchSpec]:
    launch, nodes, per_node, ntasks = launch_layout(run.distribution, run.node_count)
    launch = LaunchSpec(
        kind=launch.kind,
        mpi_plugin=profile.mpi_plugin,
        master_port=launch.master_port,
        worker_count=launch.worker_count,
        ps_count=launch.ps_count,
    )
    size = vm_size_of(run, profile)
    gpus = size.gpus if size else 0
    cpus_per_task = max(1, size.cpus // (ntasks or per_node)) if size and size.cpus else None
    if run.gpu and gpus == 0:
        # The profile says how many GPUs a node has; without it, one per process on the node.
        gpus = profile.gpus_per_node or (math.ceil(ntasks / nodes) if ntasks else per_node)
    resources = ResourceSpec(
        nodes=nodes,
        tasks_per_node=per_node,
        ntasks=ntasks,
        cpus_per_task=cpus_per_task,
        gpus_per_node=gpus,
        gres_name=profile.gres_name,
        mem_per_node_mb=size.mem_mb if size else None,
    )
    return resources, launch
