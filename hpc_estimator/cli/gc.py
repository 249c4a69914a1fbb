"""``hpcest gc``: free the snapshot store, the image cache and the image-build directories of what no
recent run uses (a dry run unless --yes)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from ..errors import SchedulerError, TransportError
from ..snapshot.gc import DEFAULT_DAYS
from .common import echo_json, json_option, load_workspace
from .errors import EXIT_UNREACHABLE, handle_errors

if TYPE_CHECKING:
    from ..cluster.profile import ClusterProfile
    from ..runs.workspace import Workspace


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
    """Remove what no run of the last DAYS days used, on TARGETS (default: all): snapshot contents,
    images, image-build directories.

    Run directories are never touched: each has its own copy of its snapshot, so what goes from the
    store is only what makes the next submission send less. An image goes only if no run of the last
    DAYS days and no job Slurm still lists (queued, running, held...) uses it; without an answer from
    Slurm, images are left as they are.
    """
    from ..backends import get_backend
    from ..backends.image_gc import collect_images
    from ..snapshot.gc import collect

    ws = load_workspace()
    names = list(targets) or sorted(ws.profiles)
    reports: dict[str, dict[str, object]] = {}
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
        reports[name] = vars(report) | {"errors": list(report.errors)}
        if not as_json:
            click.echo(f"{name}: {report.summary(days)}")
            for error in report.errors:
                click.echo(f"{name}: warning: could not remove {error}", err=True)
        store = backend.image_store()
        if store is None:
            continue
        try:
            # Asked first: an image of a job that has waited in the queue for longer than DAYS is in use.
            active = backend.active_workdirs()
            roots = _runs_sharing(ws, name, store.cache)
            images = collect_images(backend.transport, store, roots, active, days=days, delete=yes)
        except (TransportError, SchedulerError) as exc:
            click.echo(f"{name}: images left as they are: {exc}", err=True)
            reports[name]["images"] = None
            unreachable = True
            continue
        reports[name]["images"] = vars(images) | {"errors": list(images.errors)}
        if not as_json:
            click.echo(f"{name}: {images.summary(days)}")
            for error in images.errors:
                click.echo(f"{name}: warning: could not remove {error}", err=True)
    if as_json:
        echo_json(reports)
    if unreachable:
        sys.exit(EXIT_UNREACHABLE)


def _runs_sharing(ws: Workspace, name: str, cache: str) -> list[str]:
    """The run directories of every profile of the workspace on the same cluster as ``name`` whose
    images go to ``cache`` (a cache configured outside the work directory may serve several)."""
    from ..backends import get_backend

    def cluster(profile: ClusterProfile) -> tuple[object, ...]:
        return profile.transport, profile.host, profile.port, profile.user

    here = cluster(ws.get_profile(name))
    roots = []
    for other in sorted(ws.profiles):
        backend = get_backend(ws, other)
        store = backend.image_store()
        if store is not None and store.cache == cache and cluster(ws.get_profile(other)) == here:
            roots.append(backend.snapshot_store()[1])
    return roots
