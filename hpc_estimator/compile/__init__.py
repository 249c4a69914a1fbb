"""Compile: a v1 configuration's resolved description -> a neutral ``JobSpec`` for one cluster.

The v1 classes decide what v1 would run (``ResolvedRun``, see ``hpc_estimator.v1.resolved``);
this package only lowers that description onto a cluster profile, one concern per module:
resources (nodes, tasks, GPUs), scheduler (partition, QOS, requeue, time), container (runtime,
image, packages), inputs (bound or copied data), command (argv) and environment (exported and
forwarded variables). What comes out knows nothing of Azure.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from ..cluster.profile import ClusterProfile
from ..errors import ConfigError
from ..job.spec import JobSpec, OutputSpec, StagedFile
from ..runtime import jobshim
from ..v1.resolved import ResolvedRun, Submittable
from .checks import script_check_warnings
from .command import lower_command
from .container import choose_runtime, image_label, lower_container
from .environment import PATH_PREPEND, lower_environment
from .inputs import lower_inputs
from .resources import lower_resources
from .scheduler import lower_scheduler


@dataclass(frozen=True)
class CompiledJob:
    spec: JobSpec
    warnings: tuple[str, ...] = ()
    # 'PyTorch 1.6' when the image came from hpcest's framework table.
    framework: str | None = None


def resolve(config: Submittable) -> ResolvedRun:
    """What v1 would run for ``config`` (anything ``Experiment.submit`` accepts)."""
    if not isinstance(config, Submittable):
        raise ConfigError(
            f"{type(config).__name__} cannot be submitted; pass an Estimator (or PyTorch, TensorFlow, Chainer, "
            f"SKLearn) or a ScriptRunConfig"
        )
    return config._resolved_run()


def compile_run(
    run: ResolvedRun, *, profile: ClusterProfile, run_id: str, run_dir: str, experiment: str = ""
) -> CompiledJob:
    """Lower ``run`` for ``profile``; ``run_dir`` is the run's directory on the cluster."""
    if not posixpath.isabs(run_dir):
        raise ConfigError(f"run directory {run_dir!r} must be absolute")
    warnings: list[str] = list(run.notes)
    runtime = choose_runtime(run, profile)
    resources, launch = lower_resources(run, profile)
    scheduler, more = lower_scheduler(run, profile)
    warnings += more
    inputs, by_token, by_name, input_binds, more = lower_inputs(run, runtime, run_dir)
    warnings += more
    env, forward, more = lower_environment(
        run, profile, runtime, run_id=run_id, run_dir=run_dir, experiment=experiment, input_paths=by_name
    )
    warnings += more
    container, more = lower_container(
        run, runtime, profile, run_dir, gpus=resources.gpus_per_node, input_binds=input_binds, forward_env=forward
    )
    warnings += more
    # Inside a container the image's python runs the script; bare, the cluster's (the profile's).
    python: str | None = run.interpreter
    if run.interpreter == "python":
        python = profile.python if runtime == "none" else None
    staged = tuple(
        StagedFile(posixpath.join(jobshim.PYLIB, relpath), text)
        for relpath, text in jobshim.files(container=runtime != "none").items()
    )
    spec = JobSpec(
        name=run_id,
        argv=lower_command(run, python, by_token),
        run_dir=run_dir,
        resources=resources,
        launcher=launch,
        container=container,
        scheduler=scheduler,
        env=env,
        inputs=inputs,
        outputs=tuple(OutputSpec(name=o.name, path=o.path) for o in run.outputs),
        prologue=profile.prologue,
        staged_files=staged,
        path_prepend=PATH_PREPEND,
        umask=profile.umask,
    )
    warnings += script_check_warnings(run)
    return CompiledJob(spec=spec, warnings=tuple(warnings), framework=image_label(run))


def compile_job(
    config: Submittable, *, profile: ClusterProfile, run_id: str, run_dir: str, experiment: str = ""
) -> CompiledJob:
    """Resolve ``config`` and lower it for ``profile``."""
    return compile_run(resolve(config), profile=profile, run_id=run_id, run_dir=run_dir, experiment=experiment)
