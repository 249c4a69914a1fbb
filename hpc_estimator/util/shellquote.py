"""Quoting for bash that keeps every value on one line.

``shlex.quote`` is correct but leaves newlines inside single quotes, so a value could put a
line starting with ``#SBATCH`` into the script body. Values with control characters are
therefore written in bash's ANSI-C form ``$'...'`` with escapes; everything else uses
``shlex.quote``. Both forms give back the exact bytes to bash.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quote(value: str) -> str:
    if "\x00" in value:
        raise ValueError("a NUL byte cannot be passed through a shell script")
    if not any(ord(c) < 0x20 or c == "\x7f" for c in value):
        return shlex.quote(value)
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "$'" + "".join(out) + "'"


def join(argv: Iterable[str]) -> str:
    return " ".join(quote(a) for a in argv)
