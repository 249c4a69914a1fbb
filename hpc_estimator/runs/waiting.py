"""Waiting for a run to end, through scheduler restarts and dropped connections.

A wait ends on evidence only: the run's recorded status turned terminal (see ``backends.status``
for what counts as evidence), or the caller's own time limit passed. Losing contact with the
cluster (SSH down, slurmctld restarting, a command timing out) is reported once, retried with a
growing delay for as long as it lasts, and reported once more when contact is back; a long
training job outlives many such outages and its wait must too.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import WaitTimeoutError

# Between polls of a healthy cluster: quick at first (short jobs), then every few seconds.
FIRST_DELAY_S = 0.5
MAX_DELAY_S = 5.0
# Between attempts while contact is lost: backing off so an outage is not made worse by clients.
LOST_FIRST_DELAY_S = 2.0
LOST_MAX_DELAY_S = 60.0


@dataclass(frozen=True)
class PollResult:
    """One poll of one run: its recorded status and, if contact failed, why."""

    status: str
    terminal: bool
    lost: str | None = None  # "cannot reach cluster 'x': ..." / "slurmctld did not answer: ..."


@dataclass
class ContactReport:
    """Says once that contact was lost and once that it is back; silent otherwise."""

    write: Callable[[str], None] = field(default=lambda line: print(line, file=sys.stderr, flush=True))
    clock: Callable[[], float] = time.monotonic
    lost_since: float | None = None

    def lost(self, run_id: str, why: str) -> None:
        if self.lost_since is None:
            self.lost_since = self.clock()
            self.write(f"hpcest: contact lost while waiting for {run_id} ({why}); still waiting, retrying")

    def back(self) -> None:
        if self.lost_since is not None:
            lasted = self.clock() - self.lost_since
            self.lost_since = None
            self.write(f"hpcest: contact back after {_duration(lasted)}")


def wait_until_terminal(
    run_id: str,
    poll: Callable[[], PollResult],
    *,
    timeout_s: float | None = None,
    on_tick: Callable[[], None] = lambda: None,
    report: ContactReport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Poll until the run's status is terminal and return it.

    ``on_tick`` runs after every poll (streaming output). ``timeout_s`` raises WaitTimeoutError
    once that much time has passed with the run still active; contact problems never end the wait.
    """
    report = report or ContactReport(clock=clock)
    deadline = None if timeout_s is None else clock() + timeout_s
    delay = FIRST_DELAY_S
    lost_delay = LOST_FIRST_DELAY_S
    while True:
        result = poll()
        on_tick()
        if result.lost is None:
            report.back()
            lost_delay = LOST_FIRST_DELAY_S
        else:
            report.lost(run_id, result.lost)
        if result.terminal:
            return result.status
        if deadline is not None and clock() >= deadline:
            raise WaitTimeoutError(
                f"run {run_id} is still {result.status} after {_duration(timeout_s or 0)}; it keeps running "
                f"(follow it with `hpcest status {run_id} --wait`, stop it with `hpcest cancel {run_id}`)"
            )
        if result.lost is None:
            pause = delay
            delay = min(delay * 1.5, MAX_DELAY_S)
        else:
            pause = lost_delay
            lost_delay = min(lost_delay * 2, LOST_MAX_DELAY_S)
        if deadline is not None:
            pause = max(0.0, min(pause, deadline - clock()))
        sleep(pause)


def _duration(elapsed: float) -> str:
    seconds = round(elapsed)
    if seconds < 120:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 120:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
