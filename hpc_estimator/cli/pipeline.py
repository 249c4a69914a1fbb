"""The CLI's pipeline commands, as functions the ``hpcest`` commands call.

``hpcest submit pipeline.py:pipeline [--wait] [--param NAME=VALUE ...] [--dry-run]`` submits (or
plans) a Pipeline; ``hpcest runs`` lists a pipeline run with its steps beneath it; ``hpcest status
RUN`` shows a pipeline's step table; ``hpcest logs RUN --step NAME`` prints one step's output;
``hpcest cancel RUN`` cancels every queued or running step.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Sequence
from typing import Any

import click

from ..backends.base import SCRIPT_NAME
from ..errors import ConfigError
from ..util.text_table import format_rows
from ..v1.pipeline import Pipeline


def is_pipeline(obj: Any) -> bool:
    return isinstance(obj, Pipeline)


def parse_parameters(pipeline: Pipeline, pairs: Sequence[str]) -> dict[str, Any]:
    """``--param NAME=VALUE`` items, each VALUE read as the type of the parameter's default."""
    params = pipeline.graph.params
    values: dict[str, Any] = {}
    for item in pairs:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise ConfigError(f"--param {item!r}: use NAME=VALUE")
        if name not in params:
            known = ", ".join(f"{n} (default {p.default_value!r})" for n, p in sorted(params.items())) or "none"
            raise ConfigError(f"--param {name}: the pipeline has no parameter {name!r}; its parameters: {known}")
        default = params[name].default_value
        values[name] = _as_type_of(default, text, name)
    return values


def _as_type_of(default: Any, text: str, name: str) -> Any:
    try:
        if isinstance(default, bool):
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return text.lower() in ("true", "1", "yes")
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
    except ValueError:
        raise ConfigError(
            f"--param {name}={text}: the default is {default!r}, so give a {type(default).__name__}"
        ) from None
    return text


def _step_rows(plan: Any) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [("STEP", "TYPE", "AFTER", "PLAN", "WHY")]
    for item in plan.steps:
        after = ", ".join(plan.resolved.steps[u].name for u in item.step.upstream) or "-"
        decision = f"reuse {item.origin}" if item.reused is not None else "run"
        rows.append((item.name, item.step.step_type, after, decision, item.reason))
    return rows


def dry_run(
    ws: Any,
    pipeline: Pipeline,
    experiment: str,
    *,
    target: str | None,
    parameters: dict[str, Any],
    regenerate_outputs: bool,
    run_id: str | None,
    as_json: bool,
) -> None:
    """Print the plan: the graph, what would be reused and why, the data paths, each step's script."""
    from ..runs.pipeline_submission import dry_run_pipeline

    plan = dry_run_pipeline(
        ws, experiment, pipeline, pipeline_parameters=parameters, regenerate_outputs=regenerate_outputs,
        target=target, run_id=run_id,
    )
    if as_json:
        click.echo(json.dumps({
            "run_id": plan.run_id,
            "target": plan.target,
            "pipeline_dir": plan.pipeline_dir,
            "parameters": dict(plan.resolved.parameters),
            "steps": [
                {
                    "name": s.name, "run_id": s.run_id, "type": s.step.step_type,
                    "after": [plan.resolved.steps[u].name for u in s.step.upstream],
                    "reused": s.origin, "reason": s.reason, "outputs": s.outputs,
                    "inputs": {i.name: plan.by_index(i.producer).outputs[i.output] for i in s.step.inputs},
                    "script": s.script,
                }
                for s in plan.steps
            ],
            "warnings": list(plan.warnings),
        }))
        return
    click.echo(f"# pipeline run {plan.run_id} on {plan.target}: {len(plan.to_run)} of {len(plan.steps)} step(s) "
               f"would be submitted")
    if plan.resolved.parameters:
        click.echo("# parameters: " + ", ".join(f"{k}={v!r}" for k, v in plan.resolved.parameters))
    click.echo(format_rows(_step_rows(plan)))
    click.echo("\n# data")
    data_rows: list[tuple[str, ...]] = [("STEP", "DIRECTION", "NAME", "PATH")]
    for item in plan.steps:
        for i in item.step.inputs:
            data_rows.append((item.name, f"in ({i.mode})", i.name, plan.by_index(i.producer).outputs[i.output]))
        for name, path in item.outputs.items():
            data_rows.append((item.name, "out", name, path))
    click.echo(format_rows(data_rows) if len(data_rows) > 1 else "(no pipeline data)")
    for item in plan.steps:
        if item.script is None:
            continue
        if item.sweep is not None:
            # A HyperDriveStep: the trials' array script, then the step's own (finish) job.
            from ..runs.pipeline_sweep import FINISH_SCRIPT
            from ..sweep.files import SCRIPT as TRIALS_SCRIPT

            click.echo(f"\n# ---- step {item.name} ({item.run_id}): {item.run_dir}/{TRIALS_SCRIPT} (every trial) ----")
            click.echo(item.sweep.prepared.script, nl=False)
            click.echo(f"\n# ---- step {item.name} ({item.run_id}): {item.run_dir}/{FINISH_SCRIPT} (its outputs) ----")
        else:
            click.echo(f"\n# ---- step {item.name} ({item.run_id}): {item.run_dir}/{SCRIPT_NAME} ----")
        click.echo(item.script, nl=False)
    if plan.target != "local" and plan.to_run:
        from ..backends.slurm_graph import SUBMIT_SCRIPT, graph_jobs
        from ..runs.pipeline_submission import graph_submission
        from ..slurm import graph_submit_script

        submission = graph_submission(plan)
        click.echo(f"\n# ---- {plan.pipeline_dir}/{SUBMIT_SCRIPT}: every step, in one round trip ----")
        click.echo(graph_submit_script(graph_jobs(submission), require_dirs=submission.require_dirs), nl=False)
    for message in plan.warnings:
        click.echo(f"warning: {message}", err=True)


def submit(
    ws: Any,
    pipeline: Pipeline,
    experiment: str,
    *,
    target: str | None,
    parameters: dict[str, Any],
    continue_on_step_failure: bool,
    regenerate_outputs: bool,
    wait: bool,
    as_json: bool,
    progress: Any = None,
) -> None:
    from ..runs.experiment import Experiment
    from ..runs.pipeline_run import PipelineRun
    from ..runs.pipeline_submission import submit_pipeline

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        record = submit_pipeline(
            ws, experiment, pipeline, pipeline_parameters=parameters, target=target,
            continue_on_step_failure=continue_on_step_failure, regenerate_outputs=regenerate_outputs,
            progress=progress,
        )
    for w in caught:
        if not issubclass(w.category, DeprecationWarning):
            click.echo(f"warning: {w.message}", err=True)
    run = PipelineRun(Experiment(ws, experiment, _skip_name_validation=True), record.run_id)
    steps = ws.run_store.children(record.run_id)
    if not as_json:
        reused = sum(1 for s in steps if s.properties.get("reused_run_id"))
        click.echo(f"submitted pipeline run {record.run_id} to {record.target}: {len(steps) - reused} step(s) "
                   f"submitted, {reused} reused")
    if as_json and not wait:
        click.echo(json.dumps(_pipeline_json(ws, run.record)))
        return
    if wait:
        try:
            status = run.wait_for_completion(show_output=not as_json, raise_on_error=False)
        except KeyboardInterrupt:
            click.echo(f"\nstopped waiting; the pipeline goes on: hpcest status {record.run_id}", err=True)
            sys.exit(130)
        if as_json:
            click.echo(json.dumps(_pipeline_json(ws, run.record)))
        elif status != "Finished":
            click.echo(f"pipeline run {record.run_id} {run.record.status}: {run.record.status_detail or ''}", err=True)
        if status != "Finished":
            sys.exit(1)


def _pipeline_json(ws: Any, record: Any) -> dict[str, Any]:
    return {
        "run_id": record.run_id,
        "kind": record.kind,
        "experiment": record.experiment,
        "target": record.target,
        "status": record.status,
        "detail": record.status_detail,
        "run_dir": record.remote_dir,
        "steps": [
            {"name": s.name, "run_id": s.run_id, "status": s.status, "detail": s.status_detail, "job_id": s.job_id,
             "reused": s.properties.get("reused_run_id"), "run_dir": s.remote_dir}
            for s in ws.run_store.children(record.run_id)
        ],
    }


def step_rows(ws: Any, record: Any) -> list[tuple[str, ...]]:
    """Rows for ``hpcest runs`` under a pipeline run: its steps, indented (RUN, -, -, STATUS, JOB, -, DURATION)."""
    from .common import duration_seconds, format_duration

    rows: list[tuple[str, ...]] = []
    for s in ws.run_store.children(record.run_id):
        job = s.job_id or (f"reused {s.properties['reused_run_id']}" if s.properties.get("reused_run_id") else "-")
        rows.append((f"  └ {s.name}", "", "", s.status, job, "", format_duration(duration_seconds(s))))
    return rows


def status(ws: Any, record: Any, as_json: bool) -> None:
    """``hpcest status PIPELINE_RUN``: the pipeline's status and a table of its steps."""
    from ..runs.pipeline_status import is_sweep_step

    if as_json:
        data = _pipeline_json(ws, record)
        data["history"] = [h.__dict__ for h in ws.run_store.history(record.run_id)]
        click.echo(json.dumps(data))
        return
    click.echo(f"pipeline run {record.run_id} ({record.experiment}) on {record.target}: {record.status}")
    if record.status_detail:
        click.echo(record.status_detail)
    rows: list[tuple[str, ...]] = [("STEP", "STATUS", "JOB", "RUN", "DETAIL")]
    for s in ws.run_store.children(record.run_id):
        reused = s.properties.get("reused_run_id")
        detail = (s.status_detail or "").splitlines()[0] if s.status_detail else ""
        if is_sweep_step(s):  # a HyperDriveStep: its trials (`hpcest status STEP_RUN` lists them)
            trials = ws.run_store.children(s.run_id)
            done = sum(1 for t in trials if t.status == "Completed")
            detail = "; ".join(filter(None, [f"HyperDrive: {done}/{len(trials)} trial(s) completed", detail]))
        rows.append((s.name or "-", s.status, s.job_id or ("reused" if reused else "-"), s.run_id, detail))
    click.echo(format_rows(rows))


def step_record(ws: Any, run_id: str, step: str) -> Any:
    """The step named ``step`` of pipeline run ``run_id`` (``hpcest logs RUN --step NAME``)."""
    record = ws.run_store.get(run_id)
    if record.kind != "pipeline":
        raise ConfigError(f"run {run_id} is not a pipeline run; --step is for pipeline runs")
    steps = ws.run_store.children(run_id)
    matches = [s for s in steps if s.name == step]
    if not matches:
        names = ", ".join(s.name or "?" for s in steps)
        raise ConfigError(f"pipeline run {run_id} has no step {step!r}; its steps: {names}")
    return matches[0]


def cancel(ws: Any, record: Any) -> None:
    from ..runs.pipeline_status import cancel_pipeline

    count = cancel_pipeline(ws, record)
    click.echo(f"cancel requested for pipeline run {record.run_id} ({count} queued or running step(s))")
