"""``hpcest migrate PATH...``: the click command (registered by hpc_estimator.cli)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from migrate.files import discover
from migrate.names import TARGETS
from migrate.report import json_report, sarif_report, text_report
from migrate.runner import run


@click.command(name="migrate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--write", is_flag=True, help="Apply the changes (default: show a diff and write nothing).")
@click.option("--check", is_flag=True, help="Exit 1 when any file would change (0 clean, 2 internal error).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option(
    "--target",
    type=click.Choice(TARGETS),
    default="azureml",
    show_default=True,
    help="Import the new classes from azureml (azureml.core, azureml.pipeline.steps) or hpc_estimator.",
)
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores).")
@click.option("--include", multiple=True, help="Extra glob of files to look at, e.g. '*.md' (repeatable).")
@click.option("--exclude", multiple=True, help="Glob of files or directories to skip (repeatable).")
@click.option("--no-gitignore", is_flag=True, help="Also look at files that .gitignore excludes.")
def migrate_command(
    paths: tuple[Path, ...],
    write: bool,
    check: bool,
    output_format: str,
    target: str,
    jobs: int | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    no_gitignore: bool,
) -> None:
    """Rewrite Azure ML v1 Estimator / EstimatorStep / HyperDrive code to ScriptRunConfig + Environment.

    Shows a unified diff by default; --write applies it. Files that cannot be migrated safely are left
    untouched and reported, with TODO(hpcest-migrate) comments at the calls that need a person.
    """
    try:
        files = list(discover(list(paths), include, exclude, respect_gitignore=not no_gitignore))
        results = run(files, target, write=write and not check, jobs=jobs)
        show_diff = not write or check
        if output_format == "text":
            summary = text_report(results, show_diff, click.echo)
        else:
            document, summary = json_report(results, show_diff) if output_format == "json" else sarif_report(results)
            click.echo(document)
    except Exception as error:
        click.echo(f"hpcest migrate: internal error: {error}", err=True)
        sys.exit(2)
    if summary.internal_errors:
        sys.exit(2)
    if check and summary.changed:
        sys.exit(1)
