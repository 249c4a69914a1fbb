"""What jobs logged, read from their run directories on the cluster: any number of them in one
remote command (a few for thousands of them).

Every rank of a job appends JSON lines to ``<run dir>/metrics/<rank>.jsonl``
(``runtime.context``); here those files come back through a transport, as records in logging
order (``runtime.context.merge_metrics`` and ``merge_tags`` fold them). A single run reads its own
directory; a sweep reads all its trials together (``HyperDriveRun.get_metrics``, its sorted
children, the progress line's best, ``hpcest status SWEEP --plot``), so a sweep of 1,000 trials
costs one or two round trips (as many as its directories' names need, ``util.argv_chunks``), not 1,000.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import TransportError
from ..runtime.context import in_logging_order, merge_metrics, parse_events
from ..transport.base import Transport
from ..util.argv_chunks import argv_chunks
from .status import QUERY_TIMEOUT_S

HEADER = "\036hpcest-metrics"
END = "\036hpcest-end"

# Arguments: run directories (one starting with ~/ is under the remote home). For each, a header
# line, then its rank files through one awk, which ends every line with a newline, so a torn last
# line (a rank killed mid-write) cannot glue onto the next file's first line or the next header;
# after the last directory, an end line. The logger writes JSON, which escapes control characters,
# so no line of a metrics file is a header or the end line.
_METRICS_SH = (
    'for d in "$@"; do '
    'case $d in "~/"*) d="$HOME/${d#"~/"}";; esac; '
    "printf '\\036hpcest-metrics\\n'; "
    'set -- "$d"/metrics/*.jsonl; [ -f "$1" ] && awk 1 "$@"; '
    "done; printf '\\036hpcest-end\\n'"
)


def metrics_argv(run_dirs: Sequence[str]) -> list[str]:
    """One command printing every rank's metrics file of each run directory (see ``parse_metrics``)."""
    return ["sh", "-c", _METRICS_SH, "hpcest-metrics", *run_dirs]


def parse_metrics(count: int, stdout: str) -> list[list[dict[str, Any]]]:
    """Each of the ``count`` directories' records, in logging order, from ``metrics_argv``'s output
    (a directory without metrics has none). An answer without the end line or with another number
    of directories (cut short) raises TransportError: what was logged is then unknown, not nothing."""
    sections: list[list[str]] = []
    ended = False
    # Newlines only: str.splitlines would also split on the separator character itself.
    for line in stdout.split("\n"):
        if ended:
            if line:
                sections = []  # anything after the end line: not an answer of ours
                break
        elif line == HEADER:
            sections.append([])
        elif line == END:
            ended = True
        elif sections:
            sections[-1].append(line)
    if not ended or len(sections) != count:
        raise TransportError(
            f"cannot read the metrics of {count} run(s): the answer was cut short or is not one of metrics "
            f"files ({len(sections)} run(s) in it): {stdout[-200:]!r}"
        )
    return [in_logging_order(parse_events("\n".join(lines))) for lines in sections]


def fetch_events_of(transport: Transport, run_dirs: Sequence[tuple[str, str]]) -> dict[str, list[dict[str, Any]]]:
    """``{key: records}`` for ``(key, run directory)`` pairs, in one remote command (none for none;
    more only when the directories' names would not fit one command: ``util.argv_chunks``, about
    970 directories of 100 bytes a command).

    A read that fails, hangs (a stuck network filesystem) or answers in the wrong shape raises
    TransportError.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    for batch in argv_chunks(run_dirs, lambda pair: (pair[1],)):
        result = transport.run(metrics_argv([d for _, d in batch]), timeout=QUERY_TIMEOUT_S)
        if not result.ok:
            what = batch[0][1] if len(batch) == 1 else f"{len(batch)} runs"
            raise TransportError(f"cannot read the metrics of {what}: {result.stderr.strip() or 'no error output'}")
        out.update(zip((key for key, _ in batch), parse_metrics(len(batch), result.stdout)))
    return out


def fetch_metrics_of(transport: Transport, run_dirs: Sequence[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """``{key: metrics}`` (v1 ``Run.get_metrics()`` form) for ``(key, run directory)`` pairs, in one
    remote command (see ``fetch_events_of``)."""
    return {key: merge_metrics(events) for key, events in fetch_events_of(transport, run_dirs).items()}


def fetch_events(transport: Transport, run_dir: str) -> list[dict[str, Any]]:
    """Every rank's records of one run directory."""
    return fetch_events_of(transport, [(run_dir, run_dir)])[run_dir]


def fetch_metrics(transport: Transport, run_dir: str) -> dict[str, Any]:
    """One run directory's metrics, as v1 ``Run.get_metrics()`` returns them."""
    return merge_metrics(fetch_events(transport, run_dir))
