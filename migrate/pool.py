"""Worker processes that start warm, without delaying the parent's reading of the tree.

Loading libcst and the rules costs a process ~0.3 s of CPU, more than migrating all of its share of a
typical tree's candidates (bench/bench_migrate.py). So on Linux one process, forked from the parent
as the run starts, loads them once (``warm_up``) while the parent goes on reading and pre-filtering,
and then forks the workers from itself: they start with everything loaded and every cache filled.
Loading in every worker instead made the copies compete with each other and with the parent for the
cores; loading in the parent first made the reading wait for it.

The first process relays: the parent sends it ``(index, path, target)`` through a pipe, it submits
each to its ``ProcessPoolExecutor`` and sends ``(index, FileResult, error)`` back as they finish. A
worker that dies surfaces as an error for the file it had (BrokenProcessPool), a relay that dies as an
error from ``result``; either way the parent stops with an internal error instead of waiting forever.
Where fork is not available (macOS, Windows) the workers are spawned and load everything themselves.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import queue
import sys
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

Task = tuple[str, str]  # (path, target)
Work = Callable[[Task], Any]


def fork_available() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


class Pool:
    """``submit(task) -> handle`` now, ``result(handle)`` later (in any order)."""

    def submit(self, task: Task) -> int:
        raise NotImplementedError

    def result(self, handle: int) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class SpawnPool(Pool):
    """A plain ProcessPoolExecutor whose workers each run ``warm_up`` first (no fork here)."""

    def __init__(self, jobs: int, work: Work, warm_up: Callable[[], None]) -> None:
        self._executor = ProcessPoolExecutor(max_workers=jobs)
        for _ in range(jobs):
            self._executor.submit(warm_up)
        self._work = work
        self._futures: list[Future[Any]] = []

    def submit(self, task: Task) -> int:
        self._futures.append(self._executor.submit(self._work, task))
        return len(self._futures) - 1

    def result(self, handle: int) -> Any:
        return self._futures[handle].result()

    def close(self) -> None:
        self._executor.shutdown(cancel_futures=True)


class ForkedPool(Pool):
    """Workers forked from a relay process that ran ``warm_up`` (see the module docstring)."""

    def __init__(self, jobs: int, work: Work, warm_up: Callable[[], None]) -> None:
        context = multiprocessing.get_context("fork")
        tasks_out, self._tasks = context.Pipe(duplex=False)
        self._results, results_in = context.Pipe(duplex=False)
        self._relay = context.Process(
            target=_relay,
            args=(jobs, work, warm_up, tasks_out, results_in, (self._tasks, self._results)),
            name="hpcest-migrate-relay",
            daemon=False,  # it forks the workers (daemonic processes may not); close() always ends it
        )
        self._relay.start()
        tasks_out.close()
        results_in.close()
        self._count = 0
        self._submitted = [False]
        self._done: dict[int, Any] = {}
        # Also when the pool is dropped unclosed (a run() never iterated) or at exit: multiprocessing
        # would otherwise wait for the relay at exit while the relay waits for the parent's tasks.
        self._finalizer = weakref.finalize(self, _stop, self._relay, self._tasks, self._results, self._submitted)

    def submit(self, task: Task) -> int:
        self._submitted[0] = True
        self._tasks.send((self._count, task))
        self._count += 1
        return self._count - 1

    def result(self, handle: int) -> Any:
        while handle not in self._done:
            if not self._results.poll(0.5):
                if not self._relay.is_alive():
                    raise RuntimeError(f"the migration's worker processes stopped (exit code {self._relay.exitcode})")
                continue
            try:
                index, value, error = self._results.recv()
            except EOFError:
                raise RuntimeError("the migration's worker processes stopped before sending every result") from None
            if error is not None:
                raise RuntimeError(error)
            self._done[index] = value
        return self._done.pop(handle)

    def close(self) -> None:
        self._finalizer()


def _stop(relay: BaseProcess, tasks: Connection, results: Connection, submitted: list[bool]) -> None:
    if not submitted[0]:
        # Nothing was submitted, so the relay has not forked any worker (the executor forks them at its
        # first submit): stop it even if it is still loading libcst.
        relay.terminate()
    tasks.close()  # the relay reads end-of-file: it cancels what is left and exits
    results.close()  # and its sender stops at once if results are still on their way
    relay.join(timeout=10)
    if relay.is_alive():
        relay.terminate()
        relay.join()


def _close(connections: tuple[Connection, ...]) -> None:
    for connection in connections:
        connection.close()


def _relay(
    jobs: int,
    work: Work,
    warm_up: Callable[[], None],
    tasks: Connection,
    results: Connection,
    parent_ends: tuple[Connection, ...],
) -> None:
    _close(parent_ends)  # else the parent would never see end-of-file from the pipes if this process died
    warm_up()
    # Out of the collector's reach before forking: otherwise every collection in a worker writes to
    # the inherited objects' headers, copying the pages of this process into each worker one by one.
    gc.freeze()
    executor = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_close,
        initargs=((tasks, results),),
    )
    # Results go out from one thread, so that a full pipe (the parent still sending) never blocks the
    # executor's own thread, which runs the done-callbacks.
    outbox: queue.SimpleQueue[tuple[int, Any, str | None] | None] = queue.SimpleQueue()
    sender = threading.Thread(target=_send_all, args=(outbox, results), daemon=True)

    def done(index: int, future: Future[Any]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is None:
            outbox.put((index, future.result(), None))
        else:
            outbox.put((index, None, f"{type(error).__name__}: {error}"))

    try:
        while True:
            try:
                index, task = tasks.recv()
            except EOFError:
                # The parent has every result, stopped early or is gone: cancel what has not started.
                break
            executor.submit(work, task).add_done_callback(functools.partial(done, index))
            if sender.ident is None:
                # Started after the first submit, which forks every worker: no thread of this process
                # is running while it forks.
                sender.start()
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        outbox.put(None)
        if sender.ident is not None:
            sender.join(timeout=10)


def _send_all(outbox: queue.SimpleQueue[tuple[int, Any, str | None] | None], results: Connection) -> None:
    while (item := outbox.get()) is not None:
        try:
            results.send(item)
        except (BrokenPipeError, OSError):
            return  # the parent stopped listening
