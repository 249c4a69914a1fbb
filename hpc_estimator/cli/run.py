"""``hpcest run NOTEBOOK.ipynb | SCRIPT.py``: a team's v1 notebook or script, unmodified, on Slurm.

The file runs here with every ``azureml.*`` import served by hpc_estimator (``compat/``): its
Workspace is the hpcest workspace, its compute targets are cluster profiles, its runs are Slurm
jobs. ``--target NAME`` sends every run to profile NAME whatever the code names (``$HPCEST_TARGET``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from ..errors import ActivityFailedException, ConfigError
from .errors import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_RUN_FAILED, CommandError, exit_code_for, fail, handle_errors

RUN_HELP = """Run a v1 notebook (its code cells in order) or script, unmodified, with azureml.* served by hpcest.

\b
hpcest run train_on_aml.ipynb --target mycluster
hpcest run train_on_aml.ipynb --cells 1-4          the first four code cells
hpcest run submit_job.py --target local -- --epochs 2

\b
Workspace.from_config() (a config.json is ignored), ComputeTarget/AmlCompute lookups and
create(), datastore uploads, Dataset registration, Model.register and run.register_model,
RunDetails(run).show() all get their Slurm meaning; AKS/ACI deployment, Webservice, AutoML and
Key Vault stop the run with the cell number and what to do instead. Magics: %%writefile, %run,
%cd, %env, %pip, %%bash, !cmd as Jupyter does them; %matplotlib and other display magics do
nothing. Cells are numbered among the notebook's code cells, from 1. Exit code 2 when the
notebook raises (the message names the cell), 1 when a run it waits for fails.
"""


@click.command("run", help=RUN_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("path", metavar="NOTEBOOK.ipynb | SCRIPT.py", type=click.Path(dir_okay=False))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option("-t", "--target", help="Send every run to this compute target ('local' or a cluster profile), "
              "whatever compute target the code names.")
@click.option("--cells", help="Notebook only: the code cells to run: A-B, A, A-, -B, or a comma-separated list.")
@click.option("--no-headers", is_flag=True, help="Notebook only: do not print a [cell N] line before each cell.")
@handle_errors
def run(path: str, args: tuple[str, ...], target: str | None, cells: str | None, no_headers: bool) -> None:
    from ..compat.runner import CellError, run_notebook, run_script
    from ..runs.workspace import ENV_VAR
    from ..v1.compute import TARGET_ENV
    from .common import load_workspace

    file = Path(path)
    if not file.is_file():
        raise CommandError(f"no such file: {path}")
    notebook = file.suffix == ".ipynb"
    if cells and not notebook:
        raise click.UsageError("--cells is for notebooks (.ipynb); a script runs whole")
    ws = load_workspace()
    if target is not None and target not in ws.profiles:
        raise ConfigError(
            f"--target {target}: no such compute target in {ws.config_file}; known: {', '.join(sorted(ws.profiles))}. "
            f"Add one with `hpcest cluster add {target} --host LOGIN_NODE`."
        )
    saved = {name: os.environ.get(name) for name in (ENV_VAR, TARGET_ENV)}
    # The notebook's Workspace.from_config() finds this workspace even after it changes directory.
    os.environ[ENV_VAR] = str(ws.path)
    if target is not None:
        os.environ[TARGET_ENV] = target
    from ..runs.store import utc_now

    started = utc_now()
    try:
        if notebook:
            outcome = run_notebook(file, cells=cells, args=args, show_headers=not no_headers)
        else:
            outcome = run_script(file, args=args)
    except CellError as exc:
        original = exc.original
        if exc.internal:
            raise original from None
        if isinstance(original, ActivityFailedException):
            fail(str(exc), EXIT_RUN_FAILED)
        code = exit_code_for(original)
        fail(str(exc), EXIT_BAD_INPUT if code is None or code == EXIT_INTERNAL else code)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _report_unfinished(ws, started)
        ws.close()
    if outcome.caught_refusals:
        for note in outcome.caught_refusals:
            click.echo(f"hpcest: error: {note}", err=True)
        fail(f"{len(outcome.caught_refusals)} Azure-only call(s) were refused (above); the file did not run as "
             "written on Azure", EXIT_BAD_INPUT)


def _report_unfinished(ws: Any, started: str) -> None:
    """The runs the file started and did not wait for: they go on (as on Azure); say how to follow them."""
    going = [r for r in ws.run_store.list(top_level=True) if r.created_at >= started and not r.is_terminal]
    for record in going:
        click.echo(f"hpcest run: run {record.run_id} ({record.status}) goes on after the notebook: "
                   f"hpcest status {record.run_id} --wait", err=True)
