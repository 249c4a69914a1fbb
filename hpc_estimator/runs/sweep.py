"""Submitting a HyperDrive sweep and following it: the sweep run, its trial runs, the job arrays.

A sweep is a run of kind ``sweep`` whose children (kind ``trial``, named by their index) are
ordinary runs of the configuration with the sampled values appended. The trial's JobSpec is
compiled once, for "every task" of a job array, through the same resolution and compile stages as
any run; Random and Grid draw all parameter sets up front and submit one array
(``--array=0-(N-1)%<max_concurrent_runs>``, in chunks of MaxArraySize, each chunk waiting for the
previous so the concurrency limit holds for the whole sweep). A controller job is added when the
sweep needs decisions while it runs (:mod:`hpc_estimator.sweep.controller`).

Status: one squeue over every array (and the controller) per poll, then the trials' own files.
"""

from __future__ import annotations

import json
import os
import posixpath
import secrets
import sys
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..backends import get_backend
from ..backends.array_status import TaskQuery, TaskRef, poll_tasks, squeue_tasks
from ..backends.base import _tar, prepare_run_dir
from ..cluster.profile import ClusterProfile
from ..compile import compile_run
from ..errors import ConfigError, HyperDriveScenarioNotSupportedException, TransportError, UserErrorException
from ..job.render import render_sbatch
from ..job.sbatch_options import directive_lines
from ..job.spec import ARRAY_ARGS, ARRAY_TASK, ArraySpec, JobSpec, ResourceSpec, SchedulerSpec
from ..sweep import files
from ..sweep.controller import submit_array
from ..transport.base import Transport
from ..util.shellquote import quote
from ..v1.compute import LOCAL_TARGET
from ..v1.hyperdrive.config import LOCAL_REFUSAL, MAX_DURATION_MINUTES
from ..v1.hyperdrive.draw import plan_parameters, trial_arguments
from ..v1.hyperdrive.resolved import ResolvedSweep
from .images import provide_images
from .run import job_ref
from .store import TERMINAL_STATUSES, V1_STATUS, RunRecord, new_run_id
from .submission import HpcestWarning, _to_stderr, resolve_target

if TYPE_CHECKING:
    from .workspace import Workspace

CONTROLLER_SLACK_S = 600  # the controller outlives the deadline by this much, to cancel and record


def needs_controller(sweep: ResolvedSweep) -> bool:
    return (
        sweep.sampling == "BayesianOptimization"
        or sweep.policy.stops_trials
        or sweep.max_duration_minutes < MAX_DURATION_MINUTES
    )


def compile_trials(
    sweep: ResolvedSweep, profile: ClusterProfile, *, sweep_id: str, sweep_dir: str, experiment: str
) -> tuple[JobSpec, tuple[str, ...]]:
    """The JobSpec every array task runs (trial N: run id ``<sweep>_N``, run dir ``<sweep>/trials/N``)."""
    run = replace(sweep.trial, arguments=(*sweep.trial.arguments, ARRAY_ARGS))
    compiled = compile_run(
        run,
        profile=profile,
        run_id=f"{sweep_id}_{ARRAY_TASK}",
        run_dir=files.trial_dir(sweep_dir, 0).rsplit("/", 1)[0] + f"/{ARRAY_TASK}",
        experiment=experiment,
    )
    spec = replace(
        compiled.spec, name=sweep_id, stdout="hpcest-logs/slurm-%A_%a.out", array=ArraySpec(sweep_dir=sweep_dir)
    )
    return spec, compiled.warnings


def controller_script(profile: ClusterProfile, sweep: ResolvedSweep, sweep_id: str, sweep_dir: str) -> str:
    """A one-CPU batch job running hpcest's controller with the cluster's Python."""
    spec = JobSpec(
        name=f"{sweep_id}-controller",
        argv=("true",),
        run_dir=sweep_dir,
        resources=ResourceSpec(nodes=1, tasks_per_node=1, cpus_per_task=1),
        scheduler=SchedulerSpec(
            partition=profile.partition,
            account=profile.account,
            qos=profile.qos,
            time_limit_s=sweep.max_duration_minutes * 60 + CONTROLLER_SLACK_S,
        ),
        stdout="hpcest-logs/controller-%j.out",
    )
    lib = posixpath.join(sweep_dir, files.CONTROLLER_LIB)
    lines = [
        "#!/bin/bash",
        *directive_lines(spec),
        "# hpcest sweep controller: asks squeue, reads the trials' metrics, applies the policy, submits trials.",
        f"cd {quote(sweep_dir)} || exit 1",
        *profile.prologue,
        # hpcest as the client that submitted the sweep, so both sides agree on every file format.
        f'export PYTHONPATH={quote(lib)}"${{PYTHONPATH:+:$PYTHONPATH}}"',
        f"exec {quote(profile.python)} -m hpc_estimator.sweep.controller {quote(sweep_dir)}",
    ]
    return "\n".join(lines) + "\n"


def controller_library() -> dict[str, tuple[str, int]]:
    """hpcest's own modules, to run the controller with the same code that wrote the plan."""
    root = Path(__file__).resolve().parent.parent
    out: dict[str, tuple[str, int]] = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).as_posix()
        if "/testing/" in rel or "/jobshim/" in rel or "/cli/" in rel:
            continue
        out[posixpath.join(files.CONTROLLER_LIB, rel)] = (path.read_text(encoding="utf-8"), 0o644)
    return out


def _write_files(transport: Transport, sweep_dir: str, contents: dict[str, tuple[str, int]]) -> None:
    result = transport.run(
        ["sh", "-c", 'mkdir -p "$1/hpcest-logs" && tar -x -f - -C "$1"', "hpcest-sweep-files", sweep_dir],
        stdin=_tar(contents),
    )
    if not result.ok:
        raise TransportError(f"cannot write the sweep files into {sweep_dir}: {result.stderr.strip()}")


def _append_remote(transport: Transport, path: str, text: str) -> None:
    result = transport.run(["sh", "-c", 'cat >> "$1"', "hpcest-append", path], stdin=text.encode("utf-8"))
    if not result.ok:
        raise TransportError(f"cannot append to {path}: {result.stderr.strip()}")


@dataclass(frozen=True)
class PreparedSweep:
    """A sweep ready to be submitted: its array script, its files, what its record keeps.

    Shared by a standalone sweep (``submit_sweep``) and a pipeline's HyperDriveStep, whose
    chunks and controller go into the pipeline's one graph submission instead.
    """

    sweep_id: str
    sweep_dir: str
    spec: JobSpec  # what every array task runs
    script: str  # the rendered array script (files.SCRIPT)
    warnings: tuple[str, ...]
    parameters: tuple[dict[str, Any], ...]  # drawn up front (none for Bayesian: the controller asks)
    controller: bool
    files: dict[str, tuple[str, int]]  # relative to the sweep dir: plan, arguments, trial/stop logs, controller
    properties: dict[str, Any]  # the sweep record's "hyperdrive" properties

    def trial_lines(self, array_ids: list[str], max_array_size: int) -> str:
        """trials.jsonl lines for the drawn trials, given each chunk's array job id."""
        lines = []
        for (offset, length), job_id in zip(files.chunks(0, len(self.parameters), max_array_size), array_ids):
            for i in range(offset, offset + length):
                params = self.parameters[i]
                lines.append(files.trial_record(i, f"{job_id}_{i - offset}", params, trial_arguments(params)))
        return "".join(lines)


def policy_config_of(sweep: ResolvedSweep) -> dict[str, Any]:
    """v1's policy_config ({"name", "properties"}) from the resolved policy, for the sweep's record."""
    policy = sweep.policy
    props = {k: v for k, v in policy.__dict__.items() if k != "name" and v is not None}
    return {"name": policy.name, "properties": props}


def prepare_sweep(
    sweep: ResolvedSweep,
    profile: ClusterProfile,
    *,
    sweep_id: str,
    sweep_dir: str,
    experiment: str,
    policy_config: dict[str, Any] | None = None,
    start_now: bool = True,
    with_library: bool = False,
    description: str | None = None,
) -> PreparedSweep:
    """Compile the trials, draw the parameters and write the sweep's plan (nothing is sent).

    ``start_now``: the max_duration_minutes deadline counts from now (a standalone sweep); else
    from when the controller starts (a pipeline step, which may wait for upstream steps).
    ``with_library`` ships hpcest itself into the sweep dir even without a controller (a
    pipeline step's finish job runs it).
    """
    seed = sweep.seed if sweep.seed is not None else secrets.randbelow(2**31)
    spec, compile_warnings = compile_trials(
        sweep, profile, sweep_id=sweep_id, sweep_dir=sweep_dir, experiment=experiment
    )
    script = render_sbatch(spec, description=description or f"HyperDrive sweep {sweep_id} of {experiment} (job array)")
    bayesian = sweep.sampling == "BayesianOptimization"
    parameters = [] if bayesian else plan_parameters(sweep.sampling, sweep.parameter_space, sweep.max_total_runs, seed)
    controller = needs_controller(sweep)
    plan = {
        "sweep_id": sweep_id,
        "experiment": experiment,
        "sampling": sweep.sampling,
        "parameter_space": sweep.parameter_space,
        "seed": seed,
        "primary_metric_name": sweep.primary_metric_name,
        "primary_metric_goal": sweep.primary_metric_goal,
        "max_total_runs": sweep.max_total_runs,
        "max_concurrent_runs": sweep.max_concurrent_runs,
        "max_duration_minutes": sweep.max_duration_minutes,
        # None: the controller sets it when it starts.
        "deadline": time.time() + sweep.max_duration_minutes * 60 if start_now else None,
        "policy": sweep.policy.__dict__,
        "trial_count": len(parameters) if not bayesian else sweep.max_total_runs,
        "max_array_size": profile.max_array_size,
        "controller": controller,
        "tick_seconds": float(os.environ.get("HPCEST_SWEEP_TICK", "2")),
        "kill_grace_seconds": float(os.environ.get("HPCEST_SWEEP_KILL_GRACE", "30")),
        "resume_from": list(sweep.resume_from),
        "resume_child_runs": list(sweep.resume_child_runs),
    }
    contents: dict[str, tuple[str, int]] = {files.SWEEP_FILE: (json.dumps(plan, indent=1), 0o644)}
    contents[files.ARGS_FILE] = (
        "".join(files.args_line(i, trial_arguments(p)) for i, p in enumerate(parameters)),
        0o644,
    )
    contents[files.TRIALS_FILE] = ("", 0o644)
    contents[files.STOPS_FILE] = ("", 0o644)
    if controller:
        contents[files.CONTROLLER_SCRIPT] = (controller_script(profile, sweep, sweep_id, sweep_dir), 0o755)
    if controller or with_library:
        contents.update(controller_library())
    properties = {
        "sampling": sweep.sampling,
        "parameter_space": sweep.parameter_space,
        "seed": seed,
        "primary_metric_config": {"name": sweep.primary_metric_name, "goal": sweep.primary_metric_goal},
        "max_total_runs": sweep.max_total_runs,
        "max_concurrent_runs": sweep.max_concurrent_runs,
        "max_duration_minutes": sweep.max_duration_minutes,
        "policy_config": dict(policy_config if policy_config is not None else policy_config_of(sweep)),
        "controller": controller,
        "resume_from": list(sweep.resume_from),
    }
    return PreparedSweep(
        sweep_id=sweep_id, sweep_dir=sweep_dir, spec=spec, script=script, warnings=compile_warnings,
        parameters=tuple(parameters), controller=controller, files=contents, properties=properties,
    )


def submit_sweep(
    workspace: Workspace, experiment: str, config: Any, *, tags: dict[str, Any] | None = None
) -> RunRecord:
    """Submit ``config`` (a HyperDriveConfig) and return the sweep's run record."""
    sweep = config._resolved_sweep()
    source_directory = sweep.trial.source_directory
    if not os.path.isdir(source_directory):
        raise UserErrorException(
            f"source_directory {source_directory!r} does not exist; pass the folder that holds the training script"
        )
    target, trial = resolve_target(workspace, sweep.trial)
    sweep = replace(sweep, trial=trial)
    if target == LOCAL_TARGET:
        raise HyperDriveScenarioNotSupportedException(
            f"{LOCAL_REFUSAL} hpcest keeps this refusal: set compute_target to a cluster profile."
        )
    backend = get_backend(workspace, target)
    if backend.name != "slurm":
        raise ConfigError(f"target {target!r} is not a Slurm cluster; HyperDrive sweeps run as Slurm job arrays")
    profile = backend.resolved_profile(workspace.get_profile(target))
    sweep_id = config._custom_run_id or new_run_id(experiment)
    sweep_dir = backend.run_dir_for(sweep_id)
    prepared = prepare_sweep(
        sweep, profile, sweep_id=sweep_id, sweep_dir=sweep_dir, experiment=experiment,
        policy_config=dict(config._policy_config),
    )
    spec, script, controller = prepared.spec, prepared.script, prepared.controller
    parameters = list(prepared.parameters)
    compile_warnings = prepared.warnings
    if backend.runtime_note and sweep.trial.use_docker:
        compile_warnings = (*compile_warnings, backend.runtime_note)
    for message in (*sweep.notes, *compile_warnings):
        warnings.warn(message, HpcestWarning, stacklevel=3)
    # The trials' image is in the cache before the first array is queued (compute nodes may have no internet).
    provide_images(backend, profile, [spec], what="a sweep", report=_to_stderr)
    store = workspace.run_store
    properties = {"hyperdrive": prepared.properties}
    store.create_run(
        experiment,
        target,
        backend.name,
        run_id=sweep_id,
        remote_dir=sweep_dir,
        status="Preparing",
        tags=tags,
        properties=properties,
        spec={"config": "HyperDriveConfig", "trial_argv": list(spec.argv)},
        kind="sweep",
    )
    try:
        transport = backend.transport
        prepare_run_dir(
            transport,
            sweep_dir,
            backend.snapshot_store()[0],
            spec,
            script,
            source_directory,
        )
        contents = dict(prepared.files)
        _write_files(transport, sweep_dir, contents)
        array_ids: list[str] = []
        array_options: list[str] = []
        lines = []
        previous: str | None = None
        for offset, length in files.chunks(0, len(parameters), profile.max_array_size):
            job_id = submit_array(
                transport,
                sweep_dir,
                offset,
                length,
                sweep.max_concurrent_runs,
                dependency=f"afterany:{previous}" if previous else None,
            )
            array_ids.append(job_id)
            array_options.append(files.array_range(length, sweep.max_concurrent_runs))
            previous = job_id
            for i in range(offset, offset + length):
                lines.append(
                    files.trial_record(i, f"{job_id}_{i - offset}", parameters[i], trial_arguments(parameters[i]))
                )
        if lines:
            _append_remote(transport, posixpath.join(sweep_dir, files.TRIALS_FILE), "".join(lines))
        controller_id = None
        if controller:
            result = transport.run(
                ["sbatch", "--parsable", f"--chdir={sweep_dir}", posixpath.join(sweep_dir, files.CONTROLLER_SCRIPT)],
                idempotent=False,
            )
            from .. import slurm

            slurm.check(result)
            controller_id = slurm.parse_sbatch_parsable(result.stdout).job_id
    except BaseException as exc:
        store.update_status(sweep_id, "Failed", detail=f"submission failed: {exc}")
        raise
    store.set_job_id(sweep_id, ",".join(array_ids) or controller_id, remote_dir=sweep_dir)
    store.add_properties(
        sweep_id,
        {
            "array_jobs": array_ids,
            "array_options": array_options,
            "controller_job": controller_id,
            "sbatch_calls": len(array_ids) + (1 if controller_id else 0),
        },
    )
    record_trials(workspace, store.get(sweep_id), files.parse_lines("".join(lines)))
    store.update_status(sweep_id, "Queued")
    return store.get(sweep_id)


def record_trials(workspace: Workspace, sweep: RunRecord, trials: list[dict[str, Any]]) -> None:
    """Child runs for trials not recorded yet (all of a Random/Grid sweep at once; Bayesian ones as they come)."""
    store = workspace.run_store
    known = {r.name for r in store.children(sweep.run_id)}
    tags: dict[str, Any] = {}
    for trial in sorted(trials, key=lambda t: t["index"]):
        name = str(trial["index"])
        if name in known:
            continue
        child_id = f"{sweep.run_id}_{name}"
        store.create_run(
            sweep.experiment,
            sweep.target,
            sweep.backend,
            run_id=child_id,
            remote_dir=files.trial_dir(sweep.remote_dir or "", trial["index"]),
            status="Queued",
            spec={
                "config": "HyperDrive trial",
                "hyperparameters": trial["parameters"],
                "arguments": trial["arguments"],
            },
            properties={"hyperparameters": trial["parameters"]},
            parent_id=sweep.run_id,
            kind="trial",
            name=name,
        )
        store.set_job_id(child_id, trial["job_id"])
        tags[f"_aml_system_{child_id}"] = json.dumps(trial["parameters"])
    if tags:
        store.set_tags(sweep.run_id, tags)


# -- status ---------------------------------------------------------------------------------------

_STATE_SH = (
    'cd "$1" || exit 3; for f in trials.jsonl stops.jsonl controller.json; do '
    'printf "\\036%s\\n" "$f"; [ -f "$f" ] && cat "$f"; done; printf "\\036cancel\\n"; '
    "[ -f cancel_requested ] && echo 1; exit 0"
)


def read_sweep_files(transport: Transport, sweep_dir: str) -> dict[str, str]:
    """trials.jsonl, stops.jsonl, controller.json and the cancel marker in one remote command."""
    result = transport.run(["sh", "-c", _STATE_SH, "hpcest-sweep", sweep_dir])
    if not result.ok:
        raise TransportError(f"cannot read the sweep directory {sweep_dir}: {result.stderr.strip()}")
    out: dict[str, str] = {}
    for section in result.stdout.split("\x1e")[1:]:
        name, _, body = section.partition("\n")
        out[name] = body
    return out


def update_trials(
    workspace: Workspace,
    sweep: RunRecord,
    transport: Transport,
    state: dict[str, str],
    extra_jobs: tuple[str, ...] = (),
) -> TaskQuery:
    """Record new trials and each trial's state on evidence; one squeue over the sweep's arrays, its
    controller and ``extra_jobs`` (a pipeline step's finish job), returned for the caller's verdict."""
    store = workspace.run_store
    sweep_id = sweep.run_id
    trials = files.parse_lines(state.get("trials.jsonl", ""))
    record_trials(workspace, sweep, trials)
    stop_lines = files.parse_lines(state.get("stops.jsonl", ""))
    stops = files.latest_by_index({**s, "index": s.get("trial")} for s in stop_lines)
    children = store.children(sweep_id)
    controller_id = sweep.properties.get("controller_job")
    arrays = sorted({(c.job_id or "").split("_", 1)[0] for c in children if c.job_id})
    query = squeue_tasks(transport, [*arrays, *([controller_id] if controller_id else []), *extra_jobs])
    active = [c for c in children if (not c.is_terminal or c.inferred) and c.job_id and c.remote_dir]
    refs = [TaskRef(c.run_id, c.job_id or "", c.remote_dir or "", unseen_for=job_ref(c).unseen_for) for c in active]
    updates = poll_tasks(transport, refs, query=query, grace=workspace.get_profile(sweep.target).status_grace_seconds)
    for child in active:
        update = updates[child.run_id]
        stop = stops.get(int(child.name or -1))
        if update.state is None:
            # No evidence (the scheduler did not answer, or no longer lists a task that has not
            # written its exit code yet): the last known state stands.
            if update.unseen:
                store.mark_unseen(child.run_id)
            continue
        store.mark_seen(child.run_id)
        status, detail = V1_STATUS[update.state], update.detail
        if stop is not None and status in ("Canceled", "Failed"):
            status, detail = "Canceled", stop.get("reason")
        elif stop is not None and status not in TERMINAL_STATUSES:
            status = "CancelRequested"
        store.update_status(child.run_id, status, detail=detail, exit_code=update.exit_code, inferred=update.inferred)
    return query


def refresh_sweep(workspace: Workspace, sweep_id: str) -> dict[str, str]:
    """One poll of a whole sweep: the sweep files, one squeue, the trials' own files; records updated.

    Returns the runs whose scheduler did not answer (run id -> why; their last state stands)."""
    store = workspace.run_store
    sweep = store.get(sweep_id)
    if sweep.is_terminal or not sweep.remote_dir:
        return {}
    if sweep.kind == "step":
        # A HyperDriveStep: its status is the pipeline's to settle (its finish job, the failure rules).
        from .pipeline_status import refresh_pipelines

        return refresh_pipelines(workspace, [sweep])
    backend = get_backend(workspace, sweep.target)
    transport = backend.transport
    state = read_sweep_files(transport, sweep.remote_dir)
    query = update_trials(workspace, sweep, transport, state)
    known = query.known
    controller_id = sweep.properties.get("controller_job")
    if not query.answered:
        # Without the scheduler's answer the controller's state is unknown: the sweep is not settled.
        why = f"the scheduler is not answering ({query.unanswered}); last known state kept"
        return {sweep_id: why, **{c.run_id: why for c in store.children(sweep_id) if not c.is_terminal}}
    children = store.children(sweep_id)
    controller = _json(state.get("controller.json", ""))
    controller_job = known.get(controller_id) if controller_id else None
    canceled = state.get("cancel", "").strip() == "1"
    controller_gone = controller_job is None or controller_job.is_terminal
    controller_over = (
        controller_id is None
        or controller.get("state") in ("done", "canceled")
        # A controller canceled with the sweep may never have written its state.
        or (controller_gone and (bool(controller) or canceled))
    )
    planned = int(sweep.properties.get("hyperdrive", {}).get("max_total_runs", 0))
    all_submitted = controller_id is None or controller.get("state") in ("done", "canceled") or len(children) >= planned
    if children and all(c.is_terminal for c in children) and controller_over and (all_submitted or canceled):
        if canceled:
            store.update_status(sweep_id, "Canceled", detail="canceled by user")
        elif all(c.status == "Failed" for c in children):
            store.update_status(sweep_id, "Failed", detail="every trial failed")
        else:
            detail = "max_duration_minutes reached" if controller.get("deadline_reached") else None
            store.update_status(sweep_id, "Completed", detail=detail)
    elif controller_id and controller_gone and controller_job is not None and not controller and not canceled:
        store.update_status(sweep_id, "Failed", detail=f"the controller job {controller_id} ended before it started")
    elif any(c.status in ("Running", "Starting", "CancelRequested") for c in children) or (
        controller_job is not None and controller_job.state == "RUNNING"
    ):
        store.update_status(sweep_id, "Running")
    return {}


def mark_cancel_requested(transport: Transport, sweep_dir: str, children: list[RunRecord]) -> None:
    """Leave the cancel marker in the sweep directory and in every unfinished trial's: evidence that
    a trial the scheduler forgets without an exit code (canceled while pending) was canceled."""
    open_dirs = [c.remote_dir for c in children if not c.is_terminal and c.remote_dir]
    script = (
        'd=$1; shift; echo "canceled by user" > "$d/cancel_requested"; '
        'for t in "$@"; do mkdir -p "$t" && echo "canceled by user" > "$t/cancel_requested"; done'
    )
    transport.run(["sh", "-c", script, "hpcest-cancel", sweep_dir, *open_dirs])


def cancel_sweep(workspace: Workspace, sweep_id: str) -> None:
    """Cancel the arrays and the controller together; every unfinished trial ends Canceled."""
    from .. import slurm

    store = workspace.run_store
    sweep = store.get(sweep_id)
    if sweep.is_terminal or not sweep.remote_dir:
        return
    if sweep.kind == "step":
        from .pipeline_sweep import cancel_sweep_step

        cancel_sweep_step(workspace, sweep)
        return
    transport = get_backend(workspace, sweep.target).transport
    children = store.children(sweep_id)
    mark_cancel_requested(transport, sweep.remote_dir, children)
    ids = [*sweep.properties.get("array_jobs", []), *filter(None, [sweep.properties.get("controller_job")])]
    ids += sorted({(c.job_id or "").split("_", 1)[0] for c in children if c.job_id} - set(ids))
    if ids:
        transport.run(slurm.scancel_argv(ids))
    for child in children:
        if not child.is_terminal:
            store.update_status(child.run_id, "CancelRequested", detail="canceled by user")
    store.update_status(sweep_id, "CancelRequested", detail="cancel requested by user")


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def progress_line(workspace: Workspace, sweep_id: str) -> str:
    """done / running / stopped / best so far, on one line."""
    store = workspace.run_store
    sweep = store.get(sweep_id)
    children = store.children(sweep_id)
    hd = sweep.properties.get("hyperdrive", {})
    planned = hd.get("max_total_runs", len(children))
    done = sum(1 for c in children if c.is_terminal)
    running = sum(1 for c in children if c.status in ("Running", "Starting"))
    stopped = sum(1 for c in children if c.status == "Canceled")
    return f"{sweep_id}: {sweep.status}; {done}/{planned} done, {running} running, {stopped} stopped"


def print_progress(text: str) -> None:
    end = "\r" if sys.stdout.isatty() else "\n"
    sys.stdout.write(text.ljust(100) + end)
    sys.stdout.flush()
