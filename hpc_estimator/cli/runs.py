"""The commands about submitted runs: ``runs``, ``status``, ``logs``, ``cancel``, ``download``."""

from __future__ import annotations

import json
import posixpath
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from ..util.text_table import format_rows
from . import pipeline as pipeline_cli
from . import sweep as sweep_cli
from .common import duration_seconds, echo_json, format_duration, json_option, load_workspace, run_json
from .errors import EXIT_BAD_INPUT, EXIT_RUN_FAILED, EXIT_UNREACHABLE, CommandError, handle_errors
from .submit import Duration


def refresh(ws: Any, records: Sequence[Any]) -> dict[str, Exception | str]:
    """One batched status round per compute target; returns what could not be asked: targets
    that could not be reached, and runs whose scheduler did not answer (their last state stands)."""
    from ..runs.run import refresh_status

    unreachable: dict[str, Exception | str] = {}

    def note(target: str, exc: Exception) -> None:
        unreachable[target] = exc
        click.echo(f"warning: cannot reach {target}: {exc}; showing the last known status", err=True)

    report = refresh_status(ws, records, on_error=note)
    if report.unknown:
        first = next(iter(report.unknown.values()))
        click.echo(
            f"warning: no answer about {len(report.unknown)} run(s): {first}; their last known status is shown",
            err=True,
        )
        unreachable.update(report.unknown)
    return unreachable


def _run_handle(ws: Any, run_id: str) -> Any:
    from ..runs.run import Run

    return Run.get(ws, run_id)


@click.command()
@click.option("-e", "--experiment", help="Only this experiment.")
@click.option("-n", "--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many runs (newest first).")
@json_option("the runs (with started/ended times and durations)")
@handle_errors
def runs(experiment: str | None, limit: int, as_json: bool) -> None:
    """List runs, refreshing the status of active ones (an unreachable cluster is a warning here)."""
    ws = load_workspace()
    # Pipeline steps and sweep trials are shown under their parent, not as runs of their own.
    records = ws.run_store.list(experiment=experiment, limit=limit, top_level=True)
    refresh(ws, records)
    records = ws.run_store.list(experiment=experiment, limit=limit, top_level=True)
    if as_json:
        echo_json([run_json(r) for r in records])
        return
    if not records:
        click.echo("no runs yet: hpcest submit FILE.py:NAME")
        return
    rows: list[tuple[str, ...]] = [("RUN", "EXPERIMENT", "TARGET", "STATUS", "JOB", "CREATED (UTC)", "DURATION")]
    for r in records:
        rows.append(
            (
                r.run_id,
                r.experiment,
                r.target,
                r.status,
                r.job_id or "-",
                (r.created_at or "")[:19],
                format_duration(duration_seconds(r)),
            )
        )
        if r.kind == "pipeline":
            rows += pipeline_cli.step_rows(ws, r)
    click.echo(format_rows(rows))


@click.command()
@click.argument("run_id")
@click.option("--wait", is_flag=True, help="Wait until the run ends (through cluster outages), streaming rank 0.")
@click.option("--timeout", type=Duration(), help="With --wait: stop waiting after this long and exit 5.")
@click.option("--plot", type=click.Path(dir_okay=False), help="Sweeps: draw every trial's primary metric to this PNG.")
@json_option("the run and its status history")
@handle_errors
def status(run_id: str, wait: bool, timeout: int | None, plot: str | None, as_json: bool) -> None:
    """Show one run's status (asks the cluster once). Exit 1 if it failed or was canceled, 4 if the cluster
    or its scheduler cannot be reached."""
    from ..runs.pipeline_status import is_sweep_step
    from ..runs.queue_reasons import describe
    from .waiting import queue_note, wait_for_run

    ws = load_workspace()
    if timeout is not None and not wait:
        raise click.UsageError("--timeout is for --wait (how long to wait for the run)")
    record = ws.run_store.get(run_id)
    if wait and record.kind == "pipeline":
        raise click.UsageError("status --wait is for single runs; follow a pipeline with hpcest submit ... --wait")
    # A HyperDriveStep's step run is a sweep too: its trials are its children.
    kind = "sweep" if is_sweep_step(record) else record.kind
    if plot and kind != "sweep":
        raise click.UsageError("--plot is for sweeps (HyperDrive runs)")
    if kind == "sweep":
        if timeout is not None:
            raise click.UsageError("--timeout is for single runs; wait for a sweep with --wait alone")
        status_of_sweep(ws, run_id, wait=wait, plot=plot, as_json=as_json)
        return
    if wait:
        wait_for_run(ws, _run_handle(ws, run_id), stream=not as_json, timeout=timeout)
    unreachable = refresh(ws, [ws.run_store.get(run_id)])
    rec = ws.run_store.get(run_id)
    if rec.kind == "pipeline":
        pipeline_cli.status(ws, rec, as_json)
        if unreachable:
            sys.exit(EXIT_UNREACHABLE)
        if rec.status in ("Failed", "Canceled"):
            sys.exit(EXIT_RUN_FAILED)
        return
    if as_json:
        data = run_json(rec)
        data["history"] = [h.__dict__ for h in ws.run_store.history(run_id)]
        data["reachable"] = not unreachable
        echo_json(data)
    else:
        rows = [("FIELD", "VALUE")]
        data = run_json(rec)
        data["duration"] = format_duration(data.pop("duration_s"))
        for key, value in data.items():
            text = json.dumps(value) if isinstance(value, dict) else str(value if value is not None else "-")
            rows.append((key, text))
        click.echo(format_rows(rows))
        meaning = describe(rec.status_detail) if rec.status == "Queued" else None
        note = queue_note(rec)
        if note:
            click.echo(f"warning: {note}", err=True)
        elif meaning:
            click.echo(f"queued: {meaning}")
        if rec.status == "Failed":
            click.echo(f"logs: hpcest logs {run_id} (rank 0 and the end of each failed rank's log)", err=True)
    if unreachable:
        sys.exit(EXIT_UNREACHABLE)
    if rec.status in ("Failed", "Canceled"):
        sys.exit(EXIT_RUN_FAILED)


@click.command()
@click.argument("run_id")
@click.option("-f", "--follow", is_flag=True, help="Keep printing until the run ends.")
@click.option(
    "--rank",
    type=click.IntRange(min=0),
    default=None,
    help="Which rank's output (default: rank 0, and for a failed run the end of each failed rank's log).",
)
@click.option("--batch", is_flag=True, help="The batch script's own output (set-up, image pull, srun's report).")
@click.option("--step", help="Pipeline runs: the step whose output to print.")
@json_option("the log text with the run, rank and path")
@handle_errors
def logs(run_id: str, follow: bool, rank: int | None, batch: bool, step: str | None, as_json: bool) -> None:
    """Print a run's output (rank 0 by default)."""
    from ..backends import get_backend
    from ..runs.logs import batch_log_relpath, rank_count, rank_log_relpath
    from ..runs.run import read_from

    ws = load_workspace()
    rec = ws.run_store.get(run_id)
    if step is not None:
        rec = pipeline_cli.step_record(ws, run_id, step)
        run_id = rec.run_id
    elif rec.kind == "pipeline":
        names = ", ".join(s.name or "?" for s in ws.run_store.children(run_id))
        raise CommandError(f"run {run_id} is a pipeline run: give --step NAME (its steps: {names})", EXIT_BAD_INPUT)
    if batch and rank is not None:
        raise click.UsageError("--rank and --batch show different logs; give one of them")
    count = rank_count(rec)
    if rank is not None and count is not None and rank >= count:
        raise CommandError(
            f"run {run_id} has {count} rank(s) (0-{count - 1}); there is no rank {rank}", EXIT_BAD_INPUT
        )
    if not rec.remote_dir:
        raise CommandError(f"run {run_id} was never submitted ({rec.status}: {rec.status_detail or 'no detail'})")
    if batch and rec.backend != "local" and not rec.job_id and rec.kind not in ("sweep", "trial"):
        # Slurm names the batch log after the job id, which a submission whose reply was lost has not
        # got yet.
        raise CommandError(
            f"run {run_id} has no Slurm job id yet ({rec.status}: {rec.status_detail or 'no detail'}), and its batch "
            f"log is named after it; `hpcest status {run_id}` asks the cluster for it first"
        )
    if rec.kind in ("sweep", "trial"):
        path = sweep_cli.sweep_log_path(rec, rank=rank or 0, batch=batch)
    else:
        path = posixpath.join(rec.remote_dir, batch_log_relpath(rec) if batch else rank_log_relpath(rank or 0))
    backend = get_backend(ws, rec.target)
    if as_json and follow:
        raise click.UsageError("--json prints the log once; leave out --follow")
    offset = 0
    chunks: list[bytes] = []
    while True:
        chunk = read_from(backend.transport, path, offset)
        if chunk:
            if as_json:
                chunks.append(chunk)
            else:
                click.echo(chunk.decode("utf-8", errors="replace"), nl=False)
            offset += len(chunk)
        if not follow:
            break
        refresh(ws, [ws.run_store.get(run_id)])
        if ws.run_store.get(run_id).is_terminal:
            follow = False  # one more read for what was written last
            continue
        time.sleep(1.0)
    rec = ws.run_store.get(run_id)
    if as_json:
        echo_json(
            {
                "run_id": run_id,
                "status": rec.status,
                "log": "batch" if batch else f"rank {rank or 0}",
                "path": path,
                "text": b"".join(chunks).decode("utf-8", errors="replace"),
            }
        )
        return
    if offset == 0:
        click.echo(f"note: {_why_empty(backend.transport, rec, path, batch)}", err=True)
    if rank is None and not batch and rec.status == "Failed":
        from .waiting import report_failure

        report_failure(ws, rec, streamed_rank0=offset > 0)


def _why_empty(transport: Any, rec: Any, path: str, batch: bool) -> str:
    """Why a log printed nothing: not started yet, never written, or written empty."""
    shown = posixpath.relpath(path, rec.remote_dir) if path.startswith(rec.remote_dir + "/") else path
    if transport.run(["test", "-f", path]).ok:
        return f"{shown} is empty (nothing written to it yet)"
    if not rec.is_terminal:
        return f"{shown} does not exist yet: the run is {rec.status}; try again later or add --follow"
    if batch:
        return f"{shown} does not exist: the job never started ({rec.status}: {rec.status_detail or 'no detail'})"
    return (
        f"{shown} does not exist: no rank started ({rec.status}: {rec.status_detail or 'no detail'}); "
        f"the batch script's output says why: hpcest logs {rec.run_id} --batch"
    )


@click.command()
@click.argument("run_id")
@json_option("the run's status after the request")
@handle_errors
def cancel(run_id: str, as_json: bool) -> None:
    """Cancel a run (scancel on Slurm; stops the process group locally). Exit 2 if it already finished."""
    ws = load_workspace()
    rec = ws.run_store.get(run_id)
    if not rec.is_terminal:
        refresh(ws, [rec])  # it may have ended since it was last looked at
        rec = ws.run_store.get(run_id)
    if rec.is_terminal:
        raise CommandError(
            f"run {run_id} has already finished ({rec.status}); there is nothing to cancel", EXIT_BAD_INPUT
        )
    if rec.kind == "pipeline":
        pipeline_cli.cancel(ws, rec)
        return
    _run_handle(ws, run_id).cancel()
    rec = ws.run_store.get(run_id)
    if as_json:
        echo_json(run_json(rec))
        return
    click.echo(f"cancel requested for {run_id}; hpcest status {run_id} shows when it has stopped")


@click.command()
@click.argument("run_id")
@click.option("-o", "--output-dir", default=None, help="Where to put the files (default: ./<run id>).")
@click.option(
    "--prefix",
    default="outputs/",
    show_default=True,
    help="Only files under this prefix of the run directory, e.g. logs/ or metrics/; '' = every file "
    "(outputs/, logs/, hpcest-logs/, metrics/, job.sbatch, the snapshot in src/).",
)
@json_option("the files downloaded and where")
@handle_errors
def download(run_id: str, output_dir: str | None, prefix: str, as_json: bool) -> None:
    """Download a run's files (outputs/ by default)."""
    from ..runs.run import list_run_files
    from ..transport.fetch_tree import fetch_tree

    ws = load_workspace()
    run = _run_handle(ws, run_id)
    rec = run.record
    if not rec.remote_dir:
        raise CommandError(f"run {run_id} was never submitted; it has no files")
    transport = run._backend().transport
    out = Path(output_dir or run_id)
    names = [n for n in list_run_files(transport, rec.remote_dir) if n.startswith(prefix)]
    fetch_tree(transport, rec.remote_dir, names, out)  # one transfer, whatever the number of files
    if as_json:
        echo_json({"run_id": run_id, "output_dir": str(out), "files": names})
        return
    click.echo(f"downloaded {len(names)} file(s) to {out}")
    if not names:
        click.echo(f"note: run {run_id} has no files under {prefix!r}; --prefix '' downloads every file", err=True)


COMMANDS = [runs, status, logs, cancel, download]


def status_of_sweep(ws: Any, run_id: str, *, wait: bool, plot: str | None, as_json: bool) -> None:
    """A sweep's status: its trials best first (after waiting for it to end, with --wait)."""
    if wait:
        from ..runs.run import Run

        Run.get(ws, run_id).wait_for_completion(show_output=not as_json, raise_on_error=False)
    unreachable = refresh(ws, [ws.run_store.get(run_id)])
    sweep_cli.show_sweep(ws, run_id, as_json=as_json, plot=plot)
    if unreachable:
        sys.exit(EXIT_UNREACHABLE)
    if ws.run_store.get(run_id).status in ("Failed", "Canceled"):
        sys.exit(EXIT_RUN_FAILED)
