"""``hpcest migrate PATH...``: the click command (registered by hpc_estimator.cli).

Exit status (rows of the CLI-wide table): 0 nothing to change (or changes written); 1 ``--check``
and some file would change; 2 bad input: bad options, a path that does not exist, or files that could
not be read or parsed (the report lists them, HPE901/HPE904); 3 internal error, a bug (HPE902/HPE903:
a short "please report" line; the traceback only with ``--debug``). The highest applicable wins.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import click

from migrate import prestart
from migrate.files import discover
from migrate.names import TARGETS
from migrate.runner import EXIT_INTERNAL, FileResult, run

REPORT = "please report this at the hpcest issue tracker with the file that caused it"
EXIT_READER_GONE = 141  # the shell's status of a process killed by SIGPIPE (128 + 13)


@click.command(name="migrate", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--write", is_flag=True, help="Apply the changes (default: show a diff and write nothing).")
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 when any file would change (0: nothing would change)."
)
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
@click.option(
    "--debug", is_flag=True, envvar="HPCEST_DEBUG", help="Show the traceback of internal errors (or HPCEST_DEBUG=1)."
)
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
    debug: bool,
) -> None:
    """Rewrite Azure ML v1 Estimator / EstimatorStep / HyperDrive code to ScriptRunConfig + Environment.

    Shows a unified diff by default; --write applies it. Files that cannot be migrated safely are left
    untouched and reported, with TODO(hpcest-migrate) comments at the calls that need a person.

    Exit status: 0 nothing to change, 1 --check found changes, 2 bad input (options, paths, files
    that could not be read or parsed), 3 internal error.
    """
    internal: list[FileResult] = []

    def noting(results):  # type: ignore[no-untyped-def]
        for result in results:
            if result.traceback is not None:
                internal.append(result)
            yield result

    try:
        files = discover(list(paths), include, exclude, respect_gitignore=not no_gitignore)
        results = noting(run(files, target, write=write and not check, jobs=jobs))
        # Imported once run() has started the workers' warm process, which loads libcst meanwhile.
        from migrate.report import json_report, sarif_report, text_report

        show_diff = not write or check
        if output_format == "text":
            summary = text_report(results, show_diff, click.echo)
        else:
            document, summary = json_report(results, show_diff) if output_format == "json" else sarif_report(results)
            click.echo(document)
    except BrokenPipeError:
        # The reader went away (``| head``): what it read is all it wanted. Exit as a process killed by
        # SIGPIPE would, quietly (stdout now goes nowhere, so no later flush can fail either).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        sys.exit(EXIT_READER_GONE)
    except Exception as error:
        click.echo(f"hpcest migrate: internal error ({type(error).__name__}: {error}); {REPORT}", err=True)
        if debug:
            click.echo(traceback.format_exc(), err=True, nl=False)
        sys.exit(EXIT_INTERNAL)
    finally:
        prestart.discard()  # a warm process no pool adopted (nothing to migrate) is not kept
    if internal:
        click.echo(f"hpcest migrate: internal error in {len(internal)} file(s); {REPORT}", err=True)
        if debug:
            for result in internal:
                click.echo(f"{result.path}:\n{result.traceback}", err=True, nl=False)
    code = summary.exit_code(check)
    if code:
        sys.exit(code)
