"""The warm process of the migration's workers, forked with ``os.fork`` before anything is imported.

``python -m migrate`` forks it on its first line (``start``): the warm process then loads libcst and the
rules (~0.3 s of CPU) while the parent is still importing click and the command, and reading the
tree; ``migrate.pool.ForkedPool`` adopts it (``take``) or forks one itself. This module imports only
small standard modules (socket, signal), so starting here costs a fork and little else.

An unadopted warm process (``--help``, bad options, ``--jobs 1``, a platform without fork) is stopped at
once by ``discard`` or at exit; a warm process whose parent is gone reads end-of-file on its socket and
exits. The warm process ignores SIGINT: Ctrl-C stops the parent, whose exit closes that socket.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import signal
import socket
import sys
import time
from collections.abc import Callable

WarmUp = Callable[[], None]

# The migration's warm-up, named rather than imported (importing it would load the rules here).
MIGRATION_WARM_UP = "migrate.runner:_warm_up"


class WarmProcess:
    """The forked warm process: its pid and the parent's end of their control socket."""

    def __init__(self, pid: int, control: socket.socket) -> None:
        self.pid, self.control = pid, control
        self.exitcode: int | None = None

    def is_alive(self) -> bool:
        if self.exitcode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.exitcode = -1  # reaped elsewhere: gone all the same
                return False
            if pid:
                self.exitcode = os.waitstatus_to_exitcode(status)
        return self.exitcode is None

    def terminate(self) -> None:
        if self.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)

    def join(self, timeout: float) -> None:
        if not self.is_alive():
            return
        pidfd_open = getattr(os, "pidfd_open", None)  # Linux >= 5.3: woken the moment it exits
        if pidfd_open is not None:
            try:
                pidfd = pidfd_open(self.pid)
            except OSError:
                pidfd = None  # no longer there, or no pidfd here: poll below
            if pidfd is not None:
                try:
                    select.select([pidfd], [], [], timeout)
                finally:
                    os.close(pidfd)
                self.is_alive()
                return
        deadline = time.monotonic() + timeout
        while self.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)


def fork_available() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork") and hasattr(socket, "send_fds")


def fork_warm_process(warm_up: WarmUp | str) -> WarmProcess | None:
    """Fork the warm process: it runs ``warm_up`` (a callable or ``"module:function"``) and then
    ``migrate.workers.serve``; None where fork is not available."""
    if not fork_available():
        return None
    parent_end, child_end = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # the warm process
        code = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            parent_end.close()
            # Nothing here writes to standard output: a reader of the parent's output (a pipe) then
            # sees its end when the parent exits, not when this process does.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.close(devnull)
            from migrate.workers import serve

            serve(child_end.detach(), _resolve(warm_up))
            code = 0
        except BaseException:  # the warm process never returns into the parent's code
            import traceback

            traceback.print_exc()
        finally:
            try:
                sys.stderr.flush()
            finally:
                os._exit(code)
    child_end.close()
    return WarmProcess(pid, parent_end)


def _resolve(warm_up: WarmUp | str) -> WarmUp:
    if callable(warm_up):
        return warm_up
    module, _, name = warm_up.partition(":")
    imported = __import__(module, fromlist=[name])
    function: WarmUp = getattr(imported, name)
    return function


_STARTED: list[WarmProcess] = []


def start() -> None:
    """Fork the migration's warm process now (the first line of ``python -m migrate``)."""
    if _STARTED:
        return
    warm = fork_warm_process(MIGRATION_WARM_UP)
    if warm is not None:
        _STARTED.append(warm)
        atexit.register(discard)


def take() -> WarmProcess | None:
    """The warm process ``start`` forked, once (None if there is none or it has already been taken)."""
    return _STARTED.pop() if _STARTED else None


def discard() -> None:
    """Stop an unadopted warm process (it would otherwise compete for the cores until its warm-up ends)."""
    while _STARTED:
        warm = _STARTED.pop()
        warm.terminate()
        warm.control.close()
        warm.join(timeout=5)
