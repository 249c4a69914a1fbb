"""What ``hpcest cluster check`` learned about a cluster, kept in the workspace for later submissions.

``cluster check`` asks the cluster for its partitions (nodes, CPUs and GPUs per node, time limit)
and MaxArraySize. Those answers are written to ``<workspace>/.hpcest/clusters/<name>.json``;
submissions and dry runs read them back (no connection needed) to warn about a job the cluster can
never start, e.g. more nodes than the partition has, which Slurm would otherwise keep queued
forever with the reason ``PartitionNodeLimit``. The file is a cache: a stale one only costs a
warning, and ``hpcest cluster check NAME`` refreshes it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..job.ranks import tasks_per_node
from ..job.spec import JobSpec
from ..util.atomic import write_atomic
from .store import utc_now

FACTS_DIR = "clusters"
FORMAT = 1


@dataclass(frozen=True)
class PartitionFacts:
    name: str
    default: bool
    nodes: int
    cpus_per_node: int | None  # the largest node's CPUs (None: unknown)
    gpus_per_node: int  # the largest node's GPUs (of the profile's gres name)
    time_limit: str  # Slurm's text: "infinite", "1-00:00:00", "30:00"


@dataclass(frozen=True)
class ClusterFacts:
    cluster: str
    checked_at: str
    partitions: Mapping[str, PartitionFacts] = field(default_factory=dict)
    max_array_size: int | None = None

    def partition(self, name: str | None) -> PartitionFacts | None:
        """The named partition, or the cluster's default one for None."""
        if name is None:
            return next((p for p in self.partitions.values() if p.default), None)
        return self.partitions.get(name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "cluster": self.cluster,
            "checked_at": self.checked_at,
            "max_array_size": self.max_array_size,
            "partitions": {name: asdict(p) for name, p in self.partitions.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClusterFacts:
        partitions = {name: PartitionFacts(**p) for name, p in dict(data.get("partitions") or {}).items()}
        return cls(
            cluster=str(data["cluster"]),
            checked_at=str(data.get("checked_at") or ""),
            partitions=partitions,
            max_array_size=data.get("max_array_size"),
        )


def facts_path(history_dir: Path, cluster: str) -> Path:
    return Path(history_dir) / FACTS_DIR / f"{cluster}.json"


def facts_from_check(cluster: str, report: Mapping[str, Any]) -> ClusterFacts:
    """The facts in a ``cluster check`` report (``CheckReport.as_dict()``)."""
    partitions = {}
    for name, info in dict(report.get("partitions") or {}).items():
        partitions[name] = PartitionFacts(
            name=name,
            default=bool(info.get("default")),
            nodes=len(info.get("nodes") or ()),
            cpus_per_node=info.get("cpus_per_node"),
            gpus_per_node=int(info.get("gpus_per_node") or 0),
            time_limit=str(info.get("time_limit") or ""),
        )
    return ClusterFacts(cluster, utc_now(), partitions, report.get("max_array_size"))


def save_facts(history_dir: Path, facts: ClusterFacts) -> Path:
    path = facts_path(history_dir, facts.cluster)
    write_atomic(path, (json.dumps(facts.as_dict(), indent=2, sort_keys=True) + "\n").encode())
    return path


def load_facts(history_dir: Path, cluster: str) -> ClusterFacts | None:
    """The cached facts of ``cluster``, or None when it was never checked (or the file is unreadable)."""
    path = facts_path(history_dir, cluster)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ClusterFacts.from_dict(data) if data.get("format") == FORMAT else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


_TIME = re.compile(r"^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$")


def slurm_time_seconds(text: str) -> int | None:
    """Seconds in a Slurm time limit ("1-00:00:00", "4:00:00", "30:00", "30"); None for infinite/unknown."""
    m = _TIME.match(text.strip())
    if not m:
        return None
    days, first, second, third = m.groups()
    if days is not None:
        # D-HH, D-HH:MM, D-HH:MM:SS
        hours, minutes, seconds = int(first), int(second or 0), int(third or 0)
        return ((int(days) * 24 + hours) * 60 + minutes) * 60 + seconds
    if third is not None:
        return (int(first) * 60 + int(second)) * 60 + int(third)
    if second is not None:
        return int(first) * 60 + int(second)
    return int(first) * 60  # a bare number is minutes in Slurm


def fit_warnings(spec: JobSpec, facts: ClusterFacts | None) -> list[str]:
    """Why ``spec`` can never start on the cluster ``facts`` describe (empty when it fits or is unknown)."""
    if facts is None:
        return []
    checked = f"(as `hpcest cluster check {facts.cluster}` found on {facts.checked_at[:10]})"
    part = facts.partition(spec.scheduler.partition)
    if part is None:
        if spec.scheduler.partition is None:
            return []
        known = ", ".join(sorted(facts.partitions)) or "none"
        return [
            f"partition {spec.scheduler.partition!r} does not exist on cluster {facts.cluster!r} {checked}; "
            f"it has: {known}. Set partition in [clusters.{facts.cluster}] of hpcest.toml"
        ]
    res = spec.resources
    warnings = []
    never = "Slurm would keep the job queued and never start it"
    if res.nodes > part.nodes:
        warnings.append(
            f"the job asks for {res.nodes} nodes but partition {part.name!r} has {part.nodes} {checked}: {never} "
            f"(PartitionNodeLimit). Use node_count <= {part.nodes}."
        )
    per_node = max(tasks_per_node(spec), default=1)
    cpus = per_node * (res.cpus_per_task or 1)
    if part.cpus_per_node is not None and cpus > part.cpus_per_node:
        warnings.append(
            f"the job puts {per_node} rank(s) x {res.cpus_per_task or 1} CPU(s) = {cpus} CPUs on one node but the "
            f"nodes of partition {part.name!r} have {part.cpus_per_node} {checked}: {never}. Use fewer processes per "
            f"node (process_count_per_node / process_count) and more nodes."
        )
    if res.gpus_per_node > part.gpus_per_node:
        have = f"{part.gpus_per_node} GPU(s)" if part.gpus_per_node else "no GPUs"
        warnings.append(
            f"the job asks for {res.gpus_per_node} GPU(s) per node but the nodes of partition {part.name!r} have "
            f"{have} {checked}: {never}. Set gpus_per_node = {part.gpus_per_node} in the profile"
            + (" or choose a GPU partition." if not part.gpus_per_node else ".")
        )
    limit = slurm_time_seconds(part.time_limit)
    if limit is not None and spec.scheduler.time_limit_s is not None and spec.scheduler.time_limit_s > limit:
        warnings.append(
            f"the job's time limit ({spec.scheduler.time_limit_s} s) is longer than partition {part.name!r} allows "
            f"({part.time_limit}) {checked}: {never} (PartitionTimeLimit). Lower max_run_duration_seconds."
        )
    return warnings
