"""Exit codes and error reporting: one table for every ``hpcest`` command (migrate included).

0. success
1. the run failed or was canceled (``submit --wait``, ``status`` of a Failed run); ``migrate --check``:
   some file would change; ``cluster check``: problems found
2. bad input or configuration: usage errors, an unknown run or target, an invalid hpcest.toml or
   estimator, an error in the job file, ``cancel`` of a finished run, ``logs --rank`` of a rank that
   does not exist, files migrate could not process
3. internal error, a bug in hpcest: one "please report" line; the traceback with ``--debug`` or
   ``HPCEST_DEBUG=1``
4. the cluster could not be reached (SSH or the Slurm client commands did not answer)
5. ``--wait`` gave up after the caller's time limit while the job still runs (``WaitTimeoutError``)

:func:`handle_errors` maps hpcest's own exception types to these codes; anything else is a bug.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from ..errors import (
    AzureMLException,
    ConfigError,
    HpcestError,
    SchedulerError,
    TransportError,
    WaitTimeoutError,
)

EXIT_OK = 0
EXIT_RUN_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_UNREACHABLE = 4
EXIT_WAIT_TIMEOUT = 5

# The table as ``hpcest --help`` shows it (click keeps lines after \b as they are).
EXIT_CODES_HELP = """\b
Exit codes (all commands, migrate included):
  0  success
  1  the run failed or was canceled (submit --wait, status); migrate --check:
     a file would change; cluster check: problems found
  2  bad input or configuration (usage, unknown run or target, hpcest.toml,
     the job file, cancel of a finished run, logs --rank of no such rank)
  3  internal error (a bug): please report it; --debug shows the traceback
  4  the cluster could not be reached
  5  --wait gave up after its time limit while the job still runs"""

DEBUG_ENV = "HPCEST_DEBUG"
REPORT = "please report it at the hpcest issue tracker with the command you ran"

F = TypeVar("F", bound=Callable[..., Any])


class UserCodeError(HpcestError):
    """The user's job file failed while hpcest loaded it; the message holds its own frames."""


class CommandError(HpcestError):
    """A CLI-level refusal with its own exit code (e.g. ``cancel`` of a finished run: 2)."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


DEBUG_META = "hpcest.debug"


def debug_enabled() -> bool:
    """``hpcest --debug COMMAND`` (kept in the click context) or ``HPCEST_DEBUG=1``."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.meta.get(DEBUG_META):
        return True
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    click.echo(f"hpcest: error: {message}", err=True)
    sys.exit(code)


def exit_code_for(exc: BaseException) -> int | None:
    """The exit code of one of hpcest's own errors (None: not ours, so a bug)."""
    if isinstance(exc, CommandError):
        return exc.code
    if isinstance(exc, WaitTimeoutError):
        return EXIT_WAIT_TIMEOUT
    if isinstance(exc, TransportError):
        return EXIT_UNREACHABLE
    if isinstance(exc, SchedulerError):
        # Slurm answered and refused (sbatch rejected the job, scancel refused): the request or the
        # profile is wrong, not the connection.
        return EXIT_BAD_INPUT
    if isinstance(exc, (ConfigError, AzureMLException, UserCodeError, HpcestError)):
        return EXIT_BAD_INPUT
    if isinstance(exc, OSError) and exc.filename is not None:
        # A file of the user's could not be read or written (permissions, a full disk).
        return EXIT_BAD_INPUT
    return None


def report_internal_error(exc: BaseException) -> NoReturn:
    click.echo(f"hpcest: internal error ({type(exc).__name__}: {exc}); {REPORT}.", err=True)
    if debug_enabled():
        click.echo("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)), err=True, nl=False)
    else:
        click.echo(f"hpcest: rerun with --debug (or {DEBUG_ENV}=1) to see the traceback.", err=True)
    sys.exit(EXIT_INTERNAL)


def handle_errors(func: F) -> F:
    """Turn hpcest's exceptions into one clear line on stderr and the table's exit code.

    Anything that is not one of hpcest's own error types is a bug: it is reported as an internal
    error (exit 3), with the traceback under ``--debug``.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("\nhpcest: interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            code = exit_code_for(exc)
            if code is None:
                report_internal_error(exc)
            if debug_enabled():
                click.echo("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)), err=True, nl=False)
            message = str(exc)
            if isinstance(exc, OSError) and not isinstance(exc, HpcestError):
                message = f"{exc.strerror or exc}: {exc.filename}"
            fail(message, code)

    return wrapper  # type: ignore[return-value]
