"""Typed ``#SBATCH`` header lines.

sbatch reads ``#SBATCH`` lines with its own tokenizer, not a shell, so shell quoting does not
protect them. We therefore allow only values from a conservative character set and refuse
anything else with an error that names the option. Paths never go into ``#SBATCH`` lines: the
backend passes ``--chdir`` on the sbatch command line (an argv, safely quoted), and ``--output``
is relative to it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..errors import ConfigError
from .spec import JobSpec

# Scheduler names (partition, account, QOS, reservation, features) on real sites use letters,
# digits and a little punctuation. Constraint expressions add & | [ ] * ( ) ! and spaces are not valid.
_NAME_RE = re.compile(r"^[A-Za-z0-9_.@+:,\-]+$")
_CONSTRAINT_RE = re.compile(r"^[A-Za-z0-9_.@+:,\-&|\[\]*()!]+$")
_ARRAY_RE = re.compile(r"^[0-9]+(-[0-9]+)?(:[0-9]+)?(,[0-9]+(-[0-9]+)?(:[0-9]+)?)*(%[0-9]+)?$")
_DEPENDENCY_RE = re.compile(r"^[a-z]+(:[0-9_]+(\+[0-9]+)?)+([,?][a-z]+(:[0-9_]+(\+[0-9]+)?)+)*$|^singleton$")
_OUTPUT_RE = re.compile(r"^[A-Za-z0-9_.%/\-]+$")
_JOB_NAME_BAD = re.compile(r"[^A-Za-z0-9_.\-]")


def safe_job_name(name: str) -> str:
    """A job name sbatch and squeue display without surprises (no spaces, quotes or newlines)."""
    cleaned = _JOB_NAME_BAD.sub("_", name).strip("_") or "hpcest"
    return cleaned[:128]


def format_time_limit(seconds: int) -> str:
    """Slurm's ``D-HH:MM:SS``; Slurm enforces whole minutes, so round *up* to the next minute."""
    if seconds <= 0:
        raise ConfigError(f"max_run_duration_seconds must be positive, got {seconds}")
    minutes = math.ceil(seconds / 60)
    days, rem = divmod(minutes, 24 * 60)
    hours, mins = divmod(rem, 60)
    if days:
        return f"{days}-{hours:02d}:{mins:02d}:00"
    return f"{hours:02d}:{mins:02d}:00"


def _checked(option: str, value: str, pattern: re.Pattern[str]) -> str:
    if not pattern.match(value):
        raise ConfigError(
            f"value {value!r} for sbatch option --{option} contains characters that #SBATCH lines "
            "cannot carry safely (whitespace, quotes, newlines, shell syntax); use the plain name "
            "the cluster knows (see `sinfo`/`sacctmgr show qos`)"
        )
    return value


@dataclass(frozen=True)
class SbatchOption:
    name: str
    value: str | None = None

    def line(self) -> str:
        return f"#SBATCH --{self.name}" if self.value is None else f"#SBATCH --{self.name}={self.value}"


def sbatch_options(spec: JobSpec) -> list[SbatchOption]:
    """The ordered ``#SBATCH`` options for a JobSpec."""
    res, sched = spec.resources, spec.scheduler
    opts: list[SbatchOption] = [SbatchOption("job-name", safe_job_name(spec.name))]
    opts.append(SbatchOption("nodes", str(res.nodes)))
    if res.ntasks is not None:
        opts.append(SbatchOption("ntasks", str(res.ntasks)))
    else:
        opts.append(SbatchOption("ntasks-per-node", str(res.tasks_per_node)))
    if res.cpus_per_task:
        opts.append(SbatchOption("cpus-per-task", str(res.cpus_per_task)))
    if res.gpus_per_node:
        gres = _checked("gres", res.gres_name, _NAME_RE)
        opts.append(SbatchOption("gres", f"{gres}:{res.gpus_per_node}"))
    if res.mem_per_node_mb:
        opts.append(SbatchOption("mem", f"{res.mem_per_node_mb}M"))
    if res.exclusive:
        opts.append(SbatchOption("exclusive"))
    if sched.time_limit_s is not None:
        opts.append(SbatchOption("time", format_time_limit(sched.time_limit_s)))
    for option, value in (
        ("partition", sched.partition),
        ("account", sched.account),
        ("qos", sched.qos),
        ("reservation", sched.reservation),
    ):
        if value:
            opts.append(SbatchOption(option, _checked(option, value, _NAME_RE)))
    if sched.constraint:
        opts.append(SbatchOption("constraint", _checked("constraint", sched.constraint, _CONSTRAINT_RE)))
    if sched.array:
        opts.append(SbatchOption("array", _checked("array", sched.array, _ARRAY_RE)))
    if sched.dependency:
        opts.append(SbatchOption("dependency", _checked("dependency", sched.dependency, _DEPENDENCY_RE)))
        opts.append(SbatchOption("kill-on-invalid-dep", "yes"))
    opts.append(SbatchOption("requeue" if sched.requeue else "no-requeue"))
    if sched.requeue:
        # A requeued job's batch log would otherwise be truncated by the next attempt.
        opts.append(SbatchOption("open-mode", "append"))
    opts.append(SbatchOption("output", _checked("output", spec.stdout, _OUTPUT_RE)))
    if spec.stderr:
        opts.append(SbatchOption("error", _checked("error", spec.stderr, _OUTPUT_RE)))
    # No --signal: at the time limit Slurm itself sends SIGTERM to the batch shell, whose trap
    # records the end in the exit-code file before KillWait runs out.
    return opts


def directive_lines(spec: JobSpec) -> list[str]:
    lines = [opt.line() for opt in sbatch_options(spec)]
    for extra in spec.scheduler.extra_directives:
        # Profile-supplied directives are trusted cluster configuration, but one line stays one line.
        if "\n" in extra or "\r" in extra:
            raise ConfigError(f"extra_directives entry {extra!r} contains a newline")
        text = extra.strip()
        lines.append(text if text.startswith("#SBATCH") else f"#SBATCH {text}")
    return lines
