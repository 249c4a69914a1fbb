"""What a job wrote about itself, for many run directories in one remote command (a few for thousands).

Every job script leaves ``exit_code`` (when it ends), ``started_at``, ``end_reason`` (a time limit
it saw) and, after ``hpcest cancel``, ``cancel_requested`` in its run directory; single runs,
pipeline steps and sweep trials are all decided from these (``backends.status.resolve``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import TransportError
from ..transport.base import Transport
from ..util.argv_chunks import argv_chunks
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


def job_files_argv(run_dirs: Sequence[str]) -> list[str]:
    """One command printing a line of four fields per run directory (see ``parse_job_files``)."""
    return ["sh", "-c", _FILES_SH, "hpcest-status", *run_dirs]


def parse_job_files(count: int, stdout: str) -> list[JobFiles]:
    """Each of the ``count`` directories' files from ``job_files_argv``'s output. An answer of
    another shape (cut short, another number of lines) raises TransportError."""
    # Split on newlines only: a stray carriage return in a file is not a line of its own.
    lines = stdout.split("\n")
    if lines[-1] == "":
        lines.pop()
    rows = [line.split("\t") for line in lines]
    if len(rows) != count or any(len(r) != 4 or r[1] not in ("0", "1") or r[2] not in ("0", "1") for r in rows):
        raise TransportError(
            f"cannot read job status files: expected {count} line(s) of four fields, got {len(lines)}: "
            f"{stdout[-200:]!r}"
        )
    return [
        (
            None if exit_code in ("-", "") else exit_code,
            started == "1",
            cancel == "1",
            None if reason in ("-", "") else reason,
        )
        for exit_code, started, cancel, reason in rows
    ]


def read_job_files(transport: Transport, dirs: Sequence[tuple[str, str]]) -> dict[str, JobFiles]:
    """``{key: files}`` for ``(key, run directory)`` pairs, in one remote command (none for none;
    more only when the directories' names would not fit one command: ``util.argv_chunks``).

    A read that fails, hangs (a stuck network filesystem) or answers in the wrong shape (cut short),
    for any of the commands, raises TransportError: what the files say is then unknown, never
    "no files" (which would let a run be declared lost).
    """
    out: dict[str, JobFiles] = {}
    for chunk in argv_chunks(dirs, lambda pair: (pair[1],)):
        result = transport.run(job_files_argv([d for _, d in chunk]), timeout=QUERY_TIMEOUT_S)
        if not result.ok:
            raise TransportError(f"cannot read job status files: {result.stderr.strip() or 'no error output'}")
        out.update(zip((key for key, _ in chunk), parse_job_files(len(chunk), result.stdout)))
    return out
