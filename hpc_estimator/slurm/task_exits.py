"""Which tasks of a job step failed, from srun's own report in the batch log (pure).

srun prints one line per task (or range of tasks) that did not exit 0, on the step's stderr,
which the batch script sends to its log::

    srun: error: node2: task 3: Exited with exit code 3
    srun: error: node2: task 2: Terminated
    srun: error: node1: tasks 0-1: Terminated

With ``--kill-on-bad-exit`` the first line is the rank that failed and the others were stopped
because of it. hpcest's local srun stand-in prints the same lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINE = re.compile(r"^srun: error: (?P<host>\S+): tasks? (?P<tasks>[\d,\-\[\] ]+): (?P<what>.+?)\s*$", re.MULTILINE)
_EXITED = re.compile(r"Exited with exit code (\d+)")
# Signals srun sends to the other tasks when one fails (--kill-on-bad-exit) or the step is canceled.
_STOPPED = ("Terminated", "Killed")


@dataclass(frozen=True)
class TaskExit:
    rank: int
    host: str
    exit_code: int | None  # None when the task ended by a signal
    signal: str | None  # "Segmentation fault", "Killed", ...

    @property
    def failed(self) -> bool:
        """True for the tasks that failed by themselves (not the ones stopped because another failed)."""
        if self.exit_code is not None:
            return self.exit_code != 0
        return self.signal not in _STOPPED


def _ranks(text: str) -> list[int]:
    ranks: list[int] = []
    for part in text.replace("[", "").replace("]", "").split(","):
        part = part.strip()
        if not part:
            continue
        low, _, high = part.partition("-")
        if low.isdigit() and (not high or high.isdigit()):
            ranks += range(int(low), int(high or low) + 1)
    return ranks


def task_exits(batch_log: str) -> list[TaskExit]:
    """Every task srun reported as not exiting 0, in the order it reported them."""
    exits: list[TaskExit] = []
    for m in _LINE.finditer(batch_log):
        what = m.group("what")
        exited = _EXITED.search(what)
        for rank in _ranks(m.group("tasks")):
            exits.append(
                TaskExit(rank, m.group("host"), int(exited.group(1)) if exited else None, None if exited else what)
            )
    return exits


def failed_ranks(batch_log: str) -> list[TaskExit]:
    """The tasks that failed by themselves; when only stopped ones are reported (all Killed: an
    out-of-memory kill, a time limit), those."""
    exits = task_exits(batch_log)
    failed = [e for e in exits if e.failed]
    return failed or exits
