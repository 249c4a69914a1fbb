"""Worker processes that start warm, without delaying the parent's reading of the tree.

Loading libcst and the rules costs a process ~0.3 s of CPU, more than migrating all of its share of a
typical tree's candidates (bench/bench_migrate.py). So on Linux one process, forked from the parent
as the run starts (``python -m migrate`` forks it on its first line: ``migrate.prestart``), loads
them once (``warm_up``) while the parent goes on importing, reading and pre-filtering, and then
forks the other workers from itself (``migrate.workers``): they start with everything loaded and every
cache filled. Loading in every worker instead made the copies compete with each other and with the
parent for the cores; loading in the parent first made the reading wait for it.

The parent hands out tasks itself, at most ``IN_FLIGHT`` per worker (the rest wait here, so a slow
file never holds up the others' queue), and collects each worker's results from its own socket. A
worker that dies is an error for the file it had, a warm process that dies before handing out its
workers an error from ``result``; either way the parent stops with an internal error instead of
waiting forever. Where fork is not available (macOS, Windows) the workers are spawned and load
everything themselves.
"""

from __future__ import annotations

import select
import socket
import weakref
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from migrate import workers as wire
from migrate.prestart import WarmProcess, fork_available, fork_warm_process

if TYPE_CHECKING:
    from concurrent.futures import Future

__all__ = ["ForkedPool", "Pool", "SpawnPool", "fork_available"]

Task = tuple[str, str]  # (path, target)
Work = Callable[[Task], Any]

IN_FLIGHT = 2  # tasks per worker: one being migrated, one waiting in its socket
NOT_STARTED = "the migration's worker processes stopped before they started (see the error above)"


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
        from concurrent.futures import ProcessPoolExecutor

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
    """Workers forked from one warm process (see the module docstring).

    ``warm`` is a warm process forked earlier (``migrate.prestart``), its warm-up already under
    way; without it the pool forks its own, now.
    """

    def __init__(self, jobs: int, work: Work, warm_up: Callable[[], None], warm: WarmProcess | None = None) -> None:
        if warm is None:
            warm = fork_warm_process(warm_up)
            if warm is None:
                raise RuntimeError("fork is not available here: use SpawnPool")
        self._warm = warm
        control = warm.control
        self._jobs, self._work = jobs, work
        self._workers: list[socket.socket] = [control]  # the warm process is worker 0
        self._handed_out = False  # whether the other workers' sockets have arrived
        self._outstanding: dict[socket.socket, set[int]] = {control: set()}
        self._waiting: deque[tuple[int, Task]] = deque()
        self._done: dict[int, Any] = {}
        self._count = 0
        self._submitted = [False]
        # Also when the pool is dropped unclosed (a run() never iterated) or at exit: the warm process
        # would otherwise wait for the parent's tasks.
        self._finalizer = weakref.finalize(self, _stop, warm, self._workers, self._submitted)

    def submit(self, task: Task) -> int:
        if not self._submitted[0]:
            # Read by the warm process once its warm-up is done: how many workers to fork and what
            # they run (sent with the first task, so that a pool given no work forks none).
            self._submitted[0] = True
            try:
                wire.send(self._warm.control, (self._jobs, self._work))
            except OSError:  # it died during its warm-up
                raise RuntimeError(NOT_STARTED) from None
        handle = self._count
        self._count += 1
        self._waiting.append((handle, task))
        self._collect(timeout=0)
        return handle

    def result(self, handle: int) -> Any:
        if not self._submitted[0]:
            raise KeyError(handle)
        while handle not in self._done:
            self._collect(timeout=0.5)
        return self._done.pop(handle)

    def close(self) -> None:
        self._finalizer()

    def _hand_out(self) -> None:
        for worker in self._workers:
            outstanding = self._outstanding[worker]
            while self._waiting and len(outstanding) < IN_FLIGHT:
                handle, task = self._waiting.popleft()
                try:
                    wire.send(worker, (handle, task))
                except OSError:
                    if worker is self._warm.control and not self._handed_out:
                        # Whether its death is seen here or when reading its reply is a race.
                        raise RuntimeError(NOT_STARTED) from None
                    raise RuntimeError("a worker process of the migration stopped") from None
                outstanding.add(handle)

    def _collect(self, timeout: float) -> bool:
        """Hand out what waits, then take every result that is ready (waiting up to ``timeout``)."""
        self._hand_out()
        ready, _, _ = select.select(self._workers, [], [], timeout)
        for worker in ready:
            if worker is self._warm.control and not self._handed_out:
                self._receive_workers()
                continue
            try:
                index, value, error = wire.receive(worker)
            except EOFError:
                lost = self._outstanding.pop(worker)
                self._workers.remove(worker)
                if lost or not self._workers:
                    raise RuntimeError(f"a worker process of the migration stopped with {len(lost)} file(s)") from None
                continue
            if error is not None:
                raise RuntimeError(error)
            self._outstanding[worker].discard(index)
            self._done[index] = value
        if ready:
            self._hand_out()
        return bool(ready)

    def _receive_workers(self) -> None:
        control = self._warm.control
        try:
            message, fds, _, _ = socket.recv_fds(control, len(wire.WORKERS_MESSAGE), self._jobs)
        except OSError:  # reset: it died with our first tasks unread
            message, fds = b"", []
        if message != wire.WORKERS_MESSAGE:
            raise RuntimeError(NOT_STARTED)
        self._handed_out = True
        for fd in fds:
            worker = socket.socket(fileno=fd)
            self._workers.append(worker)
            self._outstanding[worker] = set()


def _stop(warm: WarmProcess, workers: list[socket.socket], submitted: list[bool]) -> None:
    if not submitted[0]:
        # Nothing was submitted, so no worker has been forked (the warm process forks them once it
        # reads the pool's first message, which comes with the first task): stop it even if it is
        # still loading libcst.
        warm.terminate()
    for worker in workers:
        worker.close()  # each worker reads end-of-file: it finishes its file and exits
    warm.join(timeout=10)
    if warm.is_alive():
        warm.terminate()
        warm.join(timeout=10)
