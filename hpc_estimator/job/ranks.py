"""Where each rank of a JobSpec lands: node, local rank, GPUs (for ``--dry-run`` tables).

Mirrors what the job script does at run time: block distribution of tasks over nodes, and the
node's GPUs sliced by local rank (shared round-robin when there are fewer GPUs than ranks).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..util.text_table import format_rows
from .spec import JobSpec


@dataclass(frozen=True)
class RankPlacement:
    rank: int
    node: int
    local_rank: int
    gpus: tuple[int, ...]
    role: str


def tasks_per_node(spec: JobSpec) -> list[int]:
    res = spec.resources
    if res.ntasks is None:
        return [res.tasks_per_node] * res.nodes
    nodes = max(1, min(res.nodes, res.ntasks))
    base, extra = divmod(res.ntasks, nodes)
    return [base + (1 if i < extra else 0) for i in range(nodes)]


def gpu_slice(gpus_on_node: int, local_size: int, local_rank: int) -> tuple[int, ...]:
    if gpus_on_node <= 0:
        return ()
    if gpus_on_node >= local_size:
        per = gpus_on_node // local_size
        return tuple(range(local_rank * per, local_rank * per + per))
    return (local_rank % gpus_on_node,)


def placements(spec: JobSpec) -> list[RankPlacement]:
    out: list[RankPlacement] = []
    rank = 0
    kind = spec.launcher.kind
    for node, count in enumerate(tasks_per_node(spec)):
        for local in range(count):
            if kind == "tf_ps":
                workers = spec.launcher.worker_count
                role = f"worker {rank}" if rank < workers else f"ps {rank - workers}"
            elif kind == "mpi":
                role = "mpi rank"
            elif kind == "torch":
                role = "torch process"
            else:
                role = "process"
            gpus = gpu_slice(spec.resources.gpus_per_node, count, local) if spec.gpu_bind == "local_rank" else ()
            out.append(RankPlacement(rank, node, local, gpus, role))
            rank += 1
    return out


def format_table(spec: JobSpec) -> str:
    rows = [("rank", "node", "local rank", "CUDA_VISIBLE_DEVICES", "role")]
    for p in placements(spec):
        gpus = ",".join(str(g) for g in p.gpus) if p.gpus else "-"
        rows.append((str(p.rank), f"node {p.node}", str(p.local_rank), gpus, p.role))
    note = (
        "GPU indices are positions in the node's allocated devices (Slurm sets CUDA_VISIBLE_DEVICES per node)."
        if spec.resources.gpus_per_node
        else ""
    )
    return format_rows(rows) + ("\n" + note if note else "") + "\n"
