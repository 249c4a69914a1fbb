"""``hpcest submit``: a module-level configuration (``FILE.py:NAME``) or the quick form (``train.py -- ARGS``)."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from ..errors import ConfigError
from . import pipeline as pipeline_cli
from . import sweep as sweep_cli
from .common import echo_json, load_workspace, run_json
from .errors import EXIT_RUN_FAILED, EXIT_UNREACHABLE, UserCodeError, handle_errors
from .loader import (
    candidate_labels,
    candidates,
    job_definitions,
    load_config_object,
    run_job_file,
    split_spec,
)

# -- option types --------------------------------------------------------------------------------

_CLOCK = re.compile(r"^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$")


def parse_duration(text: str) -> int:
    """Seconds in ``3600``, ``MM:SS``, ``HH:MM:SS`` or ``D-HH[:MM[:SS]]`` (Slurm's day form).

    The rule of ``max_run_duration_seconds``: a whole number of seconds >= 0, where 0 means no limit.
    """
    text = text.strip()
    if text.isdigit():
        return int(text)
    m = _CLOCK.match(text)
    if not m or (m.group(1) is None and m.group(3) is None):
        raise ValueError(f"{text!r} is not a duration: use seconds (3600), MM:SS, HH:MM:SS or D-HH:MM:SS")
    days, first, second, third = m.groups()
    if days is not None:
        hours, minutes, seconds = int(first), int(second or 0), int(third or 0)
    elif third is not None:
        hours, minutes, seconds = int(first), int(second), int(third)
    else:
        hours, minutes, seconds = 0, int(first), int(second)
    if seconds > 59 or ((days is not None or third is not None) and minutes > 59):
        raise ValueError(f"{text!r}: minutes and seconds must be below 60")
    return ((int(days or 0) * 24 + hours) * 60 + minutes) * 60 + seconds


class Duration(click.ParamType):
    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class KeyValue(click.ParamType):
    name = "KEY=VALUE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, str]:
        if isinstance(value, tuple):
            return value
        key, sep, val = str(value).partition("=")
        if not sep or not key:
            self.fail(f"{value!r}: use KEY=VALUE", param, ctx)
        return key, val


# The quick form's options: with FILE.py:NAME the configuration sets all of these itself.
QUICK_OPTIONS = ("nodes", "processes_per_node", "distribution", "use_gpu", "image", "time_limit", "env", "source_dir")


# -- the quick form ------------------------------------------------------------------------------


def quick_config(
    script: str,
    args: Sequence[str],
    *,
    target: str | None,
    nodes: int,
    processes_per_node: int,
    distribution: str,
    use_gpu: bool,
    image: str | None,
    time_limit: int | None,
    env: Sequence[tuple[str, str]],
    source_dir: str | None,
) -> Any:
    """A ScriptRunConfig from command-line options (``hpcest submit train.py ... -- ARGS``)."""
    from ..v1.environment import DEFAULT_GPU_IMAGE, Environment
    from ..v1.runconfig import DockerConfiguration, MpiConfiguration, PyTorchConfiguration, TensorflowConfiguration
    from ..v1.script_run_config import ScriptRunConfig

    script_path = Path(script)
    source = Path(source_dir) if source_dir else script_path.parent
    rel = os.path.relpath(script_path.resolve(), source.resolve())
    if rel.startswith(".."):
        raise ConfigError(f"script {script} is not inside --source-dir {source}")
    environment = Environment("hpcest-quick")
    if image:
        environment.docker.base_image = image
    elif use_gpu:
        # v1's use_gpu=True chose the GPU default image; the CPU one has no CUDA.
        environment.docker.base_image = DEFAULT_GPU_IMAGE
    environment.docker.gpu_support = use_gpu
    dist: Any = None
    if distribution == "mpi":
        dist = MpiConfiguration(process_count_per_node=processes_per_node, node_count=nodes)
    elif distribution in ("gloo", "nccl"):
        dist = PyTorchConfiguration(
            communication_backend=distribution.capitalize(), process_count=nodes * processes_per_node, node_count=nodes
        )
    elif distribution == "ps":
        dist = TensorflowConfiguration(worker_count=nodes * processes_per_node, parameter_server_count=1)
    elif nodes > 1 or processes_per_node > 1:
        raise click.UsageError("--nodes/--processes-per-node > 1 need --distribution mpi|gloo|nccl|ps")
    config = ScriptRunConfig(
        source_directory=str(source),
        script=rel,
        arguments=list(args),
        compute_target=target or None,
        environment=environment,
        distributed_job_config=dist,
        max_run_duration_seconds=time_limit if time_limit is not None else ScriptRunConfig.MAX_DURATION_SECONDS_DEFAULT,
        # A container only when an image is named: a quick local run uses this machine's Python.
        docker_runtime_config=DockerConfiguration(use_docker=bool(image) or (target or "local") != "local"),
    )
    for key, value in env:
        config.run_config.environment_variables[key] = value
    return config


def refuse_job_file_as_script(path: str) -> None:
    """``hpcest submit job.py`` where job.py defines configurations: ask for ``job.py:NAME``."""
    is_job_file, static_names = job_definitions(Path(path))
    if not is_job_file:
        return
    names = static_names
    with contextlib.suppress(UserCodeError):  # the static names are enough to say what to type
        names = candidates(run_job_file(Path(path))) or static_names
    if names:
        examples = ", ".join(f"{path}:{n}" for n in names)
        raise click.UsageError(
            f"{path} defines {candidate_labels()} objects, so it is a job file, not a training script: "
            f"name the one to submit, e.g. hpcest submit {path}:{names[0]} (defined there: {examples})"
        )
    raise click.UsageError(
        f"{path} imports hpc_estimator/azureml configuration classes, so it reads as a job file, not a training "
        f"script: name the module-level object to submit, hpcest submit {path}:NAME"
    )


# -- the command ---------------------------------------------------------------------------------


@click.command(context_settings={"ignore_unknown_options": False})
@click.argument("what", metavar="FILE.py:NAME | SCRIPT.py")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option("-t", "--target", help="Compute target: 'local' or a cluster profile of hpcest.toml.")
@click.option("-e", "--experiment", help="Experiment name (default: the file's name).")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the sbatch script (the rank table as # comments after it) and submit nothing; "
    "`> job.sbatch` gives a script bash and sbatch accept.",
)
@click.option("--run-id", help="With --dry-run: the run id to show (default: a new one), for reproducible scripts.")
@click.option(
    "--wait/--no-wait",
    default=False,
    help="Wait for the run to end, streaming rank 0's output; on failure show the failed ranks' last lines.",
)
@click.option(
    "--timeout",
    type=Duration(),
    help="With --wait: stop waiting after this long (seconds or [D-]HH:MM:SS) and exit 5; the run goes on.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run (or, with --dry-run, the script, ranks and "
              "warnings) as JSON.")
@click.option("--nodes", type=click.IntRange(min=1), default=1, show_default=True, help="Quick form: nodes.")
@click.option(
    "--processes-per-node", type=click.IntRange(min=1), default=1, show_default=True, help="Quick form: ranks per node."
)
@click.option(
    "--distribution",
    type=click.Choice(["none", "mpi", "gloo", "nccl", "ps"]),
    default="none",
    show_default=True,
    help="Quick form: how ranks talk.",
)
@click.option(
    "--gpu", "use_gpu", is_flag=True, help="Quick form: request GPUs (one per rank unless the profile says) and "
    "use v1's GPU default image."
)
@click.option("--image", help="Quick form: container image (docker reference or path on the cluster).")
@click.option(
    "--time", "time_limit", type=Duration(), help="Quick form: time limit: seconds, MM:SS, HH:MM:SS or D-HH:MM:SS."
)
@click.option("--env", multiple=True, type=KeyValue(), help="Quick form: KEY=VALUE for the training process "
              "(repeatable).")
@click.option("--source-dir", help="Quick form: folder to snapshot (default: the script's folder).")
@click.option("--param", "params", multiple=True, help="Pipeline: NAME=VALUE for a PipelineParameter (repeatable).")
@click.option("--regenerate-outputs", is_flag=True, help="Pipeline: run every step, reusing no earlier output.")
@click.option("--continue-on-step-failure", is_flag=True, help="Pipeline: steps not depending on a failed one go on.")
@click.pass_context
@handle_errors
def submit(
    ctx: click.Context,
    what: str,
    args: tuple[str, ...],
    target: str | None,
    experiment: str | None,
    dry_run: bool,
    run_id: str | None,
    wait: bool,
    timeout: int | None,
    as_json: bool,
    params: tuple[str, ...],
    regenerate_outputs: bool,
    continue_on_step_failure: bool,
    **quick: Any,
) -> None:
    """Submit FILE.py:NAME (a module-level Estimator, ScriptRunConfig, Pipeline or HyperDriveConfig), or a script:
    SCRIPT.py -- ARGS.

    \b
    hpcest submit job.py:estimator --wait
    hpcest submit train.py --target gpucluster --nodes 2 --processes-per-node 4 --distribution nccl --gpu -- --lr 0.1
    """
    config, default_experiment = build_config(ctx, what, args, target, quick)
    experiment_name = experiment or "".join(c if c.isalnum() or c in "_-" else "_" for c in default_experiment)
    ws = load_workspace()
    if pipeline_cli.is_pipeline(config):
        if timeout is not None:
            raise click.UsageError("--timeout is not offered for pipelines yet; wait with --wait or poll status")
        values = pipeline_cli.parse_parameters(config, params)
        if dry_run:
            pipeline_cli.dry_run(ws, config, experiment_name, target=target, parameters=values,
                                 regenerate_outputs=regenerate_outputs, run_id=run_id, as_json=as_json)  # fmt: skip
            return
        from .waiting import StagingProgress

        with StagingProgress(enabled=not as_json) as progress:
            pipeline_cli.submit(ws, config, experiment_name, target=target, parameters=values, wait=wait,
                                continue_on_step_failure=continue_on_step_failure, as_json=as_json,
                                regenerate_outputs=regenerate_outputs, progress=progress)  # fmt: skip
        return
    if sweep_cli.is_sweep_config(config):
        if dry_run or target or timeout is not None:
            raise click.UsageError(
                "a HyperDriveConfig is submitted as it is: no --dry-run, --target or --timeout "
                "(set compute_target on its run_config; follow it with --wait or hpcest status)"
            )
        sweep_cli.submit_sweep_config(ws, experiment_name, config, wait=wait, as_json=as_json)
        return
    if params or regenerate_outputs or continue_on_step_failure:
        raise click.UsageError("--param, --regenerate-outputs and --continue-on-step-failure are for pipelines")
    if dry_run:
        print_dry_run(ws, config, experiment_name, target, run_id, as_json)
        return
    if run_id:
        raise click.UsageError("--run-id is only for --dry-run (a submission gets a new, unique id)")
    if timeout is not None and not wait:
        raise click.UsageError("--timeout is for --wait (how long to wait for the run)")
    submit_and_report(ws, config, experiment_name, target, wait=wait, as_json=as_json, timeout=timeout)


def build_config(
    ctx: click.Context, what: str, args: Sequence[str], target: str | None, quick: dict[str, Any]
) -> tuple[Any, str]:
    """The configuration ``what`` names, and the experiment name it defaults to."""
    spec = split_spec(what)
    if spec is not None:
        given = [
            "--" + name.replace("_", "-").replace("use-gpu", "gpu").replace("time-limit", "time")
            for name in QUICK_OPTIONS
            if ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
        ]
        if given:
            raise click.UsageError(
                f"{', '.join(given)}: quick-form options are for SCRIPT.py; {what} is configured in "
                f"{spec[0]} (change the object there)"
            )
        if args:
            raise click.UsageError("extra arguments are only for the quick form (hpcest submit train.py -- ARGS)")
        return load_config_object(what)
    if not what.endswith(".py"):
        raise click.UsageError(f"{what!r}: give FILE.py:NAME or a training script ending in .py")
    if not Path(what).is_file():
        raise click.UsageError(f"{what!r} is not a file (the quick form runs a training script: SCRIPT.py -- ARGS)")
    refuse_job_file_as_script(what)
    return quick_config(what, args, target=target, **quick), Path(what).stem


def print_dry_run(ws: Any, config: Any, experiment: str, target: str | None, run_id: str | None, as_json: bool) -> None:
    from ..compile import resolve
    from ..job.ranks import format_table, placements
    from ..runs.submission import dry_run, resolve_target

    name, _run = resolve_target(ws, resolve(config), target)
    result = dry_run(config, target=target, run_id=run_id, experiment=experiment, workspace=ws)
    if as_json:
        echo_json(
            {
                "run_id": result.run_id,
                "target": name,
                "script": result.script,
                "warnings": list(result.warnings),
                "ranks": [p.__dict__ for p in placements(result.spec)],
            }
        )
        return
    # stdout stays a script bash and sbatch accept (`--dry-run > job.sbatch`): the table is comments.
    click.echo(result.script, nl=False)
    table = f"---- rank placement ({result.spec.resources.total_tasks} rank(s)) ----\n" + format_table(result.spec)
    click.echo("\n" + "".join(f"# {line}".rstrip() + "\n" for line in table.splitlines()), nl=False)
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)


def submit_and_report(
    ws: Any, config: Any, experiment: str, target: str | None, *, wait: bool, as_json: bool, timeout: int | None = None
) -> None:
    from ..runs.experiment import Experiment
    from ..runs.run import run_for
    from ..runs.submission import submit as do_submit
    from .waiting import StagingProgress, wait_for_run

    with warnings.catch_warnings(record=True) as caught, StagingProgress(enabled=not as_json) as progress:
        warnings.simplefilter("always")
        record = do_submit(ws, experiment, config, target=target, progress=progress)
    for w in caught:
        if not issubclass(w.category, DeprecationWarning):
            click.echo(f"warning: {w.message}", err=True)
    run = run_for(Experiment(ws, experiment, _skip_name_validation=True), record)
    # No job id: the submit command's reply was lost (what happened and what comes next went to stderr).
    in_doubt = record.job_id is None
    if as_json and not wait:
        echo_json(run_json(run.record))
        if in_doubt:
            sys.exit(EXIT_UNREACHABLE)
        return
    if not as_json and in_doubt:
        click.echo(
            f"run {record.run_id} on {record.target}: submission unknown, its job may be queued "
            f"({record.status}); `hpcest status {record.run_id}` settles it once the cluster answers"
        )
        if not wait:
            sys.exit(EXIT_UNREACHABLE)
    elif not as_json:
        props = run.record.properties
        click.echo(
            f"submitted run {record.run_id} to {record.target} (job {record.job_id}); "
            f"staged {props.get('files_sent', 0)} new file(s), {props.get('bytes_sent', 0)} bytes"
        )
    if wait:
        final = wait_for_run(ws, run, stream=not as_json, timeout=timeout)
        if as_json:
            echo_json(run_json(final))
        if final.status != "Completed":
            sys.exit(EXIT_RUN_FAILED)
