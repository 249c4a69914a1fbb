"""What a job wrote about itself, for many run directories in one remote command.

Every job script leaves ``exit_code`` (when it ends), ``started_at``, ``end_reason`` (a time limit
it saw) and, after ``hpcest cancel``, ``cancel_requested`` in its run directory; single runs,
pipeline steps and sweep trials are all decided from these (``backends.status.resolve``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import TransportError
from ..transport.base import Transport
from .status import QUERY_TIMEOUT_S

JobFiles = tuple[str | None, bool, bool, str | None]  # exit code text, started, cancel requested, end reason

# One line per run directory: "<exit code or ->\t<started 0/1>\t<cancel 0/1>\t<end reason or ->"
# (the files' own tabs and newlines removed, so every line has exactly four fields).
_FILES_SH = (
    'for d in "$@"; do '
    'if [ -f "$d/exit_code" ]; then e=$(head -c 32 "$d/exit_code" | tr -d "\\n\\t"); else e=-; fi; '
    '[ -f "$d/started_at" ] && s=1 || s=0; [ -f "$d/cancel_requested" ] && c=1 || c=0; '
    'if [ -f "$d/end_reason" ]; then r=$(head -c 32 "$d/end_reason" | tr -d "\\n\\t"); else r=-; fi; '
    'printf "%s\\t%s\\t%s\\t%s\\n" "$e" "$s" "$c" "$r"; done'
)


def read_job_files(transport: Transport, dirs: Sequence[tuple[str, str]]) -> dict[str, JobFiles]:
    """``{key: files}`` for ``(key, run directory)`` pairs, in one remote command.

    A read that hangs (a stuck network filesystem) or answers in the wrong shape (cut short) raises
    TransportError: what the files say is then unknown, never "no files" (which would let a run be
    declared lost).
    """
    if not dirs:
        return {}
    result = transport.run(["sh", "-c", _FILES_SH, "hpcest-status", *[d for _, d in dirs]], timeout=QUERY_TIMEOUT_S)
    if not result.ok:
        raise TransportError(f"cannot read job status files: {result.stderr.strip()}")
    # Split on newlines only: a stray carriage return in a file is not a line of its own.
    lines = result.stdout.split("\n")
    if lines[-1] == "":
        lines.pop()
    rows = [line.split("\t") for line in lines]
    if len(rows) != len(dirs) or any(len(r) != 4 or r[1] not in ("0", "1") or r[2] not in ("0", "1") for r in rows):
        raise TransportError(
            f"cannot read job status files: expected {len(dirs)} line(s) of four fields, got {len(lines)}: "
            f"{result.stdout[-200:]!r}"
        )
    out: dict[str, JobFiles] = {}
    for (key, _), (exit_code, started, cancel, reason) in zip(dirs, rows):
        out[key] = (
            None if exit_code in ("-", "") else exit_code,
            started == "1",
            cancel == "1",
            None if reason in ("-", "") else reason,
        )
    return out
