"""The ``hpcest`` group: global options, ``init`` and ``migrate``; the other commands live beside it."""

from __future__ import annotations

import click

from ..version import __version__
from .common import echo_json, json_option
from .errors import DEBUG_ENV, DEBUG_META, EXIT_CODES_HELP, debug_enabled, handle_errors

MAIN_HELP = f"""Run Azure ML SDK v1 training code on Slurm clusters, and migrate it to ScriptRunConfig.

\b
Start here:
  hpcest init                          a workspace (hpcest.toml) in this directory
  hpcest cluster add NAME --host H     a cluster profile; then: hpcest cluster check
  hpcest submit job.py:estimator       a module-level Estimator / ScriptRunConfig
  hpcest submit train.py -- ARGS       the quick form: a script and command-line options
  hpcest run notebook.ipynb            a v1 notebook or script, unmodified (azureml.* served)

Errors print one line; hpcest --debug COMMAND (or {DEBUG_ENV}=1) adds the full traceback.

{EXIT_CODES_HELP}
"""


@click.group(help=MAIN_HELP, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="hpcest")
@click.option(
    "--debug",
    is_flag=True,
    help=f"Show full tracebacks (errors in job files, internal errors); same as {DEBUG_ENV}=1.",
)
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    if debug:
        # Read by every command's error report (the meta dict is shared by the subcommand's context).
        ctx.meta[DEBUG_META] = True


@main.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--name", help="Workspace name (default: the directory name).")
@json_option("the workspace's name, directory and config file")
@handle_errors
def init(directory: str, name: str | None, as_json: bool) -> None:
    """Create hpcest.toml (a workspace) in DIRECTORY."""
    from ..runs.workspace import Workspace

    ws = Workspace.create(directory, name=name, exist_ok=True)
    if as_json:
        echo_json({"name": ws.name, "path": str(ws.path), "config_file": str(ws.config_file)})
        return
    click.echo(f"workspace {ws.name!r} at {ws.path} (config: {ws.config_file})")
    click.echo(
        "next: hpcest cluster add NAME --host LOGIN_NODE (see hpcest cluster add -h), or submit locally: "
        "hpcest submit train.py"
    )


@main.command(
    "migrate",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
    add_help_option=False,
)
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Rewrite Estimator code toward ScriptRunConfig (see: hpcest migrate -h)."""
    from migrate import prestart

    # The workers' warm process loads libcst (heavy, and needed by no other command) while the
    # command is imported and the tree is read.
    prestart.start()
    from migrate.cli import migrate_command
    from migrate.process import end_process

    args = list(ctx.args)
    if debug_enabled() and "--debug" not in args:
        args.insert(0, "--debug")  # hpcest --debug migrate ...
    end_process(lambda: migrate_command.main(args=args, prog_name="hpcest migrate", standalone_mode=True))


def console() -> None:
    """The ``hpcest`` console script (and ``python -m hpc_estimator``): ``main`` in a process of its own."""
    from migrate.process import OWN_PROCESS

    OWN_PROCESS[0] = True
    main(prog_name="hpcest")


def _register() -> None:
    from . import clusters, gc, run, runs, submit

    main.add_command(submit.submit)
    main.add_command(run.run)
    for command in runs.COMMANDS:
        main.add_command(command)
    main.add_command(clusters.cluster)
    main.add_command(gc.gc)


_register()
