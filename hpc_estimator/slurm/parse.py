"""Slurm output parsers: the text a command printed -> frozen dataclasses. Pure, no I/O.

Every parser is tested against output recorded from a real Slurm (``tests/data/slurm/``).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..errors import SchedulerError
from ..job.state import JobState
from .commands import FIELD_SEP, SACCT_FIELDS, SINFO_FIELDS, SQUEUE_FIELDS, SQUEUE_WORKDIR_FIELDS
from .states import job_state, normalize_state


@dataclass(frozen=True)
class SubmitResult:
    job_id: str
    cluster: str | None = None


@dataclass(frozen=True)
class SlurmJob:
    """One job (or array task) as the scheduler sees it."""

    job_id: str  # "12", or "12_3" for an array task
    state: str  # normalised Slurm state, e.g. "CANCELLED"
    reason: str | None = None  # Slurm's reason ("Dependency", "NonZeroExitCode", ...); None if "None"
    exit_code: int | None = None  # None where the source has no exit code (squeue)
    signal: int | None = None  # signal that ended the job, 0 if none
    raw_job_id: str | None = None  # the unique numeric id (array tasks get their own)
    name: str | None = None
    nodes: str | None = None
    cancelled_by: str | None = None  # uid from "CANCELLED by 0"

    @property
    def job_state(self) -> JobState:
        return job_state(self.state)

    @property
    def is_terminal(self) -> bool:
        return self.job_state.is_terminal

    @property
    def array_job_id(self) -> str | None:
        return self.job_id.split("_", 1)[0] if "_" in self.job_id else None

    @property
    def array_task_id(self) -> int | None:
        _, _, tail = self.job_id.partition("_")
        return int(tail) if tail.isdigit() else None


@dataclass(frozen=True)
class Gres:
    """One generic resource: ``gpu:4`` or ``gpu:tesla:4(S:0)``."""

    name: str
    count: int
    type: str | None = None
    sockets: str | None = None  # socket binding, "0" in "(S:0)", "0-1" in "(S:0-1)"


@dataclass(frozen=True)
class NodeInfo:
    name: str
    state: str  # base state without flags, e.g. "idle", "mixed", "drained"
    raw_state: str  # as printed, e.g. "idle*" (not responding) or "drained~"
    cpus: int | None
    memory_mb: int | None
    gres: tuple[Gres, ...] = ()
    reason: str | None = None

    def gres_count(self, name: str = "gpu") -> int:
        return sum(g.count for g in self.gres if g.name == name)


@dataclass(frozen=True)
class Partition:
    name: str
    default: bool
    available: str  # "up", "down", "drain", "inact"
    time_limit: str  # Slurm's text: "infinite", "1-00:00:00", ...
    nodes: tuple[NodeInfo, ...] = field(default_factory=tuple)

    @property
    def node_names(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.nodes)

    def gpus_per_node(self) -> int:
        """Largest GPU count on one node of this partition (0 if none)."""
        return max((n.gres_count("gpu") for n in self.nodes), default=0)


# ---------------------------------------------------------------------------------------------
# parsers


def parse_sbatch_parsable(stdout: str) -> SubmitResult:
    """``sbatch --parsable`` prints ``123`` or ``123;cluster`` (multi-cluster setups)."""
    lines = [ln.strip() for ln in stdout.splitlines() if ln.strip()]
    if not lines:
        raise SchedulerError("sbatch --parsable printed no job id (empty output); check the sbatch stderr")
    # Warnings from job_submit plugins may precede the id; the id is the last line.
    text = lines[-1]
    job_id, _, cluster = text.partition(";")
    if not re.fullmatch(r"\d+", job_id):
        raise SchedulerError(f"sbatch --parsable printed {text!r}, which is not a job id")
    return SubmitResult(job_id=job_id, cluster=cluster or None)


def _none_if_null(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    # "None assigned" is sacct's NodeList for a job that never got nodes
    return None if value in ("", "None", "none", "(null)", "n/a", "N/A", "None assigned") else value


def parse_exit_code(text: str) -> tuple[int | None, int | None]:
    """``"1:0"`` -> ``(1, 0)``; ``"0:15"`` -> ``(0, 15)`` (killed by SIGTERM); junk -> (None, None)."""
    m = re.fullmatch(r"\s*(\d+):(\d+)\s*", text or "")
    if not m:
        return None, None
    return int(m.group(1)), int(m.group(2))


def parse_squeue(stdout: str) -> dict[str, SlurmJob]:
    """Parse the output of :func:`squeue_argv` / :func:`squeue_by_name_argv`."""
    jobs: dict[str, SlurmJob] = {}
    n = len(SQUEUE_FIELDS)
    for line in stdout.splitlines():
        if not line.strip():
            continue
        parts = line.split(FIELD_SEP, n - 1)
        if len(parts) != n:
            raise SchedulerError(f"unexpected squeue line (expected {n} fields): {line!r}")
        job_id, raw_id, state_text, reason, nodes, name = parts
        state, by = normalize_state(state_text)
        jobs[job_id.strip()] = SlurmJob(
            job_id=job_id.strip(),
            state=state,
            reason=_none_if_null(reason),
            raw_job_id=raw_id.strip() or None,
            name=name,
            nodes=_none_if_null(nodes),
            cancelled_by=by,
        )
    return jobs


def parse_active_workdirs(stdout: str) -> frozenset[str]:
    """The working directories of the jobs in :func:`squeue_workdirs_argv`'s output that have not
    ended (pending, running, suspended, requeued...: anything but a final state), normalised."""
    dirs = set()
    n = len(SQUEUE_WORKDIR_FIELDS)
    for line in stdout.splitlines():
        if not line.strip():
            continue
        parts = line.split(FIELD_SEP, n - 1)
        if len(parts) != n or not parts[2].startswith("/"):
            raise SchedulerError(f"unexpected squeue line (expected job id, state, working directory): {line!r}")
        if not job_state(parts[1]).is_terminal:
            dirs.add(posixpath.normpath(parts[2]))
    return frozenset(dirs)


def parse_task_steps(stdout: str) -> list[str]:
    """Numbered steps (``12_3.0``) from ``squeue --steps --format=%i``; batch/extern steps left out."""
    return [line.strip() for line in stdout.splitlines() if re.fullmatch(r"\d+(_\d+)?\.\d+", line.strip())]


def _is_step(job_id: str) -> bool:
    # "12.batch", "12.extern", "12.0", "12_3.batch", "12+1.0": everything with a dot is a step
    return "." in job_id


def parse_sacct(stdout: str, fields: Sequence[str] = SACCT_FIELDS) -> dict[str, SlurmJob]:
    """Parse ``sacct --parsable2 --noheader`` output made with :func:`sacct_argv`.

    Steps (``.batch``, ``.extern``, ``.0``) are dropped even if present, so output without ``-X``
    parses too. Pending array ranges stay as sacct prints them (``12_[3-9]``).
    """
    idx = {name: i for i, name in enumerate(fields)}
    n = len(fields)
    jobs: dict[str, SlurmJob] = {}
    for line in stdout.splitlines():
        if not line.strip():
            continue
        parts = line.split("|", n - 1)
        if len(parts) != n:
            raise SchedulerError(f"unexpected sacct line (expected {n} fields): {line!r}")

        def get(name: str, parts: list[str] = parts) -> str | None:
            i = idx.get(name)
            return parts[i] if i is not None else None

        job_id = (get("JobID") or "").strip()
        if not job_id or _is_step(job_id):
            continue
        state, by = normalize_state(get("State") or "")
        code, sig = parse_exit_code(get("ExitCode") or "")
        jobs[job_id] = SlurmJob(
            job_id=job_id,
            state=state,
            reason=_none_if_null(get("Reason")),
            exit_code=code,
            signal=sig,
            raw_job_id=_none_if_null(get("JobIDRaw")),
            name=get("JobName"),
            nodes=_none_if_null(get("NodeList")),
            cancelled_by=by,
        )
    return jobs


# A key is a run of letters/digits plus the punctuation scontrol uses in key names
# ("CPUs/Task", "ReqB:S:C:T", "AllocNode:Sid", "Socks/Node").
_SCONTROL_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9_/:]*)=(.*)$", re.DOTALL)


def parse_scontrol_records(text: str, first_key: str = "JobId") -> list[dict[str, str]]:
    """Split ``scontrol show ...`` output (one-liner or multi-line) into key=value records.

    Pairs are separated by whitespace; a whitespace-separated word that does not look like
    ``Key=`` continues the previous value, which is how values with spaces (``Reason=Not
    responding``, ``Comment=...``) survive. A new record starts at every ``first_key=``.
    """
    records: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    last_key: str | None = None
    for word in text.split():
        m = _SCONTROL_KEY.match(word)
        if m:
            key, value = m.group(1), m.group(2)
            if key == first_key or current is None:
                current = {}
                records.append(current)
            current[key] = value
            last_key = key
        elif current is not None and last_key is not None:
            current[last_key] = f"{current[last_key]} {word}" if current[last_key] else word
    return records


def parse_scontrol_show_job(text: str) -> dict[str, str]:
    """The key=value pairs of the first job in ``scontrol show job`` output.

    For an array job, use :func:`parse_scontrol_records` to get every task.
    """
    records = parse_scontrol_records(text)
    if not records:
        raise SchedulerError(f"scontrol show job printed no job record: {text.strip()[:200]!r}")
    return records[0]


def job_state_from_scontrol(record: Mapping[str, str]) -> SlurmJob:
    """A :class:`SlurmJob` from one ``scontrol show job`` record."""
    job_id = record.get("JobId", "")
    array_job, array_task = record.get("ArrayJobId"), record.get("ArrayTaskId")
    if array_job and array_task and array_task.isdigit():
        display_id = f"{array_job}_{array_task}"
    else:
        display_id = job_id
    state, by = normalize_state(record.get("JobState", ""))
    code, sig = parse_exit_code(record.get("ExitCode", ""))
    return SlurmJob(
        job_id=display_id,
        state=state,
        reason=_none_if_null(record.get("Reason")),
        exit_code=code,
        signal=sig,
        raw_job_id=job_id or None,
        name=record.get("JobName"),
        nodes=_none_if_null(record.get("NodeList")),
        cancelled_by=by,
    )


def parse_squeue_json(text: str) -> dict[str, SlurmJob]:
    """Parse ``squeue --json`` (openapi v0.0.37/38 as printed by Slurm 21.08-22.05).

    ``exit_code`` there is the raw wait status: exit status in the high byte, signal in the low.
    Slurm 22.05 ignores ``--jobs`` together with ``--json`` and lists every job it remembers, so
    callers pick their ids out of the result. The pending rest of an array is keyed like sacct
    prints it (``9_[2-5%2]``).
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchedulerError(f"squeue --json printed invalid JSON ({exc}); first bytes: {text[:200]!r}") from exc
    errors = doc.get("errors") or []
    if errors:
        raise SchedulerError(f"squeue --json reported errors: {errors}")
    jobs: dict[str, SlurmJob] = {}
    for job in doc.get("jobs", []):
        raw_id = str(job.get("job_id"))
        array_job, task = job.get("array_job_id"), job.get("array_task_id")
        if array_job and task is not None:
            job_id = f"{array_job}_{task}"
        elif array_job and job.get("array_task_string"):
            job_id = f"{array_job}_[{job['array_task_string']}]"
        else:
            job_id = raw_id
        state, by = normalize_state(str(job.get("job_state", "")))
        status = job.get("exit_code")
        code = sig = None
        if isinstance(status, int):
            code, sig = (status >> 8) & 0xFF, status & 0x7F
        jobs[job_id] = SlurmJob(
            job_id=job_id,
            state=state,
            reason=_none_if_null(job.get("state_reason")),
            exit_code=code,
            signal=sig,
            raw_job_id=raw_id,
            name=job.get("name"),
            nodes=_none_if_null(job.get("nodes")),
            cancelled_by=by,
        )
    return jobs


_GRES_ITEM = re.compile(
    r"^(?P<name>[^:(]+)(?::(?P<type>[^:(]+))?:(?P<count>\d+)(?:\(S:(?P<sockets>[^)]*)\))?$"
)


def _split_gres(text: str) -> list[str]:
    # commas separate items, but may also sit inside "(S:0,1)": split only outside parentheses
    items: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            items.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    items.append("".join(cur))
    return [i.strip() for i in items if i.strip()]


def parse_gres(text: str) -> tuple[Gres, ...]:
    """``gpu:4``, ``gpu:tesla:4(S:0)``, ``gpu:a100:2(S:0-1),shard:8``; ``(null)`` -> ()."""
    if _none_if_null(text) is None:
        return ()
    out = []
    for item in _split_gres(text):
        m = _GRES_ITEM.match(item)
        if m:
            out.append(Gres(name=m["name"], count=int(m["count"]), type=m["type"], sockets=m["sockets"]))
        else:
            # "gpu" alone means one
            out.append(Gres(name=item.split("(", 1)[0], count=1))
    return tuple(out)


def _int_or_none(text: str) -> int | None:
    text = text.strip().rstrip("+")
    return int(text) if text.isdigit() else None


def parse_sinfo(stdout: str) -> dict[str, Partition]:
    """Parse :func:`sinfo_argv` output into partitions with their nodes, states and gres."""
    n = len(SINFO_FIELDS)
    rows: dict[str, dict] = {}
    for line in stdout.splitlines():
        if not line.strip():
            continue
        parts = line.split(FIELD_SEP, n - 1)
        if len(parts) != n:
            raise SchedulerError(f"unexpected sinfo line (expected {n} fields): {line!r}")
        part, flagged, avail, limit, node, state, cpus, mem, gres, reason = parts
        raw_state = state.strip()
        # trailing flag characters: * not responding, ~ powered off, # powering up, ! powering down,
        # % powering down, $ maintenance, @ pending reboot, ^ rebooting, - planned
        base_state = raw_state.rstrip("*~#!%$@^-")
        entry = rows.setdefault(part, {
            "default": flagged.strip().endswith("*"),
            "available": avail.strip(),
            "time_limit": limit.strip(),
            "nodes": [],
        })
        entry["nodes"].append(NodeInfo(
            name=node.strip(),
            state=base_state,
            raw_state=raw_state,
            cpus=_int_or_none(cpus),
            memory_mb=_int_or_none(mem),
            gres=parse_gres(gres),
            reason=_none_if_null(reason),
        ))
    return {
        name: Partition(name=name, default=e["default"], available=e["available"],
                        time_limit=e["time_limit"], nodes=tuple(e["nodes"]))
        for name, e in rows.items()
    }


_CONFIG_LINE = re.compile(r"^(\S+)\s*=\s?(.*)$")


def parse_show_config(text: str) -> dict[str, str]:
    """``scontrol show config`` -> {key: value}; section headers and the date line are skipped.

    The first occurrence of a key wins (later plugin sections may reuse generic names).
    """
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = _CONFIG_LINE.match(line.strip())
        if m and m.group(1) not in out:
            out[m.group(1)] = m.group(2).strip()
    return out


def max_array_size(config: Mapping[str, str]) -> int:
    """MaxArraySize from :func:`parse_show_config` (Slurm's default 1001 when absent).

    Array task ids must be strictly less than this value.
    """
    value = config.get("MaxArraySize", "")
    return int(value) if value.isdigit() else 1001




def parse_mpi_list(text: str) -> list[str]:
    """``srun --mpi=list`` output -> plugin names. Slurm 22.05 prints a header line, one indented
    name per plugin, then a line of versioned pmix plugins (``pmix_v4``), which are kept too."""
    names = [line.strip() for line in text.splitlines() if line[:1].isspace() and line.strip()]
    for line in text.splitlines():
        if "versions available:" in line:
            names += line.split(":", 1)[1].replace(",", " ").split()
    return names
