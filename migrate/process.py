"""How the migrate command ends the process it runs in.

Set by the real entry points (``python -m migrate``, the ``hpcest`` console script): the command
then owns its process and ends it itself; in-process callers (tests, click's CliRunner) get the
ordinary SystemExit. Imports nothing heavy: every ``hpcest`` command loads this module.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable

OWN_PROCESS = [False]


def end_process(run: Callable[[], object]) -> None:
    """Run the command; in a process of its own, end the process with its exit status without the
    interpreter's teardown of every module (~20 ms of CPU on each run, for a command whose output is
    flushed and whose worker processes are reaped by then; mypy ends its process the same way).
    Anything but an exit (Ctrl-C, a crash) propagates as usual."""
    if not OWN_PROCESS[0]:
        run()
        return
    try:
        run()
        code = 0
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            code = stop.code or 0
        else:
            print(stop.code, file=sys.stderr)
            code = 1
    from migrate import prestart

    prestart.discard()  # an unadopted warm process is stopped, as at an ordinary exit
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # the reader is gone (``| head``): nothing more can reach it
            stream.flush()
    os._exit(code)
