"""Waiting for a run on the command line, and what to show when it did not complete.

``submit --wait`` streams rank 0's output. While the run is queued for a reason that can never
clear (``PartitionNodeLimit`` ...), it says so once, with the fix. When the run fails it prints the
last lines of each rank that ended non-zero (or of the batch log when no rank ran) and the
``hpcest logs`` options that show them in full.
"""

from __future__ import annotations

import codecs
import sys
from typing import Any

import click

from ..errors import TransportError


class StagingProgress:
    """A progress bar on stderr for the snapshot upload (only on a terminal, only when bytes move)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._bar: Any = None
        self._done = 0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            self._bar = click.progressbar(length=total, label="staging source", file=sys.stderr)
            self._bar.__enter__()
        self._bar.update(done - self._done)
        self._done = done

    def __enter__(self) -> StagingProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)


def queue_note(record: Any) -> str | None:
    """The explanation for a queued run that can never start as submitted, else None."""
    from ..runs.queue_reasons import explain

    if record.status != "Queued":
        return None
    return explain(record.status_detail, run_id=record.run_id, cluster=record.target)


def wait_for_run(ws: Any, run: Any, *, stream: bool, timeout: float | None = None) -> Any:
    """Wait until the run ends (streaming rank 0 when ``stream``); returns its final record.

    Outages are reported once each way and waited out (``runs.waiting``); ``timeout`` raises
    WaitTimeoutError (exit 5) with the run still going.
    """
    from ..runs.waiting import wait_until_terminal

    offset = 0
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    explained = False

    def tick() -> None:
        nonlocal offset, explained
        if stream:
            offset = run._stream(offset, decoder)
        if not explained:
            note = queue_note(run.record)
            if note:
                click.echo(f"warning: {note} (still waiting; Ctrl-C stops waiting, the job stays queued)", err=True)
                explained = True

    try:
        status = wait_until_terminal(run.id, run._poll_once, timeout_s=timeout, on_tick=tick)
    except KeyboardInterrupt:
        click.echo(f"\nstopped waiting; the run goes on: hpcest status {run.id}", err=True)
        sys.exit(130)
    if stream:
        run._stream(offset, decoder)
        click.echo(f"\nRun {run.id}: {status}")
    final = run._reload()
    if final.status != "Completed":
        report_failure(ws, final, streamed_rank0=stream)
    return final


def report_failure(ws: Any, record: Any, *, streamed_rank0: bool = False) -> None:
    """On stderr: the status and the end of each failed rank's log (or of the batch log)."""
    click.echo(f"run {record.run_id} {record.status}: {record.status_detail or 'no detail'}", err=True)
    if record.status != "Failed":
        return
    from ..backends import get_backend
    from ..runs.logs import failure_tails

    try:
        tails, notes = failure_tails(
            get_backend(ws, record.target).transport,
            record,
            already_shown=frozenset({0}) if streamed_rank0 else frozenset(),
        )
    except TransportError as exc:
        click.echo(f"warning: cannot read the run's logs: {exc}", err=True)
        return
    for tail in tails:
        click.echo(f"---- {tail.title}: last lines of {tail.relpath} ----", err=True)
        click.echo(tail.text, err=True)
        click.echo(f"---- all of it: hpcest logs {record.run_id} {tail.option} ----", err=True)
    for note in notes:
        click.echo(f"note: {note}", err=True)
