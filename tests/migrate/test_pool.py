"""The worker pool of ``hpcest migrate``: warm forked workers, results by handle, failures never hang."""

from __future__ import annotations

import gc
import os
import time

import pytest

from migrate.pool import ForkedPool, SpawnPool, fork_available

pytestmark = pytest.mark.skipif(not fork_available(), reason="the forked pool exists on Linux only")

WARMED: list[int] = []


def _warm_up() -> None:
    WARMED.append(os.getpid())


def _work(task: tuple[str, str]) -> tuple[str, int, list[int]]:
    path, _ = task
    if path == "crash":
        os._exit(7)  # a worker dying as on a segfault
    if path == "slow":
        time.sleep(0.2)
    return path, os.getpid(), list(WARMED)


def test_results_by_handle_from_workers_forked_after_the_warm_up():
    pool = ForkedPool(2, _work, _warm_up)
    try:
        handles = [pool.submit((name, "azureml")) for name in ("slow", "a", "b", "c")]
        results = [pool.result(h) for h in reversed(handles)]
    finally:
        pool.close()
    assert [r[0] for r in reversed(results)] == ["slow", "a", "b", "c"]
    for _, _, warmed in results:
        # The warm-up ran once, in the warm process, before it forked the other worker: inherited,
        # not repeated (the warm process is a worker itself).
        assert len(warmed) == 1 and warmed[0] != os.getpid()
    assert len({worker for _, worker, _ in results}) == 2
    assert WARMED == []  # and never in the parent


def test_a_dying_worker_is_an_error_not_a_hang():
    pool = ForkedPool(2, _work, _warm_up)
    try:
        handle = pool.submit(("crash", "azureml"))
        with pytest.raises(RuntimeError, match="stopped with 1 file"):
            pool.result(handle)
    finally:
        pool.close()


def test_closing_early_cancels_the_rest_and_ends_the_relay():
    pool = ForkedPool(2, _work, _warm_up)
    for _ in range(20):
        pool.submit(("slow", "azureml"))
    start = time.monotonic()
    pool.close()
    assert time.monotonic() - start < 5
    assert not pool._warm.is_alive()


def test_spawn_pool_has_the_same_interface():
    pool = SpawnPool(1, _square, _nothing)
    try:
        handles = [pool.submit((str(n), "x")) for n in range(3)]
        assert [pool.result(h) for h in handles] == [0, 1, 4]
    finally:
        pool.close()


def _square(task: tuple[str, str]) -> int:
    return int(task[0]) ** 2


def _nothing() -> None:
    return None


def _slow_warm_up() -> None:
    time.sleep(30)


def test_a_pool_given_no_work_stops_without_waiting_for_its_warm_up():
    """A tree without candidates: the warm process started speculatively is stopped, not waited for."""
    pool = ForkedPool(2, _work, _slow_warm_up)
    start = time.monotonic()
    pool.close()
    assert time.monotonic() - start < 5
    assert not pool._warm.is_alive()


def test_a_pool_dropped_unclosed_still_ends_its_relay():
    """E.g. a run() that was never iterated: the warm process must not outlive it (nor block the exit)."""
    pool = ForkedPool(2, _work, _warm_up)
    pool.submit(("a", "azureml"))
    warm = pool._warm
    del pool
    gc.collect()
    assert not warm.is_alive()


def _failing_warm_up() -> None:
    raise ImportError("libcst is broken here")


def test_a_warm_process_already_dead_when_the_first_task_is_handed_out_is_the_same_error():
    # The other order of the race above: its death is seen when the task is written, not read.
    pool = ForkedPool(2, _work, _failing_warm_up)
    try:
        pool._warm.join(timeout=10)
        assert not pool._warm.is_alive()
        with pytest.raises(RuntimeError, match="stopped before they started"):
            handle = pool.submit(("a", "azureml"))
            pool.result(handle)
    finally:
        pool.close()


def test_a_warm_process_that_dies_before_forking_the_workers_is_an_error_not_a_hang():
    pool = ForkedPool(2, _work, _failing_warm_up)
    try:
        handle = pool.submit(("a", "azureml"))
        with pytest.raises(RuntimeError, match="stopped before they started"):
            pool.result(handle)
    finally:
        pool.close()
    assert not pool._warm.is_alive()
