"""When jobs really started and ended, from the files the job script writes (one remote command,
a few for thousands of runs).

The batch script writes ``started_at`` (epoch seconds) when it begins and ``exit_code`` when it
ends. The run store otherwise only knows when a poll first *saw* a run running or finished, which
for a short job polled rarely is neither; these files give the true times for ``hpcest runs``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import TransportError
from ..transport.base import Transport
from ..util.argv_chunks import argv_chunks


@dataclass(frozen=True)
class JobTimes:
    started: int | None  # epoch seconds from started_at
    ended: int | None  # epoch seconds: the exit_code file's modification time


_SCRIPT = (
    'for d in "$@"; do '
    's=$(head -c 32 "$d/started_at" 2>/dev/null | tr -dc 0-9); '
    'e=$(stat -c %Y "$d/exit_code" 2>/dev/null || date -r "$d/exit_code" +%s 2>/dev/null); '
    'printf "%s\\t%s\\n" "${s:--}" "${e:--}"; done'
)


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def read_job_times(transport: Transport, run_dirs: Sequence[str]) -> dict[str, JobTimes]:
    """The start and end times of the jobs in ``run_dirs`` (missing files give None), keyed by run
    dir, in one command (more only for more directories than fit one: ``util.argv_chunks``)."""
    times: dict[str, JobTimes] = {}
    for chunk in argv_chunks(run_dirs):
        result = transport.run(["sh", "-c", _SCRIPT, "hpcest-times", *chunk])
        if not result.ok:
            raise TransportError(f"cannot read the jobs' started_at files: {result.stderr.strip()}")
        for run_dir, line in zip(chunk, result.stdout.splitlines()):
            started, _, ended = line.partition("\t")
            times[run_dir] = JobTimes(_number(started.strip()), _number(ended.strip()))
    return times
