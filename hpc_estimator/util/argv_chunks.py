"""A command built from a list that grows with the work (run directories, job ids), cut into as
many commands as the kernel's argument limits need: one, unless the list is long.

Why: over SSH the remote shell receives the whole command line as one argument
(``$SHELL -c COMMAND``), and Linux refuses any single argument longer than MAX_ARG_STRLEN, 32
pages (128 KiB, its terminating NUL included), with E2BIG ("Argument list too long"); a
``--jobs=1,2,...`` option is one argument even when run locally; and all arguments with the
environment must also fit ARG_MAX (2 MiB on a default 8 MiB stack). A sweep of 1,500 trials has
1,500 run directories of about 100 bytes each: 150 KB in one command, which would fail every
status poll and the cancel. Callers run one command per chunk and merge the answers.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar, cast, overload

T = TypeVar("T")

# Linux's limit on one argument of execve (include/uapi/linux/binfmts.h: 32 * PAGE_SIZE), NUL included.
MAX_ARG_STRLEN = 32 * 4096
# What the listed items of one command may take, measured as they are sent (quoted, separated):
# MAX_ARG_STRLEN less 32 KiB for the rest of the command line, which does not grow with the list:
# the script (a few KiB at most), the profile's ``env K=V`` prefix and the login-shell wrapper.
ARGV_BUDGET = 96 * 1024


def arg_size(arg: str) -> int:
    """The bytes ``arg`` adds to a command line: quoted as the SSH transport quotes it
    (``shlex.join``), and a separator. Never less than the argument itself takes when run
    locally (its bytes and a NUL), nor than an item of a comma-joined list (its bytes and a comma)."""
    return len(shlex.quote(arg).encode()) + 1


@overload
def argv_chunks(items: Iterable[str], *, budget: int = ...) -> list[list[str]]: ...


@overload
def argv_chunks(items: Iterable[T], args: Callable[[T], Iterable[str]], *, budget: int = ...) -> list[list[T]]: ...


def argv_chunks(
    items: Iterable[T], args: Callable[[T], Iterable[str]] | None = None, *, budget: int = ARGV_BUDGET
) -> list[list[T]]:
    """``items`` in order, cut into consecutive chunks whose arguments (``args(item)``; the item
    itself for strings) take at most ``budget`` bytes of a command line (``arg_size``); no chunk for
    no items. An item that alone takes more than ``budget`` raises ValueError: no command can send it.
    """
    chunks: list[list[T]] = []
    used = 0
    for item in items:
        item_args: Sequence[str] = [cast(str, item)] if args is None else list(args(item))
        cost = sum(arg_size(a) for a in item_args)
        if cost > budget:
            head = " ".join(item_args)[:80]
            raise ValueError(
                f"an item of {cost} bytes cannot be sent in one command, which may carry {budget} bytes of "
                f"listed arguments (Linux limits one argument to {MAX_ARG_STRLEN} bytes): {head!r}..."
            )
        if not chunks or used + cost > budget:
            chunks.append([])
            used = 0
        chunks[-1].append(item)
        used += cost
    return chunks
