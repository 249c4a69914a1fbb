"""A run's logs: where they are, and what to show when it failed.

Each rank writes ``hpcest-logs/rank-<N>.log``; the batch script's own output (set-up, image fetch,
prologue, srun's report of failed tasks) is ``hpcest-logs/slurm-<job id>.out`` on Slurm and
``hpcest-logs/batch.out`` for local runs. When a run fails, :func:`failure_tails` picks what a person
needs to see: the end of the log of each rank that ended non-zero (srun names them in the batch
log), or the end of the batch log when no rank ran at all.
"""

from __future__ import annotations

import base64
import posixpath
import re
from dataclasses import dataclass
from typing import Any

from ..slurm.task_exits import failed_ranks
from .store import RunRecord

LOG_DIR = "hpcest-logs"
# How much of a log is read to find its last lines, and how many ranks a failure report shows.
TAIL_BYTES = 64 * 1024
MAX_RANKS_SHOWN = 4


def rank_log_relpath(rank: int) -> str:
    return f"{LOG_DIR}/rank-{rank}.log"


def batch_log_relpath(record: RunRecord) -> str:
    return f"{LOG_DIR}/batch.out" if record.backend == "local" else f"{LOG_DIR}/slurm-{record.job_id}.out"


def rank_count(record: RunRecord) -> int | None:
    """How many ranks the run has (from what was recorded at submission), None if unknown."""
    tasks = record.spec.get("tasks")
    return tasks if isinstance(tasks, int) and tasks > 0 else None


def read_tail(transport: Any, path: str, max_bytes: int = TAIL_BYTES) -> bytes | None:
    """The last ``max_bytes`` of file ``path`` on the cluster; None if it does not exist."""
    result = transport.run(
        [
            "sh",
            "-c",
            'if [ -f "$1" ]; then echo y; tail -c "$2" "$1" | base64; else echo n; fi',
            "hpcest-tail",
            path,
            str(max_bytes),
        ]
    )
    if not result.ok or not result.stdout.startswith("y"):
        return None
    return base64.b64decode(result.stdout[1:].strip() or b"")


def last_lines(data: bytes, count: int) -> str:
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.rstrip("\n").splitlines()[-count:])


def existing_rank_logs(transport: Any, run_dir: str) -> list[int]:
    """The ranks that have a log file (they started), sorted."""
    result = transport.run(
        ["sh", "-c", 'cd "$1" 2>/dev/null && ls -1 2>/dev/null || true', "hpcest-ls", posixpath.join(run_dir, LOG_DIR)]
    )
    ranks = [int(m.group(1)) for m in re.finditer(r"^rank-(\d+)\.log$", result.stdout if result.ok else "", re.M)]
    return sorted(ranks)


@dataclass(frozen=True)
class LogTail:
    """The end of one log, with what it is and the option that prints all of it."""

    title: str  # "rank 3 (node2) exited with code 3"
    relpath: str
    option: str  # "--rank 3" or "--batch"
    text: str


def failure_tails(
    transport: Any, record: RunRecord, *, lines: int = 20, already_shown: frozenset[int] = frozenset()
) -> tuple[list[LogTail], list[str]]:
    """(log tails to show for a failed run, notes about ranks not shown in full)."""
    if not record.remote_dir:
        return [], []
    run_dir = record.remote_dir
    batch_rel = batch_log_relpath(record)
    batch = read_tail(transport, posixpath.join(run_dir, batch_rel))
    exits = failed_ranks(batch.decode("utf-8", errors="replace")) if batch else []
    tails: list[LogTail] = []
    notes: list[str] = []
    for exit_ in exits:
        how = f"exited with code {exit_.exit_code}" if exit_.exit_code is not None else f"ended by {exit_.signal}"
        title = f"rank {exit_.rank} ({exit_.host}) {how}"
        if exit_.rank in already_shown:
            notes.append(f"{title}; its output is above")
            continue
        if len(tails) >= MAX_RANKS_SHOWN:
            notes.append(f"{title}: hpcest logs {record.run_id} --rank {exit_.rank}")
            continue
        rel = rank_log_relpath(exit_.rank)
        data = read_tail(transport, posixpath.join(run_dir, rel))
        text = last_lines(data, lines) if data else "(the rank wrote nothing)"
        tails.append(LogTail(title, rel, f"--rank {exit_.rank}", text))
    if tails or notes:
        return tails, notes
    ran = existing_rank_logs(transport, run_dir)
    if batch is not None:
        title = "no rank started; the batch script's output" if not ran else "the batch script's output"
        tails.append(LogTail(title, batch_rel, "--batch", last_lines(batch, lines) or "(empty)"))
    elif batch is None:
        notes.append(f"the batch log {batch_rel} does not exist: the job never started (see hpcest status)")
    return tails, notes
