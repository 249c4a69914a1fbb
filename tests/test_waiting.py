"""The wait loop: outages never end a wait, are reported once each way, and back off.

Driven by a scripted sequence of poll results and a fake clock, so the schedule of polls is
visible exactly. The same loop waits on the real cluster in tests/integration/test_outages.py.
"""

from __future__ import annotations

import pytest

from hpc_estimator.errors import WaitTimeoutError
from hpc_estimator.runs.waiting import (
    LOST_MAX_DELAY_S,
    MAX_DELAY_S,
    ContactReport,
    PollResult,
    wait_until_terminal,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _script(*results: PollResult):
    queue = list(results)

    def poll() -> PollResult:
        return queue.pop(0)

    return poll


RUNNING = PollResult("Running", False)
LOST = PollResult("Running", False, lost="cannot reach 'c': ssh: connect to host c port 22: Connection refused")
DONE = PollResult("Completed", True)


def test_an_outage_is_reported_once_each_way_and_the_wait_goes_on() -> None:
    clock, lines = Clock(), []
    report = ContactReport(write=lines.append, clock=clock)
    poll = _script(RUNNING, LOST, LOST, LOST, LOST, RUNNING, RUNNING, DONE)
    status = wait_until_terminal("r1", poll, report=report, sleep=clock.sleep, clock=clock)
    assert status == "Completed"
    assert len(lines) == 2
    assert lines[0].startswith("hpcest: contact lost while waiting for r1 (cannot reach 'c'")
    assert "still waiting" in lines[0]
    assert lines[1] == "hpcest: contact back after 30s"  # 2 + 4 + 8 + 16 seconds of back-off


def test_back_off_while_lost_grows_to_a_ceiling_and_resets_when_contact_is_back() -> None:
    clock = Clock()
    poll = _script(*([LOST] * 12), RUNNING, LOST, DONE)
    wait_until_terminal("r", poll, report=ContactReport(write=lambda _: None, clock=clock),
                        sleep=clock.sleep, clock=clock)  # fmt: skip
    lost_pauses = clock.sleeps[:12]
    assert lost_pauses[:4] == [2.0, 4.0, 8.0, 16.0]
    assert max(lost_pauses) == LOST_MAX_DELAY_S and lost_pauses[-1] == LOST_MAX_DELAY_S
    assert clock.sleeps[13] == 2.0  # a new outage starts from the short delay again


def test_healthy_polls_start_quick_and_settle_at_a_few_seconds() -> None:
    clock = Clock()
    wait_until_terminal("r", _script(*([RUNNING] * 20), DONE), sleep=clock.sleep, clock=clock,
                        report=ContactReport(write=lambda _: None, clock=clock))  # fmt: skip
    assert clock.sleeps[0] == 0.5 and clock.sleeps[-1] == MAX_DELAY_S
    assert clock.sleeps == sorted(clock.sleeps)


def test_a_terminal_status_ends_the_wait_even_while_contact_is_shaky() -> None:
    """A status recorded from evidence (say, the exit-code file read before a later failure) stands."""
    clock = Clock()
    done_but_lost = PollResult("Failed", True, lost="slurmctld did not answer")
    status = wait_until_terminal("r", _script(done_but_lost), sleep=clock.sleep, clock=clock,
                                 report=ContactReport(write=lambda _: None, clock=clock))  # fmt: skip
    assert status == "Failed" and clock.sleeps == []


def test_the_callers_time_limit_raises_a_distinct_error_naming_the_run_and_what_to_do() -> None:
    clock = Clock()
    with pytest.raises(WaitTimeoutError) as info:
        wait_until_terminal("r7", _script(*([RUNNING] * 100)), timeout_s=10, sleep=clock.sleep, clock=clock,
                            report=ContactReport(write=lambda _: None, clock=clock))  # fmt: skip
    message = str(info.value)
    assert "r7 is still Running after 10s" in message and "hpcest cancel r7" in message
    assert clock.now == pytest.approx(1010.0)  # the last pause is cut to the deadline


def test_the_time_limit_also_applies_during_an_outage() -> None:
    clock = Clock()
    with pytest.raises(WaitTimeoutError):
        wait_until_terminal("r", _script(*([LOST] * 100)), timeout_s=30, sleep=clock.sleep, clock=clock,
                            report=ContactReport(write=lambda _: None, clock=clock))  # fmt: skip
    assert clock.now == pytest.approx(1030.0)


def test_the_poll_runs_on_tick_after_every_poll_for_streaming() -> None:
    clock, ticks = Clock(), []
    quiet = ContactReport(write=lambda _: None, clock=clock)
    wait_until_terminal("r", _script(RUNNING, LOST, DONE), on_tick=lambda: ticks.append(clock.now),
                        sleep=clock.sleep, clock=clock, report=quiet)  # fmt: skip
    assert len(ticks) == 3
