"""Submitting a configuration: resolve, compile, render, record, stage and hand to a backend.

Everything that can fail because of the user's configuration (resolve, compile, render) happens
before anything is recorded or sent, so a bad estimator leaves no trace and no half-submitted
job. A dry run is the same preparation with a backend that contacts nothing. A submit command
whose reply is lost is asked again for SUBMIT_PATIENCE_S; a job that may be queued is then recorded
in doubt, never Failed (``submission_doubt`` settles it at a later status poll).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..backends import get_backend
from ..backends.base import SubmissionInDoubt, SubmissionInterrupted, Submitted
from ..backends.dry_run import DryRunBackend
from ..cluster.profile import ClusterProfile
from ..compile import CompiledJob, compile_run, resolve
from ..errors import WaitTimeoutError
from ..job.render import render_sbatch
from ..job.spec import JobSpec
from ..transport.base import Progress
from ..v1.compute import LOCAL_TARGET, target_override
from ..v1.resolve import retarget
from ..v1.resolved import ResolvedRun, Submittable
from .cluster_facts import ClusterFacts, fit_warnings, load_facts
from .source_check import check_source
from .store import RunRecord, new_run_id
from .submission_doubt import IN_DOUBT_STATUS
from .waiting import ContactReport, PollResult, wait_until_terminal

if TYPE_CHECKING:
    from ..backends.base import Placement
    from .workspace import Workspace

# v1's target for run-based compute (vm_size without compute_target).
AMLCOMPUTE_TARGET = "amlcompute"

# How long a submission keeps asking about a submit command whose reply was lost before it returns
# the run as in doubt (a dropped SSH connection usually comes back within seconds); what happens
# next is in ``submission_doubt``.
SUBMIT_PATIENCE_S = 60.0


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class HpcestWarning(UserWarning):
    """Something in the configuration cannot be honoured exactly on this cluster."""


@dataclass(frozen=True)
class Prepared:
    run_id: str
    run: ResolvedRun
    compiled: CompiledJob
    script: str
    run_dir: str

    @property
    def spec(self) -> JobSpec:
        return self.compiled.spec

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.compiled.warnings


def resolve_target(
    workspace: Workspace, run: ResolvedRun, target: str | None = None
) -> tuple[str, ResolvedRun]:
    """The profile ``run`` goes to, and ``run`` as it runs there.

    One precedence: ``target`` (``hpcest submit --target``), then ``$HPCEST_TARGET`` (``hpcest run
    --target``), then the target the code names, then the workspace's default. A run sent elsewhere
    than its code says gets v1's target-dependent defaults for where it goes (``retarget``).
    """
    override = target or target_override()
    if override:
        run = retarget(run, override)
    name = run.target or workspace.default_target
    if name == AMLCOMPUTE_TARGET:
        # v1's run-based compute (vm_size without compute_target): the workspace's default cluster,
        # where vm_size selects partition and GPUs through the profile's vm_sizes table.
        name = workspace.default_target
    workspace.get_profile(name)  # raises with the known names if missing
    return name, run


def prepare(
    placement: Placement,
    profile: ClusterProfile,
    run: ResolvedRun,
    *,
    experiment: str,
    run_id: str | None = None,
    facts: ClusterFacts | None = None,
) -> Prepared:
    """Compile and render ``run`` for ``profile`` as ``placement`` would run it.

    ``facts`` (what ``hpcest cluster check`` learned about the cluster) add warnings for a job the
    cluster can never start.
    """
    profile = placement.resolved_profile(profile)
    run_id = run_id or new_run_id(experiment)
    run_dir = placement.run_dir_for(run_id)
    compiled = compile_run(run, profile=profile, run_id=run_id, run_dir=run_dir, experiment=experiment)
    if placement.runtime_note and run.use_docker:
        # container_runtime = "auto": say what it decided rather than run bare silently.
        compiled = replace(compiled, warnings=(*compiled.warnings, placement.runtime_note))
    fit = fit_warnings(compiled.spec, facts)
    if fit:
        compiled = replace(compiled, warnings=(*compiled.warnings, *fit))
    script = render_sbatch(compiled.spec, description=f"{run.config_kind} run {run_id} of {experiment}")
    return Prepared(run_id=run_id, run=run, compiled=compiled, script=script, run_dir=run_dir)


@dataclass(frozen=True)
class DryRun:
    """What a submission would send: the JobSpec, the sbatch script and the warnings."""

    run_id: str
    run_dir: str
    spec: JobSpec
    script: str
    warnings: tuple[str, ...]


def dry_run(
    config: Submittable,
    *,
    profile: ClusterProfile | None = None,
    run_id: str | None = None,
    experiment: str = "dry_run",
    workspace: Workspace | None = None,
    target: str | None = None,
) -> DryRun:
    """Prepare ``config`` exactly as a submission would, contacting nothing and submitting nothing.

    ``profile`` is the cluster to compile for, as if the run were sent there (``--target``); without
    it, the workspace's profile of ``target``, else of the config's target as submission chooses it.
    ``workspace`` places "local" runs in its history directory, as submission does.
    ``hpcest submit FILE.py:NAME --dry-run`` prints the same script for the same run id.
    """
    run = check_source(resolve(config))
    if profile is None:
        if workspace is None:
            from .workspace import Workspace

            workspace = Workspace.from_config()
        name, run = resolve_target(workspace, run, target)
        profile = workspace.get_profile(name)
    else:
        run = retarget(run, profile.name)
    local = profile.name == LOCAL_TARGET
    placement = DryRunBackend(
        profile,
        runs_root=workspace.history_dir / "runs" if local and workspace is not None else None,
        on_this_machine=local or profile.transport == "local",
    )
    facts = load_facts(workspace.history_dir, profile.name) if workspace is not None and not local else None
    prepared = prepare(placement, profile, run, experiment=experiment, run_id=run_id, facts=facts)
    return DryRun(prepared.run_id, prepared.run_dir, prepared.spec, prepared.script, prepared.warnings)


def spec_summary(prepared: Prepared) -> dict[str, Any]:
    spec = prepared.spec
    return {
        "config": prepared.run.config_kind,
        # v1's runDefinition keys: notebooks read get_details()["runDefinition"]["arguments"].
        "script": prepared.run.script,
        "arguments": list(prepared.run.arguments),
        "argv": list(spec.argv),
        "nodes": spec.resources.nodes,
        "tasks": spec.resources.total_tasks,
        "gpus_per_node": spec.resources.gpus_per_node,
        "launch": spec.launcher.kind,
        "runtime": spec.container.runtime,
        "image": spec.container.image_source or spec.container.image,
        "framework": prepared.compiled.framework,
        "warnings": list(prepared.warnings),
    }


def submit(
    workspace: Workspace,
    experiment: str,
    config: Submittable,
    *,
    tags: dict[str, Any] | None = None,
    target: str | None = None,
    progress: Progress | None = None,
    report: Callable[[str], None] | None = None,
) -> RunRecord:
    """Submit ``config``; ``progress`` follows the snapshot upload, ``report`` gets news lines
    (image fetches); without it they go to stderr."""
    run = check_source(resolve(config))
    report = report or _to_stderr
    source_directory = run.source_directory
    target, run = resolve_target(workspace, run, target)
    backend = get_backend(workspace, target)
    facts = load_facts(workspace.history_dir, target) if target != LOCAL_TARGET else None
    prepared = prepare(backend, workspace.get_profile(target), run, experiment=experiment, facts=facts)
    for message in prepared.warnings:
        warnings.warn(message, HpcestWarning, stacklevel=3)
    # The image is fetched (or its build queued) before anything is recorded: a registry or build
    # failure is an error now, not after the queue wait.
    image_job = backend.provide_image(prepared.spec, report=report)
    store = workspace.run_store
    record = store.create_run(
        experiment,
        target,
        backend.name,
        run_id=prepared.run_id,
        remote_dir=prepared.run_dir,
        status="Preparing",
        tags=tags,
        spec=spec_summary(prepared),
    )
    try:
        submitted = backend.submit(
            prepared.run_id,
            prepared.spec,
            prepared.script,
            str(Path(source_directory)),
            progress=progress,
            after=[image_job] if image_job else [],
        )
    except SubmissionInDoubt as doubt:
        return _settle_now(workspace, record, doubt, report)
    except SubmissionInterrupted:
        _record_interrupted(workspace, record, report)
        raise
    except BaseException as exc:
        store.update_status(record.run_id, "Failed", detail=f"submission failed: {exc}")
        raise
    return _record_queued(workspace, record, submitted)


def _record_queued(workspace: Workspace, record: RunRecord, submitted: Submitted) -> RunRecord:
    store = workspace.run_store
    store.set_job_id(record.run_id, submitted.job_id, remote_dir=submitted.run_dir)
    store.add_properties(record.run_id, {"files_sent": submitted.files_sent, "bytes_sent": submitted.bytes_sent})
    store.update_status(record.run_id, "Queued")
    return store.get(record.run_id)


def _settle_now(
    workspace: Workspace, record: RunRecord, doubt: SubmissionInDoubt, report: Callable[[str], None]
) -> RunRecord:
    """Ask again for a while; then the run is queued, failed (sbatch refused it) or recorded in doubt."""
    store = workspace.run_store
    try:
        submitted, why = _ask_again(record, doubt, report)
    except KeyboardInterrupt:
        _record_interrupted(workspace, record, report)
        raise
    except BaseException as exc:
        store.update_status(record.run_id, "Failed", detail=f"submission failed: {exc}")
        raise
    if submitted is not None:
        return _record_queued(workspace, record, submitted)
    store.add_properties(record.run_id, {"files_sent": doubt.files_sent, "bytes_sent": doubt.bytes_sent})
    store.update_status(record.run_id, IN_DOUBT_STATUS, detail=_in_doubt_detail(record, why))
    report(_in_doubt_message(record, doubt.run_dir, why))
    return store.get(record.run_id)


def _record_interrupted(workspace: Workspace, record: RunRecord, report: Callable[[str], None]) -> None:
    workspace.run_store.update_status(
        record.run_id, IN_DOUBT_STATUS, detail=_in_doubt_detail(record, "interrupted while the submit command ran")
    )
    report(
        f"hpcest: interrupted while run {record.run_id}'s submit command ran: its job may be queued. The run is "
        f"recorded {IN_DOUBT_STATUS}, not Failed; the next status poll settles it (`hpcest status {record.run_id}`), "
        f"`hpcest cancel {record.run_id}` cancels it by name."
    )


def _ask_again(
    record: RunRecord, doubt: SubmissionInDoubt, report: Callable[[str], None]
) -> tuple[Submitted | None, str]:
    """Repeat the submit command until it answers or SUBMIT_PATIENCE_S have passed (None, and why the
    outcome is still not known)."""
    report(
        f"hpcest: {doubt}; run {record.run_id}'s job may or may not be queued. Asking the cluster again for "
        f"up to {SUBMIT_PATIENCE_S:.0f} s (the submit command never submits twice)"
    )
    job_ids: list[str] = []
    last = [str(doubt)]

    def ask() -> PollResult:
        try:
            job_ids.append(doubt.retry())
        except SubmissionInDoubt as still:
            last.append(str(still))
            return PollResult(IN_DOUBT_STATUS, False, lost=str(still))
        return PollResult("Queued", True)

    try:
        wait_until_terminal(record.run_id, ask, timeout_s=SUBMIT_PATIENCE_S, report=ContactReport(write=lambda _: None))
    except WaitTimeoutError:
        return None, last[-1]
    report(f"hpcest: the cluster answered: run {record.run_id} is job {job_ids[-1]}, queued once")
    return Submitted(job_ids[-1], doubt.run_dir, files_sent=doubt.files_sent, bytes_sent=doubt.bytes_sent), ""


def _in_doubt_detail(record: RunRecord, why: str) -> str:
    return (
        f"submission unknown: {why}. The job may be queued; the next status poll finds it (the id the submit "
        f"command records in the run directory, else squeue --name) once the cluster answers. Check with "
        f"`squeue --name={record.run_id}`"
    )


def _in_doubt_message(record: RunRecord, run_dir: str, why: str) -> str:
    return (
        f"hpcest: run {record.run_id}: submission unknown after {SUBMIT_PATIENCE_S:.0f} s ({why}). Its job may "
        f"be queued, so the run is recorded {IN_DOUBT_STATUS}, not Failed. Once {record.target!r} answers, the "
        f"next status poll (run.get_status(), run.wait_for_completion(), `hpcest status {record.run_id}`) finds "
        f"the job by the id the submit command recorded in {run_dir}/job_id or by its name, and records the "
        f"run Failed only if the command never reached sbatch or sbatch refused it. Check now with "
        f"`squeue --name={record.run_id}`; `hpcest cancel {record.run_id}` cancels it by name."
    )
