"""Submitting a configuration: compile, render, record, stage and hand to a backend.

Everything that can fail because of the user's configuration (compile, render) happens before
anything is recorded or sent, so a bad estimator leaves no trace and no half-submitted job.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..backends import get_backend
from ..compile import CompiledJob, compile_job, target_of
from ..errors import UserErrorException
from ..job.render import render_sbatch
from ..transport.base import Progress
from .store import RunRecord, new_run_id

if TYPE_CHECKING:
    from ..backends.base import Backend
    from .workspace import Workspace


class HpcestWarning(UserWarning):
    """Something in the configuration cannot be honoured exactly on this cluster."""


@dataclass(frozen=True)
class Prepared:
    run_id: str
    target: str
    compiled: CompiledJob
    script: str
    run_dir: str


def resolve_target(workspace: Workspace, config: object, target: str | None = None) -> str:
    name = target or target_of(config) or workspace.default_target
    if name == "amlcompute":
        # v1's run-based compute (vm_size without compute_target): the workspace's default cluster,
        # where vm_size selects partition and GPUs through the profile's vm_sizes table.
        name = workspace.default_target
    workspace.get_profile(name)  # raises with the known names if missing
    return name


def prepare(
    workspace: Workspace, backend: Backend, experiment: str, config: object, target: str, run_id: str | None = None
) -> Prepared:
    profile = backend.resolved_profile(workspace.get_profile(target))
    run_id = run_id or new_run_id(experiment)
    run_dir = backend.run_dir_for(run_id)
    compiled = compile_job(config, profile=profile, run_id=run_id, run_dir=run_dir, experiment=experiment)
    asked_for_container = getattr(getattr(config, "run_config", None), "docker", None)
    if backend.runtime_note and compiled.spec.container.runtime == "none" and asked_for_container.use_docker:
        # container_runtime = "auto" found nothing on the machine: say so rather than run bare silently.
        compiled = replace(compiled, warnings=(*compiled.warnings, backend.runtime_note))
    script = render_sbatch(compiled.spec, description=f"{type(config).__name__} run {run_id} of {experiment}")
    return Prepared(run_id=run_id, target=target, compiled=compiled, script=script, run_dir=run_dir)


def spec_summary(prepared: Prepared, config: object) -> dict[str, Any]:
    spec = prepared.compiled.spec
    return {
        "config": type(config).__name__,
        "argv": list(spec.argv),
        "nodes": spec.resources.nodes,
        "tasks": spec.resources.total_tasks,
        "gpus_per_node": spec.resources.gpus_per_node,
        "launch": spec.launcher.kind,
        "runtime": spec.container.runtime,
        "image": spec.container.image_source or spec.container.image,
        "framework": prepared.compiled.framework,
        "warnings": list(prepared.compiled.warnings),
    }


def submit(
    workspace: Workspace,
    experiment: str,
    config: object,
    *,
    tags: dict[str, Any] | None = None,
    target: str | None = None,
    progress: Progress | None = None,
) -> RunRecord:
    source_directory = getattr(config, "source_directory", None)
    if not source_directory or not os.path.isdir(source_directory):
        raise UserErrorException(
            f"source_directory {source_directory!r} does not exist; pass the folder that holds the training script"
        )
    target = resolve_target(workspace, config, target)
    backend = get_backend(workspace, target)
    prepared = prepare(workspace, backend, experiment, config, target)
    for message in prepared.compiled.warnings:
        warnings.warn(message, HpcestWarning, stacklevel=3)
    store = workspace.run_store
    record = store.create_run(
        experiment,
        target,
        backend.name,
        run_id=prepared.run_id,
        remote_dir=prepared.run_dir,
        status="Preparing",
        tags=tags,
        spec=spec_summary(prepared, config),
    )
    try:
        submitted = backend.submit(
            prepared.run_id, prepared.compiled.spec, prepared.script, source_directory, progress=progress
        )
    except BaseException as exc:
        store.update_status(record.run_id, "Failed", detail=f"submission failed: {exc}")
        raise
    store.set_job_id(record.run_id, submitted.job_id, remote_dir=submitted.run_dir)
    store.add_properties(record.run_id, {"files_sent": submitted.files_sent, "bytes_sent": submitted.bytes_sent})
    store.update_status(record.run_id, "Queued")
    return store.get(record.run_id)
