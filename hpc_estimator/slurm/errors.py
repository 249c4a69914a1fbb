"""Slurm's refusals as exceptions, Slurm's own words kept verbatim."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..errors import SchedulerError
from ..transport.base import CommandResult


class SlurmCommandError(SchedulerError):
    """A Slurm client command failed; ``str(err)`` is Slurm's stderr, verbatim."""

    def __init__(self, stderr: str, *, argv: Sequence[str] = (), returncode: int | None = None) -> None:
        text = stderr.strip()
        if not text:
            cmd = argv[0] if argv else "slurm command"
            text = f"{cmd} exited with status {returncode} and printed nothing on stderr"
        super().__init__(text)
        self.stderr = stderr
        self.argv = tuple(argv)
        self.returncode = returncode


class AccountingDisabledError(SlurmCommandError):
    """sacct cannot work on this cluster (no slurmdbd); fall back to squeue / exit-code files."""


class InvalidJobIdError(SlurmCommandError):
    """Slurm does not know the job (never existed, or already purged from slurmctld)."""


_ACCOUNTING_DISABLED = re.compile(r"accounting storage is disabled", re.IGNORECASE)
_INVALID_JOB_ID = re.compile(r"Invalid job id specified", re.IGNORECASE)


def check(result: CommandResult) -> CommandResult:
    """Return ``result`` if the command succeeded, else raise the matching SlurmCommandError.

    Slurm's own words are kept verbatim: they are what a user can search for or show an admin.
    """
    if result.ok:
        return result
    cls: type[SlurmCommandError] = SlurmCommandError
    if _ACCOUNTING_DISABLED.search(result.stderr):
        cls = AccountingDisabledError
    elif _INVALID_JOB_ID.search(result.stderr):
        cls = InvalidJobIdError
    raise cls(result.stderr, argv=result.argv, returncode=result.returncode)


def is_accounting_disabled(text: str) -> bool:
    """True if sacct's output says the cluster has no accounting storage."""
    return bool(_ACCOUNTING_DISABLED.search(text))


def unanswered(result: CommandResult) -> str | None:
    """Why a query got no answer (controller down, timeout), or None when the scheduler answered.

    "Invalid job id specified" is an answer: squeue says that when it knows none of the ids.
    """
    if result.ok or _INVALID_JOB_ID.search(result.stderr):
        return None
    text = result.stderr.strip().splitlines()
    return text[-1] if text else f"{result.argv[0] if result.argv else 'command'} exited with {result.returncode}"
