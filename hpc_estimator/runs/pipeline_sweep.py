"""A HyperDriveStep in a pipeline: its lowering into the pipeline's graph, its status, its cancel.

The step's run directory is the sweep's directory (``sweep.json``, the array script ``job.sbatch``,
``trials/<N>/``...), prepared by the same :func:`~hpc_estimator.runs.sweep.prepare_sweep` as a
standalone sweep. In the pipeline's one graph submission the step is:

- its array chunks (side jobs, ``--array=0-(n-1)%<max_concurrent_runs>``, each after the previous
  one ended, afterany), each recording its trials into ``trials.jsonl`` once submitted;
- its controller, when the sweep needs one (policy, deadline, Bayesian);
- the step's own job, the one-CPU *finish* job (:mod:`hpc_estimator.sweep.finish`), after all of
  those ended (afterany): it writes ``metrics_output`` and copies the best trial's model into the
  TrainingOutput directories, and exits non-zero when no trial completed. Steps downstream wait
  for it with ``afterok`` like for any step, so the pipeline's failure rules hold.

Every side job also waits for the step's upstream steps (afterok). The step record's job id is
the finish job's; ``properties`` keep the arrays and the controller. Status: one squeue over the
arrays, the controller and the finish job per poll (not in the pipeline's step poll too); the
step is Running while trials run, and ends as its finish job ends.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..backends import get_backend
from ..backends.array_status import TaskRef, poll_tasks
from ..backends.base import JobRef
from ..backends.graph import SideJob
from ..backends.status import StatusUpdate
from ..cluster.profile import ClusterProfile
from ..compile import CompiledJob
from ..compile.pipeline import bound_run
from ..job.sbatch_options import directive_lines
from ..job.spec import JobSpec, ResourceSpec, SchedulerSpec
from ..job.state import JobState
from ..sweep import files
from ..sweep.finish import WHOLE_OUTPUTS
from ..util.shellquote import quote
from ..v1.pipeline import ResolvedStep
from .cluster_facts import ClusterFacts, slurm_time_seconds
from .run import job_ref
from .store import RunRecord
from .sweep import PreparedSweep, prepare_sweep, read_sweep_files, update_trials

if TYPE_CHECKING:
    from .workspace import Workspace

FINISH_SCRIPT = "finish.sbatch"
FINISH_TIME_LIMIT_S = 1800
HYPERDRIVE = "hyperdrive"  # the property that marks a step record as a sweep


@dataclass(frozen=True)
class SweepStepPlan:
    prepared: PreparedSweep
    finish_script: str
    side_jobs: tuple[SideJob, ...]
    files: tuple[tuple[str, str, int], ...]  # (relative path, text, mode) in the step's run directory
    chunks: tuple[tuple[str, int, int], ...] = ()  # (array side job name, first trial, trials)

    @property
    def compiled(self) -> CompiledJob:
        return CompiledJob(spec=self.prepared.spec, warnings=self.prepared.warnings)

    def properties(self) -> dict[str, Any]:
        return {HYPERDRIVE: self.prepared.properties}


def finish_time_limit(profile: ClusterProfile, facts: ClusterFacts | None) -> int:
    """The finish job's time limit: FINISH_TIME_LIMIT_S, or the partition's limit when that is shorter
    (a debug partition of 15 minutes), so that it is not left pending for ever (PartitionTimeLimit)."""
    part = facts.partition(profile.partition) if facts is not None else None
    limit = slurm_time_seconds(part.time_limit) if part is not None else None
    return FINISH_TIME_LIMIT_S if limit is None else min(FINISH_TIME_LIMIT_S, limit)


def finish_script(profile: ClusterProfile, step_id: str, sweep_dir: str, step: ResolvedStep,
                  directories: dict[tuple[int, str], str], *, time_limit_s: int = FINISH_TIME_LIMIT_S) -> str:
    """The step's own job: one CPU, hpcest's finish module with the cluster's Python."""
    spec = JobSpec(
        name=step_id,
        argv=("true",),
        run_dir=sweep_dir,
        resources=ResourceSpec(nodes=1, tasks_per_node=1, cpus_per_task=1),
        scheduler=SchedulerSpec(partition=profile.partition, account=profile.account, qos=profile.qos,
                                time_limit_s=time_limit_s),
        stdout="hpcest-logs/slurm-%j.out",
    )
    argv = [profile.python, "-m", "hpc_estimator.sweep.finish", sweep_dir]
    out_dirs = []
    for output in step.outputs:
        path = directories[(step.index, output.name)]
        out_dirs.append(path)
        if output.training_output == "metrics":
            argv += ["--metrics", path]
        elif output.training_output == "model":
            argv += ["--model", path, output.model_file or WHOLE_OUTPUTS]
    lib = posixpath.join(sweep_dir, files.CONTROLLER_LIB)
    lines = [
        "#!/bin/bash",
        *directive_lines(spec),
        "# hpcest: the HyperDriveStep's outputs (metrics of all trials, the best trial's model), once the sweep ended.",
        f"cd {quote(sweep_dir)} || exit 1",
        *profile.prologue,
        "date +%s > started_at",
        *(f"mkdir -p {quote(d)} || exit 1" for d in out_dirs),
        f'export PYTHONPATH={quote(lib)}"${{PYTHONPATH:+:$PYTHONPATH}}"',
        " ".join(quote(a) for a in argv),
        "hpcest_rc=$?",
        'printf \'%s\\n\' "$hpcest_rc" > exit_code.tmp && mv -f exit_code.tmp exit_code',
        'exit "$hpcest_rc"',
    ]
    return "\n".join(lines) + "\n"


def plan_sweep_step(
    step: ResolvedStep,
    directories: dict[tuple[int, str], str],
    *,
    profile: ClusterProfile,
    step_id: str,
    sweep_dir: str,
    experiment: str,
    description: str,
    facts: ClusterFacts | None = None,
) -> SweepStepPlan:
    """The step's sweep, compiled like a standalone one, and the jobs that run it in the graph.

    ``facts`` (``hpcest cluster check``) do for the step what they do for a standalone sweep: warn
    about trials the cluster can never start and fit the controller and the finish job into the
    partition's time limit.
    """
    assert step.sweep is not None
    # Every trial gets the step's inputs; the outputs are the finish job's to write.
    trial = bound_run(step, directories)
    sweep = replace(step.sweep, trial=replace(trial, outputs=()))
    prepared = prepare_sweep(
        sweep, profile, sweep_id=step_id, sweep_dir=sweep_dir, experiment=experiment, start_now=False,
        with_library=True, description=description, facts=facts,
    )
    extra_files: list[tuple[str, str, int]] = [(p, text, mode) for p, (text, mode) in prepared.files.items()]
    extra_files.append((files.SCRIPT, prepared.script, 0o755))
    return SweepStepPlan(
        prepared=prepared,
        finish_script=finish_script(profile, step_id, sweep_dir, step, directories,
                                    time_limit_s=finish_time_limit(profile, facts)),
        side_jobs=prepared.side_jobs, files=tuple(extra_files), chunks=prepared.chunks,
    )


def submitted_properties(plan: SweepStepPlan, side_ids: dict[str, str]) -> dict[str, Any]:
    """What the step record keeps of its side jobs (the sweep's arrays and controller)."""
    arrays = [side_ids[name] for name, _, _ in plan.chunks]
    controller = next((side_ids[j.name] for j in plan.side_jobs if j.script == files.CONTROLLER_SCRIPT), None)
    return {"array_jobs": arrays, "controller_job": controller}


def record_submitted_trials(workspace: Workspace, step_id: str, plan: SweepStepPlan, side_ids: dict[str, str]) -> None:
    """The drawn trials as child runs of the step, with their array task ids."""
    from .sweep import record_trials

    record_trials(workspace, workspace.run_store.get(step_id), plan.prepared.submitted_trials(side_ids))


# -- status and cancel ------------------------------------------------------------------------------


def sweep_refs(record: RunRecord) -> list[JobRef]:
    """The step's finish job and its sweep's controller and arrays, to cancel together (the trials
    ``trials.jsonl`` lists in the step's directory are cancelled with them: ``cancel_graph``)."""
    refs = [job_ref(record)] if record.job_id and record.remote_dir else []
    ids = [*filter(None, [record.properties.get("controller_job")]), *record.properties.get("array_jobs", [])]
    refs += [JobRef(f"{record.run_id}:{i}", i, record.remote_dir or "") for i in ids]
    return refs


def poll_sweep_step(workspace: Workspace, record: RunRecord) -> StatusUpdate:
    """One poll of a HyperDriveStep: its trials recorded and updated, the step's own state."""
    backend = get_backend(workspace, record.target)
    transport = backend.transport
    sweep_dir = record.remote_dir or ""
    state = read_sweep_files(transport, sweep_dir)
    finish_id = record.job_id or ""
    query = update_trials(workspace, record, transport, state, extra_jobs=(finish_id,))
    grace = workspace.get_profile(record.target).status_grace_seconds
    ref = job_ref(record)
    finish = poll_tasks(
        transport, [TaskRef(record.run_id, finish_id, sweep_dir, unseen_for=ref.unseen_for)], query=query, grace=grace
    )[record.run_id]
    children = workspace.run_store.children(record.run_id)
    if finish.state is not None and finish.state.is_terminal:
        unsettled = [c for c in children if not c.is_terminal]
        if unsettled:
            # The step ends with its trials: until each has its own verdict (a canceled pipeline's
            # trials end Canceled), the step keeps its last known state.
            return StatusUpdate(None, f"the sweep has ended; waiting for {len(unsettled)} trial(s) to settle")
        return finish
    if finish.state is not None and finish.state is not JobState.QUEUED:
        return finish
    controller_id = record.properties.get("controller_job")
    controller = query.known.get(controller_id) if controller_id else None
    running = [c for c in children if c.status in ("Running", "Starting", "CancelRequested")]
    if query.answered and (running or (controller is not None and controller.state == "RUNNING")):
        done = sum(1 for c in children if c.is_terminal)
        return StatusUpdate(JobState.RUNNING, f"sweep running: {done}/{len(children)} trial(s) done")
    return finish


def cancel_sweep_step(workspace: Workspace, record: RunRecord) -> None:
    """Cancel one HyperDriveStep: its finish job, controller, arrays and open trials, in one command
    (the shared pipeline cancel, which also marks the trials and reaches the controller's arrays)."""
    from ..backends.graph import graph_backend

    store = workspace.run_store
    refs = sweep_refs(record)
    if refs:
        graph_backend(get_backend(workspace, record.target)).cancel_graph(refs)
    for child in store.children(record.run_id):
        if not child.is_terminal:
            store.update_status(child.run_id, "CancelRequested", detail="canceled by user")
    store.update_status(record.run_id, "CancelRequested", detail="cancel requested by user")
