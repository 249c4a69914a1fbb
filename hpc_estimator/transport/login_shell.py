"""Run a command through a login shell (``bash -l``), for sites that set PATH in /etc/profile.d.

Many sites put Slurm or ``module`` on PATH only for login shells; a non-interactive SSH command
(or a cron job on the login node) does not read /etc/profile, so ``sbatch`` is "not found". The
profile's ``login_shell = true`` runs every command as ``bash -lc 'exec "$@"' bash ARGV...``: the
arguments stay arguments (never re-parsed as shell code), and the profile scripts' own output
(banners, "module loaded" lines) is cut off at a marker printed just before the command starts,
so it never reaches hpcest's parsers.
"""

from __future__ import annotations

from collections.abc import Sequence

# Record separators around a word no profile script prints.
MARKER = "\x1ehpcest-login-shell\x1e"
_SCRIPT = "printf '\\036hpcest-login-shell\\036'; exec \"$@\""


def wrap(argv: Sequence[str]) -> tuple[str, ...]:
    """``argv`` run by a login bash, after the site's profile scripts."""
    return ("bash", "-lc", _SCRIPT, "bash", *argv)


def strip_profile_output(stdout: str) -> str:
    """The command's own output: what follows the marker (all of it if the marker never came)."""
    head, found, tail = stdout.partition(MARKER)
    return tail if found else head
