"""Submitting a pipeline: resolve and check the whole graph, plan reuse, compile every step, record, submit.

Everything that can fail because of the pipeline itself happens before anything is recorded or
sent: unknown parameters, a cycle (v1's message), steps on different compute targets, a missing
source directory, a step that does not compile. Then the run store gets the pipeline run (kind
``pipeline``) and one child run per step (kind ``step``, named after the step), and the backend
stages and submits the steps that are not reused as one dependency graph (``submit_graph``).

``plan_pipeline`` is shared with the dry run, which prints the same plan without contacting the
cluster.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..backends import get_backend
from ..backends.dry_run import DryRunBackend
from ..backends.graph import GraphStep, GraphSubmission, GraphSubmitError, graph_backend, step_run_dir
from ..cluster.profile import ClusterProfile
from ..compile import CompiledJob
from ..compile.pipeline import compile_step, output_directories
from ..errors import HyperDriveScenarioNotSupportedException, UserErrorException
from ..job.render import render_sbatch
from ..job.spec import JobSpec
from ..snapshot.staging import Manifest, build_manifest
from ..transport.base import Progress
from ..v1.compute import LOCAL_TARGET
from ..v1.pipeline import Pipeline, ResolvedPipeline, ResolvedStep
from .cluster_facts import fit_warnings, load_facts
from .images import provide_images
from .pipeline_reuse import CompletedSteps, content_key, content_parts, find_reusable, what_changed
from .pipeline_sweep import (
    FINISH_SCRIPT,
    SweepStepPlan,
    plan_sweep_step,
    record_submitted_trials,
    submitted_properties,
)
from .store import RunRecord, new_run_id
from .submission import HpcestWarning, _to_stderr, resolve_target

if TYPE_CHECKING:
    from ..backends.base import Placement
    from .workspace import Workspace


@dataclass(frozen=True)
class PlannedStep:
    step: ResolvedStep
    run_id: str
    run_dir: str  # where the step runs (a reused step: where its original ran)
    key: str
    parts: dict[str, str]
    reused: RunRecord | None  # the earlier step run whose outputs this step takes
    reason: str  # why it runs, or what it reuses
    outputs: dict[str, str]  # output name -> directory on the cluster
    manifest: Manifest | None = None  # the snapshot its key was computed from, staged as it is
    compiled: CompiledJob | None = None
    script: str | None = None
    sweep: SweepStepPlan | None = None  # a HyperDriveStep: its arrays, controller and finish job

    @property
    def name(self) -> str:
        return self.step.name

    @property
    def origin(self) -> str | None:
        """The step run that actually ran and wrote the outputs this step reuses."""
        if self.reused is None:
            return None
        return str(self.reused.properties.get("reused_run_id") or self.reused.run_id)


@dataclass(frozen=True)
class PipelinePlan:
    run_id: str
    pipeline_dir: str
    target: str
    experiment: str
    resolved: ResolvedPipeline
    steps: tuple[PlannedStep, ...]  # every step after the steps it depends on
    continue_on_step_failure: bool = False
    regenerate_outputs: bool = False
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def to_run(self) -> tuple[PlannedStep, ...]:
        return tuple(s for s in self.steps if s.reused is None)

    def by_index(self, index: int) -> PlannedStep:
        return next(s for s in self.steps if s.step.index == index)


def step_run_id(pipeline_run_id: str, position: int) -> str:
    """``<pipeline run id>_step<n>``, numbered in the order the steps run.

    The id is also the step's Slurm job name, which must stay unique within 128 characters (sbatch
    keeps that many): a long pipeline run id (a long experiment name) is shortened with its hash.
    """
    step_id = f"{pipeline_run_id}_step{position}"
    if len(step_id) <= 120:
        return step_id
    digest = hashlib.sha1(pipeline_run_id.encode()).hexdigest()[:10]
    return f"{pipeline_run_id[:90]}_{digest}_step{position}"


def pipeline_target(
    workspace: Workspace, resolved: ResolvedPipeline, target: str | None = None
) -> tuple[str, ResolvedPipeline]:
    """The one compute target all steps run on (a pipeline is one Slurm dependency graph), and the
    pipeline with each step's run as it runs there (see ``resolve_target``)."""
    targets: dict[str, list[str]] = {}
    steps = []
    for step in resolved.steps:
        name, run = resolve_target(workspace, step.run, target)
        sweep = step.sweep and replace(step.sweep, trial=resolve_target(workspace, step.sweep.trial, target)[1])
        steps.append(replace(step, run=run, sweep=sweep))
        targets.setdefault(name, []).append(step.name)
    if len(targets) > 1:
        listed = "; ".join(f"{t}: {', '.join(names)}" for t, names in sorted(targets.items()))
        raise UserErrorException(
            f"the pipeline's steps name different compute targets ({listed}); a pipeline runs as one dependency "
            f"graph on one cluster: give every step the same compute_target"
        )
    if not targets:
        raise UserErrorException("the pipeline has no steps")
    return next(iter(targets)), replace(resolved, steps=tuple(steps))


def plan_pipeline(
    workspace: Workspace,
    experiment: str,
    pipeline: Pipeline,
    placement: Placement,
    profile: ClusterProfile,
    target: str,
    *,
    resolved: ResolvedPipeline | None = None,
    pipeline_parameters: Mapping[str, Any] | None = None,
    regenerate_outputs: bool = False,
    continue_on_step_failure: bool = False,
    run_id: str | None = None,
) -> PipelinePlan:
    """Which steps run and which are reused, every step compiled and rendered as ``placement`` runs it."""
    resolved = resolved or pipeline._resolved_pipeline(pipeline_parameters)
    order = resolved.order()  # a cycle is refused here, before anything is recorded
    for step in resolved.steps:
        if not os.path.isdir(step.run.source_directory):
            raise UserErrorException(
                f"step {step.name!r}: source_directory {step.run.source_directory!r} does not exist; pass the folder "
                f"that holds its script"
            )
    sweeps = [s.name for s in resolved.steps if s.sweep is not None]
    if sweeps and target == LOCAL_TARGET:
        raise HyperDriveScenarioNotSupportedException(
            f"HyperDriveStep {', '.join(repr(n) for n in sweeps)}: Automated hyperparameter tuning is not supported "
            f"for types DatabricksCompute and local. hpcest keeps this refusal, so this pipeline cannot run on "
            f"compute_target='local'; run it on a cluster profile (see `hpcest cluster list`)"
        )
    profile = placement.resolved_profile(profile)
    # What `hpcest cluster check` learned: warnings for steps the cluster can never start, and the time
    # limits of a HyperDriveStep's own jobs fitted to the partition (as for a single run or sweep).
    facts = load_facts(workspace.history_dir, target) if target != LOCAL_TARGET else None
    run_id = run_id or new_run_id(experiment)
    pipeline_dir = placement.run_dir_for(run_id)
    fresh = output_directories(pipeline_dir, resolved.steps)
    store = workspace.run_store
    keys: dict[int, str] = {}
    planned: dict[int, PlannedStep] = {}
    directories: dict[tuple[int, str], str] = {}
    notes: list[str] = []
    # Each source directory is walked and hashed once per submission (steps usually share one), and
    # the very manifest a step's key comes from is the one staged for it.
    manifests: dict[str, Manifest] = {}
    completed: CompletedSteps | None = None  # the store's completed step runs, read once when first needed
    for index in order:
        step = resolved.steps[index]
        where = os.path.abspath(step.run.source_directory)
        manifest = manifests.get(where)
        if manifest is None:
            manifest = manifests[where] = build_manifest(step.run.source_directory)
        parts = content_parts(step, snapshot=manifest.digest, upstream_keys=keys, target=target)
        key = keys[index] = content_key(parts)
        step_id = step_run_id(run_id, len(planned))
        reused: RunRecord | None = None
        running_upstream = [resolved.steps[u].name for u in step.upstream if planned[u].reused is None]
        if not step.allow_reuse:
            reason = "allow_reuse=False"
        elif regenerate_outputs:
            reason = "regenerate_outputs=True"
        elif running_upstream:
            reason = f"upstream step {', '.join(running_upstream)} runs"
        else:
            completed = completed or CompletedSteps.load(store)
            reused = find_reusable(completed, key, target)
            reason = (
                f"same content as step run {reused.properties.get('reused_run_id') or reused.run_id}"
                if reused is not None
                else what_changed(completed, experiment, step.name, parts)
            )
        if reused is not None:
            outputs = {name: str(path) for name, path in reused.properties["outputs"].items()}
            lost = [o.name for o in step.outputs if o.name not in outputs]
            if lost:
                reason = f"the reusable run {reused.run_id} did not record outputs {lost}"
                reused = None
        if reused is None:
            outputs = {o.name: fresh[(index, o.name)] for o in step.outputs}
        for name, path in outputs.items():
            directories[(index, name)] = path
        planned[index] = PlannedStep(
            step=step, run_id=step_id, run_dir=step_run_dir(pipeline_dir, step_id) if reused is None else
            (reused.remote_dir or ""), key=key, parts=parts, reused=reused, reason=reason, outputs=outputs,
            manifest=manifest,
        )
    compiled_steps = []
    for index in order:
        item = planned[index]
        if item.reused is None:
            description = f"{item.step.step_type} {item.name!r} of pipeline run {run_id} ({experiment})"
            sweep: SweepStepPlan | None = None
            if item.step.sweep is not None:
                sweep = plan_sweep_step(
                    item.step, directories, profile=profile, step_id=item.run_id, sweep_dir=item.run_dir,
                    experiment=experiment, description=f"{description}: trials (job array)", facts=facts,
                )
                compiled, script = sweep.compiled, sweep.finish_script
                notes += list(item.step.sweep.notes)
            else:
                compiled = compile_step(
                    item.step, directories, profile=profile, run_id=item.run_id, run_dir=item.run_dir,
                    experiment=experiment,
                )
                script = render_sbatch(compiled.spec, description=description)
                compiled = replace(compiled, warnings=(*compiled.warnings, *fit_warnings(compiled.spec, facts)))
            extra = (placement.runtime_note,) if placement.runtime_note and item.step.run.use_docker else ()
            warned = tuple(f"step {item.name!r}: {w}" for w in (*compiled.warnings, *extra))
            notes += warned
            item = replace(item, compiled=compiled, script=script, sweep=sweep)
        compiled_steps.append(item)
    return PipelinePlan(
        run_id=run_id, pipeline_dir=pipeline_dir, target=target, experiment=experiment, resolved=resolved,
        steps=tuple(compiled_steps), continue_on_step_failure=continue_on_step_failure,
        regenerate_outputs=regenerate_outputs, warnings=tuple(dict.fromkeys(notes)),
    )


def dry_run_pipeline(
    workspace: Workspace,
    experiment: str,
    pipeline: Pipeline,
    *,
    pipeline_parameters: Mapping[str, Any] | None = None,
    regenerate_outputs: bool = False,
    target: str | None = None,
    run_id: str | None = None,
) -> PipelinePlan:
    """The plan a submission would follow (which steps run, which are reused and why, paths, scripts)."""
    resolved = pipeline._resolved_pipeline(pipeline_parameters)
    name, resolved = pipeline_target(workspace, resolved, target)
    profile = workspace.get_profile(name)
    local = name == LOCAL_TARGET
    placement = DryRunBackend(
        profile, runs_root=workspace.history_dir / "runs" if local else None,
        on_this_machine=local or profile.transport == "local",
    )
    return plan_pipeline(
        workspace, experiment, pipeline, placement, profile, name, resolved=resolved,
        regenerate_outputs=regenerate_outputs, run_id=run_id,
    )


def graph_submission(plan: PipelinePlan) -> GraphSubmission:
    """What the backend submits: the steps that run, each waiting for the running steps it depends on
    (a reused step is no dependency), and the reused outputs they read, which must still exist."""
    by_index = {s.step.index: s for s in plan.steps}
    steps = []
    for item in plan.to_run:
        assert item.compiled is not None  # plan_pipeline compiles every step that runs
        step = GraphStep(
            key=item.run_id, spec=item.compiled.spec, script=item.script or "", name=item.name,
            source_directory=item.step.run.source_directory, manifest=item.manifest,
            after=tuple(by_index[u].run_id for u in item.step.upstream if by_index[u].reused is None),
        )
        if item.sweep is not None:
            # The step's own job is the finish job; the array script and the sweep files come along.
            step = replace(step, side_jobs=item.sweep.side_jobs, script_name=FINISH_SCRIPT, files=item.sweep.files)
        steps.append(step)
    reused = (
        by_index[i.producer].outputs[i.output]
        for item in plan.to_run
        for i in item.step.inputs
        if by_index[i.producer].reused is not None
    )
    return GraphSubmission(plan.pipeline_dir, tuple(steps), require_dirs=tuple(dict.fromkeys(reused)))


def _pipeline_spec(plan: PipelinePlan) -> dict[str, Any]:
    return {
        "config": "Pipeline",
        "description": plan.resolved.description,
        "parameters": dict(plan.resolved.parameters),
        "continue_on_step_failure": plan.continue_on_step_failure,
        "regenerate_outputs": plan.regenerate_outputs,
        "steps": [
            {
                "index": s.step.index,
                "name": s.name,
                "run_id": s.run_id,
                "step_type": s.step.step_type,
                "upstream": list(s.step.upstream),
                "reused": s.origin,
                "reason": s.reason,
                "outputs": s.outputs,
                "pipeline_outputs": {o.pipeline_output_name: o.name for o in s.step.outputs if o.pipeline_output_name},
            }
            for s in plan.steps
        ],
    }


def _step_spec(item: PlannedStep) -> dict[str, Any]:
    spec: dict[str, Any] = {"config": item.step.step_type, "step": item.name, "reason": item.reason}
    if item.compiled is not None:
        job = item.compiled.spec
        spec.update(
            argv=list(job.argv), nodes=job.resources.nodes, tasks=job.resources.total_tasks,
            launch=job.launcher.kind, runtime=job.container.runtime,
            image=job.container.image_source or job.container.image, warnings=list(item.compiled.warnings),
        )
    return spec


def submit_pipeline(
    workspace: Workspace,
    experiment: str,
    pipeline: Pipeline,
    *,
    pipeline_parameters: Mapping[str, Any] | None = None,
    continue_on_step_failure: bool = False,
    regenerate_outputs: bool = False,
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    target: str | None = None,
    progress: Progress | None = None,
) -> RunRecord:
    """Submit ``pipeline``; returns the pipeline run's record (its steps are its children)."""
    if not isinstance(pipeline, Pipeline):
        raise UserErrorException(f"expected a Pipeline, got {type(pipeline).__name__}")
    resolved = pipeline._resolved_pipeline(pipeline_parameters)
    name, resolved = pipeline_target(workspace, resolved, target)
    backend = get_backend(workspace, name)
    sweeps = [s.name for s in resolved.steps if s.sweep is not None]
    if sweeps and name != LOCAL_TARGET and backend.name != "slurm":
        raise UserErrorException(
            f"target {name!r} is not a Slurm cluster; HyperDriveStep {', '.join(map(repr, sweeps))} runs as Slurm "
            f"job arrays"
        )
    plan = plan_pipeline(
        workspace, experiment, pipeline, backend, workspace.get_profile(name), name, resolved=resolved,
        regenerate_outputs=regenerate_outputs, continue_on_step_failure=continue_on_step_failure,
    )
    for message in plan.warnings:
        warnings.warn(message, HpcestWarning, stacklevel=3)
    # Every image the steps (and sweep trials) run is in the cache before the first sbatch.
    provide_images(backend, workspace.get_profile(name), _step_specs(plan), what="a pipeline", report=_to_stderr)
    store = workspace.run_store
    if parent_run_id is not None:
        store.get(parent_run_id)  # v1: the parent must exist (raises naming it)
    record = store.create_run(
        experiment, name, backend.name, run_id=plan.run_id, remote_dir=plan.pipeline_dir, status="Preparing",
        tags=tags, spec=_pipeline_spec(plan), kind="pipeline", name=plan.resolved.description or experiment,
        parent_id=parent_run_id,
        properties={
            "steps": len(plan.steps),
            "steps_reused": len(plan.steps) - len(plan.to_run),
            "continue_on_step_failure": continue_on_step_failure,
        },
    )
    for item in plan.steps:
        store.create_run(
            experiment, name, backend.name, run_id=item.run_id, remote_dir=item.run_dir, status="Preparing",
            spec=_step_spec(item), kind="step", name=item.name, parent_id=plan.run_id,
            properties={
                "content_key": item.key, "content_parts": item.parts, "outputs": item.outputs,
                "step_index": item.step.index, "StepType": item.step.step_type,
                **({"reused_run_id": item.origin} if item.reused else {}),
                **(item.sweep.properties() if item.sweep is not None else {}),
            },
        )
        if item.reused is not None:
            store.update_status(item.run_id, "Completed", detail=f"reused step run {item.origin}")
    submission = graph_submission(plan)
    try:
        submitted = graph_backend(backend).submit_graph(submission, progress=progress)
    except BaseException as exc:
        # A refusal says what was queued; a reply lost for good or an interrupt may have left the
        # submit script running on the login node: the job_id files it writes say what it queued.
        if isinstance(exc, GraphSubmitError):
            partial = exc.submitted
        else:
            partial = graph_backend(backend).recorded_job_ids(submission)
        _fail_submission(workspace, backend, plan, partial, exc)
        raise
    for item in plan.to_run:
        store.set_job_id(item.run_id, submitted.job_ids[item.run_id], remote_dir=item.run_dir)
        if item.sweep is not None:
            store.add_properties(item.run_id, submitted_properties(item.sweep, submitted.side_job_ids))
            record_submitted_trials(workspace, item.run_id, item.sweep, submitted.side_job_ids)
        store.update_status(item.run_id, "Queued")
    store.add_properties(record.run_id, {"files_sent": submitted.files_sent, "bytes_sent": submitted.bytes_sent})
    store.update_status(record.run_id, "Queued" if plan.to_run else "Completed",
                        detail=None if plan.to_run else "every step reused an earlier run")
    return store.get(record.run_id)


def _step_specs(plan: PipelinePlan) -> list[JobSpec]:
    """The JobSpec of every step that runs (for a HyperDriveStep, what each trial runs)."""
    specs = []
    for item in plan.to_run:
        if item.sweep is not None:
            specs.append(item.sweep.prepared.spec)
        elif item.compiled is not None:
            specs.append(item.compiled.spec)
    return specs


def _fail_submission(workspace: Workspace, backend: Any, plan: PipelinePlan, partial: dict[str, str],
                     exc: BaseException) -> None:
    """Record a failed submission; cancel the steps an interrupted graph submission had submitted."""
    from ..backends.base import JobRef

    store = workspace.run_store
    if partial:
        refs = [JobRef(key, job_id, step_run_dir(plan.pipeline_dir, key)) for key, job_id in partial.items()]
        try:
            graph_backend(backend).cancel_graph(refs)
        except Exception as cancel_error:  # the submission error is the one to report
            warnings.warn(f"could not cancel steps {sorted(partial)}: {cancel_error}", HpcestWarning, stacklevel=3)
    for item in plan.to_run:
        store.update_status(item.run_id, "Failed", detail=f"submission failed: {exc}")
    store.update_status(plan.run_id, "Failed", detail=f"submission failed: {exc}")
