"""``hpcest gc``: free the snapshot store of contents no recent run uses (a dry run unless --yes)."""

from __future__ import annotations

import sys

import click

from ..errors import TransportError
from ..snapshot.gc import DEFAULT_DAYS
from .common import echo_json, json_option, load_workspace
from .errors import EXIT_UNREACHABLE, handle_errors


@click.command("gc")
@click.argument("targets", nargs=-1)
@click.option(
    "--older-than",
    "days",
    type=float,
    default=DEFAULT_DAYS,
    show_default=True,
    help="Keep what a run or a staging of the last DAYS days used.",
)
@click.option("--yes", is_flag=True, help="Remove them (without it, only say what would go).")
@json_option("each target's store size and what went (or would go)")
@handle_errors
def gc(targets: tuple[str, ...], days: float, yes: bool, as_json: bool) -> None:
    """Remove snapshot contents no run of the last DAYS days used, on TARGETS (default: all).

    Run directories are never touched: each has its own copy of its snapshot, so what goes is
    only what makes the next submission send less.
    """
    from ..backends import get_backend
    from ..snapshot.gc import collect

    ws = load_workspace()
    names = list(targets) or sorted(ws.profiles)
    reports = {}
    unreachable = False
    for name in names:
        backend = get_backend(ws, name)
        cas, runs_root = backend.snapshot_store()
        try:
            report = collect(backend.transport, cas, runs_root, days=days, delete=yes)
        except TransportError as exc:
            if len(names) == 1:
                raise
            # One cluster down must not keep the others from being cleaned.
            click.echo(f"{name}: error: {exc}", err=True)
            unreachable = True
            continue
        reports[name] = report
        if not as_json:
            click.echo(f"{name}: {report.summary(days)}")
            for error in report.errors:
                click.echo(f"{name}: warning: could not remove {error}", err=True)
    if as_json:
        echo_json({name: vars(r) | {"errors": list(r.errors)} for name, r in reports.items()})
    if unreachable:
        sys.exit(EXIT_UNREACHABLE)
