"""``hpcest cluster check``: probe a live cluster and compare it with its profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import slurm
from ..cluster.profile import ClusterProfile
from ..transport.base import Transport
from . import site_checks


@dataclass
class CheckReport:
    profile: str
    partitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    max_array_size: int | None = None
    runtimes: dict[str, str | None] = field(default_factory=dict)
    mpi_plugins: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # False when the scheduler did not answer at all (sinfo failed): nothing could be compared.
    reached: bool = True

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "ok": self.ok,
            "partitions": self.partitions,
            "max_array_size": self.max_array_size,
            "runtimes": self.runtimes,
            "mpi_plugins": self.mpi_plugins,
            "problems": self.problems,
            "notes": self.notes,
            "reached": self.reached,
        }

    def format(self) -> str:
        lines = [f"cluster {self.profile}: {'OK' if self.ok else 'PROBLEMS FOUND'}", "", "partitions:"]
        for name, info in sorted(self.partitions.items()):
            default = " (default)" if info["default"] else ""
            lines.append(
                f"  {name}{default}: {info['available']}, {len(info['nodes'])} node(s), "
                f"gpus/node {info['gpus_per_node']}, time limit {info['time_limit']}"
            )
        lines.append(f"MaxArraySize: {self.max_array_size if self.max_array_size is not None else 'unknown'}")
        lines.append("MPI plugins (srun --mpi=list): " + (", ".join(self.mpi_plugins) or "unknown"))
        lines.append("container runtimes:")
        for name, version in self.runtimes.items():
            lines.append(f"  {name}: {version or 'not found'}")
        for note in self.notes:
            lines.append(f"note: {note}")
        for problem in self.problems:
            lines.append(f"problem: {problem}")
        return "\n".join(lines)


def probe(transport: Transport, profile: ClusterProfile) -> CheckReport:
    report = CheckReport(profile=profile.name)
    problem, note = report.problems.append, report.notes.append
    for check in site_checks.SITE_CHECKS:
        check(transport, profile, problem, note)
    if not site_checks.check_slurm_on_path(transport, profile, problem, note):
        return report
    res = transport.run(slurm.sinfo_argv())
    if not res.ok:
        report.problems.append(f"sinfo failed: {res.stderr.strip() or res.stdout.strip()}")
        report.reached = False
        return report
    parts = slurm.parse_sinfo(res.stdout)
    for name, part in parts.items():
        report.partitions[name] = {
            "default": part.default,
            "available": part.available,
            "time_limit": part.time_limit,
            "nodes": list(part.node_names),
            "gpus_per_node": part.gpus_per_node(),
            "cpus_per_node": max((n.cpus for n in part.nodes if n.cpus is not None), default=None),
        }
    config = transport.run(slurm.scontrol_show_config_argv())
    if config.ok:
        values = slurm.parse_show_config(config.stdout)
        try:
            report.max_array_size = int(values.get("MaxArraySize", ""))
        except ValueError:
            report.max_array_size = None
    mpi = transport.run(slurm.srun_mpi_list_argv())
    report.mpi_plugins = sorted(slurm.parse_mpi_list(mpi.stdout + mpi.stderr))
    for runtime in ("apptainer", "singularity", "ch-run"):
        # ch-run refuses to start without $USER, which non-login SSH sessions may lack.
        probe_cmd = (
            f"command -v {runtime} >/dev/null && "
            f'USER="${{USER:-$(id -un)}}" {runtime} --version 2>&1 | head -n 1'
        )
        found = transport.run(["sh", "-c", probe_cmd])
        report.runtimes[runtime] = found.stdout.strip() or None if found.ok else None

    # Compare with the profile.
    wanted = [p for p in (profile.partition, profile.lowpriority_partition) if p]
    wanted += [s.partition for s in profile.vm_sizes.values() if s.partition]
    for p in wanted:
        if p not in parts:
            report.problems.append(f"partition {p!r} of the profile does not exist (cluster has: {', '.join(parts)})")
    if profile.gpus_per_node:
        target = profile.partition or next((n for n, p in parts.items() if p.default), None)
        have = parts[target].gpus_per_node() if target in parts else 0
        if have < profile.gpus_per_node:
            report.problems.append(
                f"gpus_per_node = {profile.gpus_per_node} but partition {target!r} has {have} "
                f"{profile.gres_name} gres per node"
            )
    runtime_cmd = {"apptainer": "apptainer", "singularity": "singularity", "charliecloud": "ch-run"}.get(
        profile.container_runtime
    )
    if runtime_cmd and not report.runtimes.get(runtime_cmd):
        message = (
            f"container_runtime = {profile.container_runtime!r} but {runtime_cmd} is not on PATH of the login node"
        )
        advice = runtime_advice(profile, report.runtimes)
        if profile.prologue:
            report.notes.append(message + " (the profile's prologue may load it inside jobs)" + advice)
        else:
            report.problems.append(message + (advice or "; add e.g. prologue = ['module load apptainer']"))
    if report.max_array_size is not None and report.max_array_size != profile.max_array_size:
        report.notes.append(
            f"cluster MaxArraySize is {report.max_array_size}; the profile says {profile.max_array_size} "
            f"(set max_array_size = {report.max_array_size})"
        )
    if profile.mpi_plugin not in report.mpi_plugins and report.mpi_plugins:
        report.problems.append(
            f"mpi_plugin = {profile.mpi_plugin!r} is not offered by srun (has: {', '.join(report.mpi_plugins)})"
        )
    return report


# container_runtime values and the command each one runs.
RUNTIME_COMMANDS = {"apptainer": "apptainer", "singularity": "singularity", "charliecloud": "ch-run"}


def runtime_advice(profile: ClusterProfile, found: dict[str, str | None]) -> str:
    """"; ch-run 0.31 is: set container_runtime = 'charliecloud' ..." when another runtime than the
    profile's is installed (empty when none is)."""
    working = [(runtime, found[command]) for runtime, command in RUNTIME_COMMANDS.items() if found.get(command)]
    if not working:
        return ""
    runtime, version = working[0]
    command = RUNTIME_COMMANDS[runtime]
    return (
        f"; {command} ({version}) is: set container_runtime = \"{runtime}\" in [clusters.{profile.name}] of "
        f"hpcest.toml (or hpcest cluster add {profile.name} --runtime {runtime} --replace with its other options)"
    )
