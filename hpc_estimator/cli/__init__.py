"""The ``hpcest`` command line.

Human output by default (tables), ``--json`` for scripts; non-zero exit codes on failure:
1 run failed / operation failed, 2 bad input or configuration.
"""

from __future__ import annotations

import functools
import json
import os
import runpy
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from ..errors import AzureMLException, ConfigError, HpcestError, TransportError
from ..util.text_table import format_rows
from ..v1.resolved import Submittable
from ..version import __version__

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"hpcest: error: {message}", err=True)
    sys.exit(code)


def handle_errors(func: F) -> F:
    """Turn our exceptions into one clear line on stderr and an exit code, not a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ConfigError, AzureMLException, ValueError, TypeError) as exc:
            _fail(str(exc), 2)
        except (TransportError, HpcestError) as exc:
            _fail(str(exc), 1)

    return wrapper  # type: ignore[return-value]


def default_workspace_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "hpcest"


def load_workspace(create_default: bool = True) -> Any:
    """The workspace of the current directory; else the per-user default (local runs only)."""
    from ..runs.workspace import Workspace

    try:
        return Workspace.from_config()
    except ConfigError as exc:
        if not create_default or os.environ.get("HPCEST_WORKSPACE") or "no hpcest.toml found" not in str(exc):
            raise
    path = default_workspace_dir()
    return Workspace.create(path, name="default", exist_ok=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hpcest")
def main() -> None:
    """Run Azure ML SDK v1 training code on Slurm clusters, and migrate it to ScriptRunConfig."""


# -- init -------------------------------------------------------------------------------------


@main.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--name", help="Workspace name (default: the directory name).")
@handle_errors
def init(directory: str, name: str | None) -> None:
    """Create hpcest.toml (a workspace) in DIRECTORY."""
    from ..runs.workspace import Workspace

    ws = Workspace.create(directory, name=name, exist_ok=True)
    click.echo(f"workspace {ws.name!r} at {ws.path} (config: {ws.config_file})")


# -- submit -----------------------------------------------------------------------------------


def load_config_object(spec: str) -> tuple[Any, str]:
    """``FILE.py:NAME`` → (the module-level object NAME, experiment name default)."""
    path_text, _, name = spec.rpartition(":")
    path = Path(path_text)
    if not path.is_file():
        raise ConfigError(f"{path_text!r} is not a file; use FILE.py:NAME (e.g. job.py:estimator)")
    sys.path.insert(0, str(path.resolve().parent))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            namespace = runpy.run_path(str(path), run_name="__hpcest_submit__")
    finally:
        sys.path.pop(0)
    if name not in namespace:
        candidates = sorted(k for k, v in namespace.items() if isinstance(v, Submittable) and not k.startswith("_"))
        raise ConfigError(
            f"{path_text} defines no module-level {name!r}; estimators/ScriptRunConfigs there: "
            f"{', '.join(candidates) or 'none'}"
        )
    obj = namespace[name]
    from .sweep import is_sweep_config

    if is_sweep_config(obj):
        return obj, path.stem
    if not isinstance(obj, Submittable):
        raise ConfigError(f"{spec} is a {type(obj).__name__}, not an Estimator or ScriptRunConfig")
    return obj, path.stem


def _parse_duration(text: str | None) -> int | None:
    if text is None:
        return None
    if text.isdigit():
        return int(text)
    parts = [int(p) for p in text.split(":")]
    if len(parts) > 3:
        raise ConfigError(f"--time {text!r}: use seconds or [HH:]MM:SS")
    seconds = 0
    for p in parts:
        seconds = seconds * 60 + p
    return seconds


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
    time_limit: str | None,
    env: Sequence[str],
    source_dir: str | None,
) -> Any:
    """A ScriptRunConfig from command-line options (``hpcest submit train.py ... -- ARGS``)."""
    from ..v1.environment import Environment
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
        raise ConfigError("--nodes/--processes-per-node > 1 need --distribution mpi|gloo|nccl|ps")
    config = ScriptRunConfig(
        source_directory=str(source),
        script=rel,
        arguments=list(args),
        compute_target=target or None,
        environment=environment,
        distributed_job_config=dist,
        max_run_duration_seconds=_parse_duration(time_limit) or 2592000,
        # A container only when an image is named: a quick local run uses this machine's Python.
        docker_runtime_config=DockerConfiguration(use_docker=bool(image) or (target or "local") != "local"),
    )
    for item in env:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--env {item!r}: use KEY=VALUE")
        config.run_config.environment_variables[key] = value
    return config


@main.command(context_settings={"ignore_unknown_options": False})
@click.argument("what")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option("-t", "--target", help="Compute target: 'local' or a cluster profile of hpcest.toml.")
@click.option("-e", "--experiment", help="Experiment name (default: the file's name).")
@click.option("--dry-run", is_flag=True, help="Print the sbatch script and the rank table; submit nothing.")
@click.option("--run-id", help="With --dry-run: the run id to show (default: a new one), for reproducible scripts.")
@click.option("--wait/--no-wait", default=False, help="Wait for the run to end, streaming rank 0's output.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--nodes", default=1, show_default=True, help="Quick form: nodes.")
@click.option("--processes-per-node", default=1, show_default=True, help="Quick form: ranks per node.")
@click.option(
    "--distribution",
    type=click.Choice(["none", "mpi", "gloo", "nccl", "ps"]),
    default="none",
    show_default=True,
    help="Quick form: how ranks talk.",
)
@click.option("--gpu", "use_gpu", is_flag=True, help="Quick form: request GPUs (one per rank unless the profile says).")
@click.option("--image", help="Quick form: container image (docker reference or path on the cluster).")
@click.option("--time", "time_limit", help="Quick form: time limit, seconds or [HH:]MM:SS.")
@click.option("--env", multiple=True, help="Quick form: KEY=VALUE for the training process (repeatable).")
@click.option("--source-dir", help="Quick form: folder to snapshot (default: the script's folder).")
@handle_errors
def submit(
    what: str,
    args: tuple[str, ...],
    target: str | None,
    experiment: str | None,
    dry_run: bool,
    run_id: str | None,
    wait: bool,
    as_json: bool,
    nodes: int,
    processes_per_node: int,
    distribution: str,
    use_gpu: bool,
    image: str | None,
    time_limit: str | None,
    env: tuple[str, ...],
    source_dir: str | None,
) -> None:
    """Submit FILE.py:NAME (a module-level Estimator/ScriptRunConfig), or a script: train.py -- ARGS."""
    if ":" in what and what.rpartition(":")[0].endswith(".py"):
        if args:
            raise ConfigError("extra arguments are only for the quick form (hpcest submit train.py -- ARGS)")
        config, default_experiment = load_config_object(what)
    elif what.endswith(".py"):
        config = quick_config(
            what,
            args,
            target=target,
            nodes=nodes,
            processes_per_node=processes_per_node,
            distribution=distribution,
            use_gpu=use_gpu,
            image=image,
            time_limit=time_limit,
            env=env,
            source_dir=source_dir,
        )
        default_experiment = Path(what).stem
    else:
        raise ConfigError(f"{what!r}: give FILE.py:NAME or a training script ending in .py")
    experiment_name = experiment or "".join(c if c.isalnum() or c in "_-" else "_" for c in default_experiment)
    ws = load_workspace()
    from .sweep import is_sweep_config, submit_sweep_config

    if is_sweep_config(config):
        if dry_run or target:
            raise ConfigError("a HyperDriveConfig is submitted as it is: no --dry-run or --target (set compute_target)")
        submit_sweep_config(ws, experiment_name, config, wait=wait, as_json=as_json)
        return
    if dry_run:
        _dry_run(ws, config, experiment_name, target, run_id, as_json)
        return
    from ..runs.experiment import Experiment
    from ..runs.submission import submit as do_submit

    with warnings.catch_warnings(record=True) as caught, StagingProgress(enabled=not as_json) as progress:
        warnings.simplefilter("always")
        record = do_submit(ws, experiment_name, config, target=target, progress=progress)
    for w in caught:
        if not issubclass(w.category, DeprecationWarning):
            click.echo(f"warning: {w.message}", err=True)
    from ..runs.run import Run

    run = Run(Experiment(ws, experiment_name, _skip_name_validation=True), record.run_id, _record=record)
    if as_json and not wait:
        click.echo(json.dumps(_run_json(run.record)))
        return
    if not as_json:
        props = run.record.properties
        click.echo(
            f"submitted run {record.run_id} to {record.target} (job {record.job_id}); "
            f"staged {props.get('files_sent', 0)} new file(s), {props.get('bytes_sent', 0)} bytes"
        )
    if wait:
        try:
            run.wait_for_completion(show_output=not as_json, raise_on_error=False)
        except KeyboardInterrupt:
            click.echo(f"\nstopped waiting; the run goes on: hpcest status {record.run_id}", err=True)
            sys.exit(130)
        final = run.record
        if as_json:
            click.echo(json.dumps(_run_json(final)))
        elif final.status != "Completed":
            click.echo(f"run {final.run_id} {final.status}: {final.status_detail or ''}", err=True)
        if final.status != "Completed":
            sys.exit(1)


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


def _dry_run(ws: Any, config: Any, experiment: str, target: str | None, run_id: str | None, as_json: bool) -> None:
    from ..compile import resolve
    from ..job.ranks import format_table, placements
    from ..runs.submission import dry_run, resolve_target

    name = resolve_target(ws, resolve(config), target)
    result = dry_run(config, profile=ws.get_profile(name), run_id=run_id, experiment=experiment, workspace=ws)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "run_id": result.run_id,
                    "target": name,
                    "script": result.script,
                    "warnings": list(result.warnings),
                    "ranks": [p.__dict__ for p in placements(result.spec)],
                }
            )
        )
        return
    click.echo(result.script, nl=False)
    click.echo(f"\n# ---- rank placement ({result.spec.resources.total_tasks} rank(s)) ----")
    click.echo(format_table(result.spec), nl=False)
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)


# -- runs, status, logs, cancel, download ----------------------------------------------------


def _run_json(record: Any) -> dict[str, Any]:
    return {
        "run_id": record.run_id,
        "experiment": record.experiment,
        "target": record.target,
        "status": record.status,
        "detail": record.status_detail,
        "job_id": record.job_id,
        "run_dir": record.remote_dir,
        "exit_code": record.exit_code,
        "created": record.created_at,
        "started": record.started_at,
        "ended": record.ended_at,
        "tags": record.tags,
    }


def refresh(ws: Any, records: Sequence[Any]) -> None:
    """One batched status round per compute target; an unreachable cluster is a warning here."""
    from ..runs.run import refresh_status

    refresh_status(
        ws, records, on_error=lambda target, exc: click.echo(f"warning: cannot reach {target}: {exc}", err=True)
    )


@main.command()
@click.option("-e", "--experiment", help="Only this experiment.")
@click.option("-n", "--limit", default=20, show_default=True, help="How many runs (newest first).")
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def runs(experiment: str | None, limit: int, as_json: bool) -> None:
    """List runs, refreshing the status of active ones."""
    ws = load_workspace()
    records = ws.run_store.list(experiment=experiment, limit=limit)
    refresh(ws, records)
    records = ws.run_store.list(experiment=experiment, limit=limit)
    if as_json:
        click.echo(json.dumps([_run_json(r) for r in records]))
        return
    rows = [("RUN", "EXPERIMENT", "TARGET", "STATUS", "JOB", "CREATED (UTC)")]
    rows += [(r.run_id, r.experiment, r.target, r.status, r.job_id or "-", (r.created_at or "")[:19]) for r in records]
    click.echo(format_rows(rows) if records else "no runs yet: hpcest submit FILE.py:NAME")


@main.command()
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True)
@click.option("--plot", type=click.Path(dir_okay=False), help="Sweeps: draw every trial's primary metric to this PNG.")
@handle_errors
def status(run_id: str, as_json: bool, plot: str | None) -> None:
    """Show one run's status (asks the cluster once); a sweep shows its trials, best first."""
    ws = load_workspace()
    if ws.run_store.get(run_id).kind == "sweep":
        from .sweep import show_sweep

        show_sweep(ws, run_id, as_json=as_json, plot=plot)
        return
    if plot:
        raise ConfigError("--plot is for sweeps (HyperDrive runs)")
    refresh(ws, [ws.run_store.get(run_id)])
    rec = ws.run_store.get(run_id)
    if as_json:
        data = _run_json(rec)
        data["history"] = [h.__dict__ for h in ws.run_store.history(run_id)]
        click.echo(json.dumps(data))
        return
    rows = [("FIELD", "VALUE")]
    for key, value in _run_json(rec).items():
        rows.append((key, json.dumps(value) if isinstance(value, dict) else str(value if value is not None else "-")))
    click.echo(format_rows(rows))
    if rec.status == "Failed":
        sys.exit(1)


@main.command()
@click.argument("run_id")
@click.option("-f", "--follow", is_flag=True, help="Keep printing until the run ends.")
@click.option("--rank", default=0, show_default=True, help="Which rank's output.")
@click.option("--batch", is_flag=True, help="The batch script's own output (set-up, image pull, srun).")
@handle_errors
def logs(run_id: str, follow: bool, rank: int, batch: bool) -> None:
    """Print a run's output (rank 0 by default)."""
    from ..backends import get_backend
    from ..runs.run import read_from

    ws = load_workspace()
    rec = ws.run_store.get(run_id)
    backend = get_backend(ws, rec.target)
    if rec.kind in ("sweep", "trial"):
        from .sweep import sweep_log_path

        path = sweep_log_path(rec, rank=rank, batch=batch)
    else:
        if batch:
            relpath = "hpcest-logs/batch.out" if rec.backend == "local" else f"hpcest-logs/slurm-{rec.job_id}.out"
        else:
            relpath = f"hpcest-logs/rank-{rank}.log"
        path = f"{rec.remote_dir}/{relpath}"
    offset = 0
    while True:
        chunk = read_from(backend.transport, path, offset)
        if chunk:
            click.echo(chunk.decode("utf-8", errors="replace"), nl=False)
            offset += len(chunk)
        if not follow:
            break
        refresh(ws, [ws.run_store.get(run_id)])
        if ws.run_store.get(run_id).is_terminal:
            follow = False  # one more read for what was written last
            continue
        time.sleep(1.0)


@main.command()
@click.argument("run_id")
@handle_errors
def cancel(run_id: str) -> None:
    """Cancel a run (scancel on Slurm; stops the process group locally)."""
    from ..runs.experiment import Experiment
    from ..runs.run import Run

    ws = load_workspace()
    rec = ws.run_store.get(run_id)
    Run(Experiment(ws, rec.experiment, _skip_name_validation=True), run_id, _record=rec).cancel()
    click.echo(f"cancel requested for {run_id}")


@main.command()
@click.argument("run_id")
@click.option("-o", "--output-dir", default=None, help="Where to put the files (default: ./<run id>).")
@click.option("--prefix", default="outputs/", show_default=True, help="Only files under this prefix ('' = all).")
@handle_errors
def download(run_id: str, output_dir: str | None, prefix: str) -> None:
    """Download a run's files (outputs/ by default)."""
    from ..runs.experiment import Experiment
    from ..runs.run import Run

    ws = load_workspace()
    rec = ws.run_store.get(run_id)
    run = Run(Experiment(ws, rec.experiment, _skip_name_validation=True), run_id, _record=rec)
    out = output_dir or run_id
    names = [n for n in run.get_file_names() if n.startswith(prefix)]
    run.download_files(prefix=prefix or None, output_directory=out)
    click.echo(f"downloaded {len(names)} file(s) to {out}")


# -- clusters ---------------------------------------------------------------------------------


@main.group()
def cluster() -> None:
    """Manage and check cluster profiles of hpcest.toml."""


@cluster.command("add")
@click.argument("name")
@click.option("--host", help="SSH host or ~/.ssh/config alias (omit for a cluster reached from this machine).")
@click.option("--user")
@click.option("--port", type=int)
@click.option("--workdir", default="~/hpcest", show_default=True, help="Run directories on the shared filesystem.")
@click.option("--partition")
@click.option("--account")
@click.option("--qos")
@click.option("--gpus-per-node", type=int)
@click.option("--runtime", type=click.Choice(["apptainer", "singularity", "charliecloud", "none"]), default="apptainer")
@click.option("--image-cache", help="Where pulled images are kept on the cluster.")
@click.option("--prologue", multiple=True, help="Shell line run before launch, e.g. 'module load apptainer'.")
@click.option("--python", help="Python on the cluster for jobs without a container (default: python3).")
@click.option("--ssh-config", help="OpenSSH client config to read instead of ~/.ssh/config.")
@click.option("--client-env", multiple=True, help="KEY=VALUE for Slurm client commands, e.g. SLURM_CONF=...")
@click.option("--replace", is_flag=True, help="Overwrite an existing profile of that name.")
@handle_errors
def cluster_add(name: str, **opts: Any) -> None:
    """Add cluster NAME to hpcest.toml."""
    ws = load_workspace(create_default=False)
    replace = opts.pop("replace")
    mapping: dict[str, Any] = {"transport": "ssh" if opts.get("host") else "local"}
    client_env = opts.pop("client_env")
    for key, value in opts.items():
        if value in (None, ()):
            continue
        mapping["container_runtime" if key == "runtime" else key] = list(value) if key == "prologue" else value
    if client_env:
        pairs = [item.partition("=") for item in client_env]
        bad = [k for k, sep, _ in pairs if not sep or not k]
        if bad:
            raise ConfigError(f"--client-env {bad[0]!r}: use KEY=VALUE")
        mapping["client_env"] = {k: v for k, _, v in pairs}
    ws.add_profile(name, mapping, replace=replace)
    click.echo(f"added cluster {name!r} to {ws.config_file}; check it with: hpcest cluster check {name}")


@cluster.command("list")
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def cluster_list(as_json: bool) -> None:
    """List the compute targets of the workspace."""
    ws = load_workspace()
    profiles = ws.profiles
    if as_json:
        click.echo(json.dumps({n: {"transport": p.transport, "host": p.host} for n, p in profiles.items()}))
        return
    rows = [("NAME", "TRANSPORT", "HOST", "RUNTIME", "PARTITION", "DEFAULT")]
    for n, p in sorted(profiles.items()):
        rows.append(
            (
                n,
                p.transport if n != "local" else "no slurm",
                p.host or "-",
                p.container_runtime,
                p.partition or "-",
                "*" if n == ws.default_target else "",
            )
        )
    click.echo(format_rows(rows))


@cluster.command("check")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def cluster_check(name: str, as_json: bool) -> None:
    """Probe cluster NAME: partitions, GPUs (gres), MaxArraySize, container runtime."""
    from ..backends import get_backend
    from ..backends.check import probe

    ws = load_workspace()
    if name == "local":
        raise ConfigError("'local' runs on this machine without Slurm; check a cluster profile instead")
    backend = get_backend(ws, name)
    report = probe(backend.transport, ws.get_profile(name))
    if as_json:
        click.echo(json.dumps(report.as_dict()))
    else:
        click.echo(report.format())
    if not report.ok:
        sys.exit(1)


@main.command(
    "migrate",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
    add_help_option=False,
)
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Rewrite Estimator code toward ScriptRunConfig (see: hpcest migrate --help)."""
    # Imported on use only: libcst is heavy and no other command needs it.
    from migrate.cli import migrate_command

    migrate_command.main(args=ctx.args, prog_name="hpcest migrate", standalone_mode=True)


if __name__ == "__main__":  # pragma: no cover
    main()
