"""Submitting a HyperDrive sweep and following it: the sweep run, its trial runs, the job arrays.

A sweep is a run of kind ``sweep`` whose children (kind ``trial``, named by their index) are
ordinary runs of the configuration with the sampled values appended. The trial's JobSpec is
compiled once, for "every task" of a job array, through the same resolution and compile stages as
any run; Random and Grid draw all parameter sets up front and submit one array
(``--array=0-(N-1)%<max_concurrent_runs>``, in chunks of MaxArraySize, each chunk waiting for the
previous so the concurrency limit holds for the whole sweep). A controller job is added when the
sweep needs decisions while it runs (:mod:`hpc_estimator.sweep.controller`). After the snapshot
is staged, the sweep's files and every sbatch go to the cluster in one command, the graph submit
script pipelines use (:mod:`hpc_estimator.slurm.graph`): safe to repeat, and on a refusal
part-way the jobs already queued are canceled.

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

from .. import slurm
from ..backends import get_backend
from ..backends.array_status import TaskQuery, TaskRef, poll_tasks, squeue_tasks
from ..backends.base import JobRef, _tar
from ..backends.graph import GraphSubmitError, SideJob, check_written, write_files_command
from ..backends.slurm_graph import read_recorded_ids
from ..cluster.profile import ClusterProfile
from ..compile import compile_run
from ..errors import ConfigError, HyperDriveScenarioNotSupportedException, TransportError
from ..job.render import render_sbatch
from ..job.sbatch_options import directive_lines, safe_job_name
from ..job.spec import ARRAY_ARGS, ARRAY_TASK, ArraySpec, JobSpec, ResourceSpec, SchedulerSpec
from ..slurm.graph import JOB_ID_TOKEN, GraphJob
from ..snapshot.staging import build_manifest, stage
from ..sweep import files
from ..transport.base import Transport
from ..util.shellquote import quote
from ..v1.compute import LOCAL_TARGET
from ..v1.hyperdrive.config import LOCAL_REFUSAL, MAX_DURATION_MINUTES
from ..v1.hyperdrive.draw import plan_parameters, trial_arguments
from ..v1.hyperdrive.resolved import ResolvedSweep
from .cluster_facts import ClusterFacts, fit_warnings, load_facts, slurm_time_seconds
from .images import provide_images
from .run import job_ref
from .source_check import check_source
from .store import TERMINAL_STATUSES, V1_STATUS, RunRecord, new_run_id
from .submission import HpcestWarning, _to_stderr, resolve_target

if TYPE_CHECKING:
    from .workspace import Workspace

GRAPH_DIR = "graph"  # job_id files of the chunks and the controller (they share the sweep's directory)
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
        run_dir=files.trial_dir(sweep_dir, ARRAY_TASK),
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


def fit_controller_time(
    sweep: ResolvedSweep, profile: ClusterProfile, facts: ClusterFacts | None
) -> tuple[ResolvedSweep, tuple[str, ...]]:
    """The sweep with max_duration_minutes shortened so its controller fits the partition's time limit.

    The controller must outlive the deadline (CONTROLLER_SLACK_S) to cancel what is left and record
    it; asked for longer than the partition allows, it would pend forever (PartitionTimeLimit)
    while the trials ran with no policy. Unknown limits (no ``hpcest cluster check``) change nothing.
    """
    part = facts.partition(profile.partition) if facts is not None else None
    limit = slurm_time_seconds(part.time_limit) if part is not None else None
    if part is None or limit is None or sweep.max_duration_minutes * 60 + CONTROLLER_SLACK_S <= limit:
        return sweep, ()
    minutes = (limit - CONTROLLER_SLACK_S) // 60
    checked = f"(as `hpcest cluster check {facts.cluster}` found on {facts.checked_at[:10]})" if facts else ""
    if minutes < 1:
        raise ConfigError(
            f"partition {part.name!r} allows jobs of at most {part.time_limit} {checked}, too short for the sweep's "
            f"controller, which runs for max_duration_minutes plus {CONTROLLER_SLACK_S // 60} minutes; use a "
            f"partition with a longer time limit (partition in the cluster profile)"
        )
    note = (
        f"max_duration_minutes={sweep.max_duration_minutes} is shortened to {minutes}: the sweep's controller "
        f"must run {CONTROLLER_SLACK_S // 60} minutes past the deadline and partition {part.name!r} allows jobs of "
        f"at most {part.time_limit} {checked}. Set max_duration_minutes <= {minutes}, or use a partition with a "
        f"longer time limit"
    )
    return replace(sweep, max_duration_minutes=minutes), (note,)


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


SUBMIT_SCRIPT = "submit.sh"


def _submit_argv(sweep_dir: str, umask: str) -> list[str]:
    """Unpack the sweep's files and run its submit script, in one command. trials.jsonl and
    stops.jsonl are created, never truncated: when the command is repeated (its reply was lost)
    the records the first run appended stay."""
    return write_files_command(
        sweep_dir, umask, then=f'exec sh "$1/{SUBMIT_SCRIPT}"', make_dirs=("hpcest-logs",),
        touch=(files.TRIALS_FILE, files.STOPS_FILE), label="hpcest-sweep",
    )


def sweep_graph_jobs(prepared: PreparedSweep) -> list[GraphJob]:
    """The sweep's chunks and controller as jobs of one graph submission (absolute paths)."""
    d = prepared.sweep_dir
    index: dict[str, int] = {}
    jobs: list[GraphJob] = []
    for job in prepared.side_jobs:
        index[job.name] = len(jobs)
        record = (posixpath.join(d, job.record[0]), posixpath.join(d, job.record[1])) if job.record else None
        jobs.append(GraphJob(
            name=job.name, run_dir=d, script=posixpath.join(d, job.script),
            after_any=tuple(index[n] for n in job.after_any), sbatch_options=job.sbatch_options,
            id_dir=posixpath.join(d, job.id_dir), record=record,
        ))
    return jobs


def _submit_graph(transport: Transport, prepared: PreparedSweep, umask: str) -> dict[str, str]:
    """Write the sweep's files and submit its jobs in one remote command; job name -> job id.

    Safe to repeat (the graph script finds jobs already submitted), and repeated once when the
    connection drops before the reply. Raises GraphSubmitError with what was submitted when sbatch
    refused a job part-way.
    """
    jobs = sweep_graph_jobs(prepared)
    contents = {files.SCRIPT: (prepared.script, 0o755)}
    contents.update({staged.path: (staged.text, staged.mode) for staged in prepared.spec.staged_files})
    contents.update({k: v for k, v in prepared.files.items() if k not in (files.TRIALS_FILE, files.STOPS_FILE)})
    contents[SUBMIT_SCRIPT] = (slurm.graph_submit_script(jobs), 0o755)
    argv = _submit_argv(prepared.sweep_dir, umask)
    archive = _tar(contents)
    for attempt in (1, 2):
        try:
            result = transport.run(argv, stdin=archive, idempotent=False)
            break
        except TransportError:
            if attempt == 2:
                raise
    parsed = slurm.parse_graph_submit(result.stdout)
    missing = [job.name for job in jobs if job.name not in parsed.job_ids]
    if not result.ok or missing:
        check_written(result, prepared.sweep_dir, ran_then=True, what="the sweep files")
        why = result.stderr.strip() or f"exit status {result.returncode}"
        raise GraphSubmitError(
            f"sbatch refused the sweep at {missing[0] if missing else 'its last job'} "
            f"({len(parsed.job_ids)} of {len(jobs)} job(s) submitted): {why}",
            parsed.job_ids,
        )
    return parsed.job_ids


def _recorded_ids(transport: Transport, prepared: PreparedSweep) -> dict[str, str]:
    """The job ids the submit script wrote (job name -> id); best effort, {} when they cannot be read."""
    return read_recorded_ids(transport, sweep_graph_jobs(prepared))


def _fail_submission(
    workspace: Workspace, backend: Any, sweep_id: str, sweep_dir: str, submitted: dict[str, str], exc: BaseException
) -> None:
    """A failed submission: what was submitted is recorded and canceled (else it would run untracked)."""
    from ..backends.graph import graph_backend

    store = workspace.run_store
    if submitted:
        store.add_properties(sweep_id, {"submitted_before_failure": dict(submitted)})
        try:
            graph_backend(backend).cancel_graph([JobRef(name, i, sweep_dir) for name, i in submitted.items()])
        except Exception as cancel_error:  # the submission error is the one to report
            warnings.warn(
                f"could not cancel the jobs the failed submission of {sweep_id} had queued "
                f"({', '.join(sorted(submitted.values()))}): {cancel_error}; scancel them",
                HpcestWarning,
                stacklevel=4,
            )
    store.update_status(sweep_id, "Failed", detail=f"submission failed: {exc}")


@dataclass(frozen=True)
class PreparedSweep:
    """A sweep ready to be submitted: its array script, its files, its jobs, what its record keeps.

    Shared by a standalone sweep (``submit_sweep``: its own graph submission) and a pipeline's
    HyperDriveStep, whose chunks and controller go into the pipeline's one graph submission.
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
    # The array chunks (each after the previous one ended, recording its trials into trials.jsonl
    # once submitted) and the controller; paths relative to the sweep dir.
    side_jobs: tuple[SideJob, ...] = ()
    chunks: tuple[tuple[str, int, int], ...] = ()  # (array job name, first trial, trials)

    def submitted_trials(self, ids: dict[str, str]) -> list[dict[str, Any]]:
        """The drawn trials with their array task ids, given each chunk's job id by job name."""
        return [
            trial
            for name, offset, length in self.chunks
            for trial in files.chunk_trials(ids[name], offset, self.parameters[offset : offset + length])
        ]


def array_job_name(sweep_id: str, chunk: int) -> str:
    return safe_job_name(f"{sweep_id}_a{chunk}")


def controller_job_name(sweep_id: str) -> str:
    return safe_job_name(f"{sweep_id}-controller")


def sweep_side_jobs(
    sweep_id: str, parameters: tuple[dict[str, Any], ...], max_array_size: int, max_concurrent: int, controller: bool
) -> tuple[list[SideJob], list[tuple[str, int, int]], dict[str, tuple[str, int]]]:
    """The chunks (each waiting for the previous one to end, afterany, so the concurrency limit holds
    across chunks), the controller, and each chunk's trials.jsonl template (``graph/array-<i>/trials.in``)."""
    side: list[SideJob] = []
    chunks: list[tuple[str, int, int]] = []
    templates: dict[str, tuple[str, int]] = {}
    for chunk, (offset, length) in enumerate(files.chunks(0, len(parameters), max_array_size)):
        name = array_job_name(sweep_id, chunk)
        id_dir = f"{GRAPH_DIR}/array-{chunk}"
        # The graph submit script puts the chunk's job id in place of the token once sbatch took the chunk.
        trials = files.chunk_trials(JOB_ID_TOKEN, offset, parameters[offset : offset + length])
        templates[f"{id_dir}/trials.in"] = ("".join(files.trial_record(**trial) for trial in trials), 0o644)
        chunks.append((name, offset, length))
        side.append(SideJob(
            name=name, script=files.SCRIPT, id_dir=id_dir,
            sbatch_options=(f"--array={files.array_range(length, max_concurrent)}",
                            f"--export=ALL,HPCEST_TASK_OFFSET={offset}", f"--job-name={name}"),
            after_any=(side[-1].name,) if side else (),
            record=(f"{id_dir}/trials.in", files.TRIALS_FILE),
        ))
    if controller:
        name = controller_job_name(sweep_id)
        side.append(SideJob(name=name, script=files.CONTROLLER_SCRIPT, id_dir=f"{GRAPH_DIR}/controller",
                            sbatch_options=(f"--job-name={name}",)))
    return side, chunks, templates


def prepare_sweep(
    sweep: ResolvedSweep,
    profile: ClusterProfile,
    *,
    sweep_id: str,
    sweep_dir: str,
    experiment: str,
    start_now: bool = True,
    with_library: bool = False,
    description: str | None = None,
    facts: ClusterFacts | None = None,
) -> PreparedSweep:
    """Compile the trials, draw the parameters and write the sweep's plan (nothing is sent).

    ``start_now``: the max_duration_minutes deadline counts from now (a standalone sweep); else
    from when the controller starts (a pipeline step, which may wait for upstream steps).
    ``with_library`` ships hpcest itself into the sweep dir even without a controller (a
    pipeline step's finish job runs it). ``facts`` (``hpcest cluster check``) add the warnings
    for trials the cluster can never start, and fit the controller into the partition's time limit.
    """
    seed = sweep.seed if sweep.seed is not None else secrets.randbelow(2**31)
    controller = needs_controller(sweep)
    duration_notes: tuple[str, ...] = ()
    if controller:
        sweep, duration_notes = fit_controller_time(sweep, profile, facts)
    spec, compile_warnings = compile_trials(
        sweep, profile, sweep_id=sweep_id, sweep_dir=sweep_dir, experiment=experiment
    )
    compile_warnings = (*compile_warnings, *fit_warnings(spec, facts), *duration_notes)
    script = render_sbatch(spec, description=description or f"HyperDrive sweep {sweep_id} of {experiment} (job array)")
    bayesian = sweep.sampling == "BayesianOptimization"
    parameters = [] if bayesian else plan_parameters(sweep.sampling, sweep.parameter_space, sweep.max_total_runs, seed)
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
    side, chunks, templates = sweep_side_jobs(
        sweep_id, tuple(parameters), profile.max_array_size, sweep.max_concurrent_runs, controller
    )
    contents.update(templates)
    properties = {
        "sampling": sweep.sampling,
        "parameter_space": sweep.parameter_space,
        "seed": seed,
        "primary_metric_config": {"name": sweep.primary_metric_name, "goal": sweep.primary_metric_goal},
        "max_total_runs": sweep.max_total_runs,
        "max_concurrent_runs": sweep.max_concurrent_runs,
        "max_duration_minutes": sweep.max_duration_minutes,
        "policy_config": sweep.policy_config,
        "controller": controller,
        "resume_from": list(sweep.resume_from),
    }
    return PreparedSweep(
        sweep_id=sweep_id, sweep_dir=sweep_dir, spec=spec, script=script, warnings=compile_warnings,
        parameters=tuple(parameters), controller=controller, files=contents, properties=properties,
        side_jobs=tuple(side), chunks=tuple(chunks),
    )


def submit_sweep(
    workspace: Workspace, experiment: str, config: Any, *, tags: dict[str, Any] | None = None
) -> RunRecord:
    """Submit ``config`` (a HyperDriveConfig) and return the sweep's run record."""
    sweep = config._resolved_sweep()
    # The checks of any submission: the folder exists, the entry script is in it (else "did you mean").
    sweep = replace(sweep, trial=check_source(sweep.trial))
    source_directory = sweep.trial.source_directory
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
        facts=load_facts(workspace.history_dir, target),
    )
    spec, controller = prepared.spec, prepared.controller
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
    transport = backend.transport
    submitting = False
    try:
        # The snapshot through the content store (what is already there is not sent again), then
        # every other file and all the sbatch calls in one command.
        umask = spec.umask or "0022"
        source = Path(source_directory)
        stage(transport, build_manifest(source), source, posixpath.join(sweep_dir, "src"),
              backend.snapshot_store()[0], umask=umask)
        submitting = True
        submitted = _submit_graph(transport, prepared, umask)
    except BaseException as exc:
        if isinstance(exc, GraphSubmitError):
            partial = exc.submitted
        else:
            # Interrupted or cut off mid-command: what the script had queued is in its job_id files.
            partial = _recorded_ids(transport, prepared) if submitting else {}
        _fail_submission(workspace, backend, sweep_id, sweep_dir, partial, exc)
        raise
    array_ids = [submitted[name] for name, _, _ in prepared.chunks]
    controller_id = submitted.get(controller_job_name(sweep_id)) if controller else None
    store.set_job_id(sweep_id, ",".join(array_ids) or controller_id, remote_dir=sweep_dir)
    store.add_properties(
        sweep_id,
        {
            "array_jobs": array_ids,
            "array_options": [files.array_range(length, sweep.max_concurrent_runs) for _, _, length in prepared.chunks],
            "controller_job": controller_id,
            "sbatch_calls": len(array_ids) + (1 if controller_id else 0),
        },
    )
    record_trials(workspace, store.get(sweep_id), prepared.submitted_trials(submitted))
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

    A sweep settled on evidence is final. One whose verdict rests on an inferred trial (declared
    lost without an exit code) is polled again, so that evidence arriving later corrects the
    trials and then the sweep. Returns the runs whose scheduler did not answer (run id -> why;
    their last state stands)."""
    store = workspace.run_store
    sweep = store.get(sweep_id)
    if (sweep.is_terminal and not sweep.inferred) or not sweep.remote_dir:
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
    controller_done = controller.get("state") in ("done", "canceled")
    controller_over = (
        controller_id is None
        or controller_done
        # A controller canceled with the sweep may never have written its state.
        or (controller_gone and (bool(controller) or canceled))
    )
    # The controller ended without finishing the sweep, on evidence: the scheduler lists it ended,
    # or has not listed it for the grace period (inferred, so a later answer can correct it).
    ended_how: str | None = None
    ended_inferred = False
    if controller_id and not controller_done and not canceled:
        if controller_job is not None:
            store.mark_seen(sweep_id)
            if controller_job.is_terminal:
                ended_how = controller_job.state
        else:
            unseen_for = job_ref(sweep).unseen_for
            store.mark_unseen(sweep_id)
            if unseen_for is not None and unseen_for >= workspace.get_profile(sweep.target).status_grace_seconds:
                ended_how, ended_inferred = f"not listed by the scheduler for {int(unseen_for)} s", True
    planned = int(sweep.properties.get("hyperdrive", {}).get("max_total_runs", 0))
    all_submitted = controller_id is None or controller_done or len(children) >= planned
    all_terminal = all(c.is_terminal for c in children)
    inferred = any(c.inferred for c in children)
    if children and all_terminal and controller_over and (all_submitted or canceled):
        if canceled:
            store.update_status(sweep_id, "Canceled", detail="canceled by user", inferred=inferred)
        elif all(c.status == "Failed" for c in children):
            store.update_status(sweep_id, "Failed", detail="every trial failed", inferred=inferred)
        else:
            detail = "max_duration_minutes reached" if controller.get("deadline_reached") else None
            store.update_status(sweep_id, "Completed", detail=detail, inferred=inferred)
    elif ended_how is not None and all_terminal:
        # No controller any more: no policy, no deadline, no new trials. Once the trials it left
        # have their own verdicts, the sweep has one too (its trials keep their own).
        ran = sum(1 for c in children if c.is_terminal)
        when = "before it started" if not controller else "before the sweep finished"
        detail = f"the controller job {controller_id} ended ({ended_how}) {when}; {ran} of {planned} trial(s) ran"
        store.update_status(sweep_id, "Failed", detail=detail, inferred=inferred or ended_inferred)
    elif any(c.status in ("Running", "Starting", "CancelRequested") for c in children) or (
        controller_job is not None and controller_job.state == "RUNNING"
    ):
        store.update_status(sweep_id, "Running")
    return {}


def cancel_sweep(workspace: Workspace, sweep_id: str) -> None:
    """Cancel the controller, the arrays and every trial together; every unfinished trial ends Canceled.

    One remote command (:func:`~hpc_estimator.backends.slurm_graph.cancel_graph`): the sweep is
    marked, the controller and the arrays are cancelled, then every trial ``trials.jsonl`` lists
    on the cluster (the Bayesian controller's arrays too, recorded here or not) is marked and
    cancelled. A scancel that fails raises, and nothing is recorded as requested.
    """
    from ..backends.graph import graph_backend

    store = workspace.run_store
    sweep = store.get(sweep_id)
    if sweep.is_terminal or not sweep.remote_dir:
        return
    if sweep.kind == "step":
        from .pipeline_sweep import cancel_sweep_step

        cancel_sweep_step(workspace, sweep)
        return
    children = store.children(sweep_id)
    # The controller first: it submits nothing once it is gone.
    ids = [*filter(None, [sweep.properties.get("controller_job")]), *sweep.properties.get("array_jobs", [])]
    ids += sorted({(c.job_id or "").split("_", 1)[0] for c in children if c.job_id} - set(ids))
    refs = [JobRef(sweep_id, job_id, sweep.remote_dir) for job_id in ids]
    if refs:
        graph_backend(get_backend(workspace, sweep.target)).cancel_graph(refs)
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
