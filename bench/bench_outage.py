"""Status polls a waiting client makes while the cluster is unreachable, and whether it survives.

The real wait loop (hpc_estimator.runs.waiting) is driven with a clock that advances by the
pauses it asks for, through outages of 1, 5, 30 and 120 minutes; the baseline is the loop it
replaced, measured the same way: polls every 0.5 s growing to 5 s, and the wait ends with an error
after five consecutive failed polls.

    python bench/bench_outage.py
"""

from __future__ import annotations

import sys

from hpc_estimator.errors import WaitTimeoutError
from hpc_estimator.runs.waiting import ContactReport, PollResult, wait_until_terminal

RUNNING_BEFORE_S = 60.0  # the job runs a minute before the outage, and a minute after it
RUNNING_AFTER_S = 60.0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def scenario(outage_s: float):
    """Poll results over time: running, unreachable for ``outage_s``, running, completed."""
    start, end = RUNNING_BEFORE_S, RUNNING_BEFORE_S + outage_s
    done = end + RUNNING_AFTER_S

    def at(t: float) -> PollResult:
        if t >= done:
            return PollResult("Completed", True)
        if start <= t < end:
            return PollResult("Running", False, lost="cannot reach 'cluster': connection refused")
        return PollResult("Running", False)

    return at, (start, end)


def current(outage_s: float) -> tuple[int, str]:
    clock = Clock()
    at, (start, end) = scenario(outage_s)
    during = 0

    def poll() -> PollResult:
        nonlocal during
        during += start <= clock.now < end
        return at(clock.now)

    report = ContactReport(write=lambda _line: None, clock=clock)
    status = wait_until_terminal("r", poll, report=report, sleep=clock.sleep, clock=clock)
    return during, f"{status}, seen {clock.now - end - RUNNING_AFTER_S:.1f} s after the job ended"


def baseline(outage_s: float) -> tuple[int, str]:
    clock = Clock()
    at, (start, end) = scenario(outage_s)
    during, delay, failures = 0, 0.5, 0
    while True:
        result = at(clock.now)
        during += start <= clock.now < end
        if result.lost:
            failures += 1
            if failures == 5:
                return during, f"wait ended with an error after {clock.now - start:.0f} s of outage"
            clock.sleep(min(2 ** (failures - 1), 10))
            continue
        failures = 0
        if result.terminal:
            return during, result.status
        clock.sleep(delay)
        delay = min(delay * 1.5, 5.0)


def main() -> int:
    print(f"{'outage':>8}  {'polls (now)':>11}  {'polls (before)':>14}  outcome now / before")
    for minutes in (1, 5, 30, 120):
        try:
            now_polls, now_outcome = current(minutes * 60)
        except WaitTimeoutError as exc:  # pragma: no cover - no timeout is set
            now_polls, now_outcome = -1, str(exc)
        base_polls, base_outcome = baseline(minutes * 60)
        print(f"{minutes:>6} m  {now_polls:>11}  {base_polls:>14}  {now_outcome} / {base_outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
