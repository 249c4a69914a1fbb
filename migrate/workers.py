"""The warm process and its workers (the side of ``migrate.pool.ForkedPool`` that runs the work).

One process is forked early (``migrate.prestart``) and loads libcst and the rules (``warm_up``).
The parent then sends it ``(jobs, work)`` over their control socket; it forks ``jobs - 1`` workers
from itself, so that they start with everything loaded and every cache filled, hands the parent one
socket per worker (SCM_RIGHTS, one message) and becomes worker 0 on the control socket. From then on
the parent talks to each worker directly: ``(index, task)`` in, ``(index, result, error)`` out, as
length-prefixed pickles. No thread, no executor, no relaying of results through a third process:
on the small trees ``hpcest migrate`` usually sees, the executor's imports and hops cost more than
the files.

A worker ends at end-of-file on its socket (the parent closed it, or is gone); one that dies is seen
by the parent as end-of-file with tasks outstanding, an error for those files, never a hang. This
module imports nothing that the interpreter has not loaded for libcst anyway.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import socket
import struct
from collections.abc import Callable
from typing import Any

_HEADER = struct.Struct("!Q")
WORKER_GC_THRESHOLD = 10_000  # allocations between young-generation collections in a worker
WORKERS_MESSAGE = b"workers!"  # the bytes that carry the workers' sockets (fixed size: read exactly)


def send(sock: socket.socket, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_HEADER.pack(len(data)) + data)


def _read_exactly(sock: socket.socket, size: int) -> bytes | None:
    chunks: list[bytes] = []
    while size:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def receive(sock: socket.socket) -> Any:
    """The next message; raises EOFError when the other side has closed its end."""
    header = _read_exactly(sock, _HEADER.size)
    if header is None:
        raise EOFError
    data = _read_exactly(sock, _HEADER.unpack(header)[0])
    if data is None:
        raise EOFError
    return pickle.loads(data)


def serve(control_fd: int, warm_up: Callable[[], None]) -> None:
    """The warm process: warm up, wait for ``(jobs, work)``, fork the other workers, then work."""
    control = socket.socket(fileno=control_fd)
    # Loading creates long-lived objects only (classes, functions, tables): the collector's passes
    # over them during the warm-up (~4% of it, on the run's critical path) would find nothing.
    gc.disable()
    warm_up()
    try:
        jobs, work = receive(control)
    except EOFError:
        return  # adopted by no pool: the parent is done or gone
    # Out of the collector's reach before forking: otherwise every collection in a worker writes to
    # the inherited objects' headers, copying the pages of this process into each worker one by one.
    gc.freeze()
    # A migrated file leaves almost nothing to the collector (its edits hold no reference cycles), so
    # collect less often than every 700 allocations: each pass walks the current file's live tree.
    gc.set_threshold(WORKER_GC_THRESHOLD, 10, 10)
    gc.enable()
    children: list[int] = []
    handed: list[socket.socket] = []
    for _ in range(max(0, jobs - 1)):
        parent_end, worker_end = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                parent_end.close()
                control.close()
                for other in handed:
                    other.close()
                _work_loop(worker_end, work)
                code = 0
            except BaseException:  # a worker never returns into the warm process's code
                import traceback

                traceback.print_exc()
            finally:
                os._exit(code)
        children.append(pid)
        worker_end.close()
        handed.append(parent_end)
    with contextlib.suppress(OSError):  # the parent is gone: the workers read end-of-file below
        socket.send_fds(control, [WORKERS_MESSAGE], [s.fileno() for s in handed])
    for parent_end in handed:
        parent_end.close()
    try:
        _work_loop(control, work)
    finally:
        control.close()
        for pid in children:
            os.waitpid(pid, 0)


def _work_loop(sock: socket.socket, work: Callable[[Any], Any]) -> None:
    while True:
        try:
            index, task = receive(sock)
        except (EOFError, OSError):
            return
        try:
            reply: tuple[int, Any, str | None] = (index, work(task), None)
        except Exception as error:  # reported to the parent, which stops the run
            reply = (index, None, f"{type(error).__name__}: {error}")
        try:
            send(sock, reply)
        except OSError:
            return  # the parent stopped listening (closed early)
