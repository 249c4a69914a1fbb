"""The warm process of the migration's workers, forked with ``os.fork`` before anything is imported.

``python -m migrate`` forks it on its first line (``start``): the warm process then loads libcst and the
rules (~0.3 s of CPU) while the parent is still importing click and the command, and reading the
tree; ``migrate.pool.ForkedPool`` adopts it (``take``) or forks one itself. Everything before the fork
is on the critical path of the run (the warm-up waits for it), so this module loads only what the fork
needs: ``os`` and the C ``_socket`` (the Python ``socket``, ``signal`` and ``contextlib`` modules and the
``enum`` they pull in cost a fresh interpreter ~6 ms; each side imports them after the fork).

An unadopted warm process (``--help``, bad options, ``--jobs 1``, a platform without fork) is stopped at
once by ``discard`` or at exit; a warm process whose parent is gone reads end-of-file on its socket and
exits. The warm process ignores SIGINT: Ctrl-C stops the parent, whose exit closes that socket.
"""

from __future__ import annotations

import _socket
import atexit
import os
import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: typing (with re, collections...) costs ~5 ms here
if TYPE_CHECKING:
    import socket
    from collections.abc import Callable

    WarmUp = Callable[[], None]

# The migration's warm-up, named rather than imported (importing it would load the rules here).
MIGRATION_WARM_UP = "migrate.runner:_warm_up"


class WarmProcess:
    """The forked warm process: its pid and the parent's end of their control socket."""

    def __init__(self, pid: int, control_fd: int) -> None:
        self.pid, self._control_fd = pid, control_fd
        self._control: socket.socket | None = None
        self.exitcode: int | None = None

    @property
    def control(self) -> socket.socket:
        """The parent's end of the control socket (a ``socket.socket`` made on first use)."""
        if self._control is None:
            import socket

            self._control = socket.socket(fileno=self._control_fd)
        return self._control

    def close_control(self) -> None:
        if self._control is not None:
            self._control.close()
        elif self._control_fd >= 0:
            os.close(self._control_fd)
        self._control_fd = -1

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
            import contextlib
            import signal

            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)

    def join(self, timeout: float) -> None:
        if not self.is_alive():
            return
        import select
        import time

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
    # socket.send_fds (3.9+) is sendmsg with SCM_RIGHTS: there where the C socket has sendmsg.
    return sys.platform.startswith("linux") and hasattr(os, "fork") and hasattr(_socket.socket, "sendmsg")


def fork_warm_process(warm_up: WarmUp | str) -> WarmProcess | None:
    """Fork the warm process: it runs ``warm_up`` (a callable or ``"module:function"``) and then
    ``migrate.workers.serve``; None where fork is not available."""
    if not fork_available():
        return None
    parent_end, child_end = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:  # the warm process
        code = 1
        try:
            import signal

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
    return WarmProcess(pid, parent_end.detach())


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
        warm.close_control()
        warm.join(timeout=5)
