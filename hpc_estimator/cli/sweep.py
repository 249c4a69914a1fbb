"""CLI pieces for HyperDrive sweeps, kept apart from the main command module.

Hooks used by ``hpc_estimator.cli``: :func:`is_sweep_config` (the FILE.py:NAME loader accepts a
HyperDriveConfig), :func:`submit_sweep_config` (``hpcest submit sweep.py:hd_config``) and
:func:`show_sweep` (``hpcest status SWEEP [--plot sweep.png]``).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from ..errors import ConfigError
from ..util.text_table import format_rows
from .errors import EXIT_RUN_FAILED


def is_sweep_config(obj: Any) -> bool:
    from ..v1.hyperdrive import HyperDriveConfig

    return isinstance(obj, HyperDriveConfig)


def submit_sweep_config(ws: Any, experiment: str, config: Any, *, wait: bool, as_json: bool) -> None:
    import warnings

    from ..runs.experiment import Experiment

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = Experiment(ws, experiment, _skip_name_validation=True).submit(config)
    for w in caught:
        if not issubclass(w.category, DeprecationWarning):
            click.echo(f"warning: {w.message}", err=True)
    props = run.record.properties
    if as_json and not wait:
        click.echo(
            json.dumps(
                {"run_id": run.id, "kind": "sweep", **{k: props.get(k) for k in ("array_jobs", "controller_job")}}
            )
        )
        return
    if not as_json:
        arrays = ", ".join(
            f"{j} (--array={o})" for j, o in zip(props.get("array_jobs", []), props.get("array_options", []))
        )
        ctl = f"; controller job {props['controller_job']}" if props.get("controller_job") else ""
        click.echo(
            f"submitted sweep {run.id} to {run.record.target}: array {arrays or '(chosen by the controller)'}{ctl}"
        )
    if wait:
        details = run.wait_for_completion(show_output=not as_json, raise_on_error=False)
        if as_json:
            click.echo(json.dumps({"run_id": run.id, "status": details["status"]}))
        if details["status"] != "Completed":
            sys.exit(EXIT_RUN_FAILED)


def sweep_log_path(record: Any, *, rank: int, batch: bool) -> str:
    """``hpcest logs`` of a sweep (its controller's output) or of a trial (a rank's, or the array task's)."""
    import posixpath

    if record.kind == "trial":
        if not batch:
            return f"{record.remote_dir}/hpcest-logs/rank-{rank}.log"
        # Array tasks write their batch output into the sweep directory (slurm-%A_%a.out).
        sweep_dir = posixpath.dirname(posixpath.dirname(record.remote_dir or ""))
        return f"{sweep_dir}/hpcest-logs/slurm-{record.job_id}.out"
    controller = record.properties.get("controller_job")
    if not controller:
        raise ConfigError(
            f"sweep {record.run_id} has no output of its own (it runs without a controller job); "
            f"see its trials' output: hpcest logs {record.run_id}_0 (hpcest status {record.run_id} lists them)"
        )
    return f"{record.remote_dir}/hpcest-logs/controller-{controller}.out"


def sweep_rows(run: Any, children: list[tuple[Any, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Trials sorted by the primary metric (best first): parameters, metric, status, why stopped.
    ``children``: the trials with their metrics (``HyperDriveRun._children_metrics``)."""
    rows = run._sorted_rows(children)
    by_id = {c.id: c.record for c, _ in children}
    out = []
    for row in rows:
        record = by_id[row["run_id"]]
        out.append(
            {
                "trial": record.name,
                "run_id": row["run_id"],
                "parameters": json.loads(row["hyperparameters"]) if row["hyperparameters"] else {},
                "metric": row["best_primary_metric"],
                "status": record.status,
                "why": record.status_detail if record.status in ("Canceled", "Failed") else "",
            }
        )
    return out


def show_sweep(ws: Any, sweep_id: str, *, as_json: bool, plot: str | None) -> None:
    from ..runs.run import Run
    from ..runs.sweep_run import HyperDriveRun

    run = Run.get(ws, sweep_id)
    assert isinstance(run, HyperDriveRun)
    children = run._children_metrics()  # every trial's metrics in one remote command, for rows and plot
    rows = sweep_rows(run, children)
    record = run.record
    if plot:
        from .sweep_plot import plot_sweep

        plot_sweep(run, plot, children)
    if as_json:
        click.echo(
            json.dumps({"run_id": sweep_id, "status": record.status, "detail": record.status_detail, "trials": rows})
        )
        return
    metric = run.hyperdrive_config._primary_metric_config["name"]
    click.echo(f"sweep {sweep_id}: {record.status}{' (' + record.status_detail + ')' if record.status_detail else ''}")
    table = [("TRIAL", "PARAMETERS", metric.upper(), "STATUS", "WHY STOPPED")]
    for r in rows:
        params = " ".join(f"{k}={_short(v)}" for k, v in r["parameters"].items())
        value = "-" if r["metric"] is None else f"{r['metric']:.6g}"
        table.append((r["trial"] or "", params, value, r["status"], r["why"] or ""))
    click.echo(format_rows(table))
    if plot:
        click.echo(f"plot written to {plot}")


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def require_plot_support() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigError("--plot needs matplotlib, which is an optional extra: pip install 'hpcest[plot]'") from None
    return plt
