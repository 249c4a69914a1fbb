"""Lowering a pipeline step: its ResolvedRun with the pipeline's data bound to cluster paths.

A step's PipelineData inputs become ordinary data inputs (mounted read-only or copied, as any
input) of the directory the producing step wrote; its outputs become directories it writes
(created by the job, bound writable); the v1 tokens ``$AZUREML_DATAREFERENCE_<name>`` in its
arguments resolve to those paths as inputs do today, and ``$AML_PARAMETER_<name>`` to the
submission's parameter values (also set as environment variables, as v1 did). Then the step
compiles through :func:`~hpc_estimator.compile.compile_run` like any single run, into its own
JobSpec. Which directory a step's outputs live in (this pipeline run's, or a reused step's from
an earlier run) is the caller's decision.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import replace

from ..cluster.profile import ClusterProfile
from ..errors import ConfigError
from ..v1.pipeline.data import PARAMETER_ENV_PREFIX
from ..v1.pipeline.resolved import ResolvedStep
from ..v1.resolved import DataInput, DataOutput, ResolvedRun
from . import CompiledJob, compile_run
from .command import substitute

_PARAMETER_TOKEN_PREFIX = f"${PARAMETER_ENV_PREFIX}"

DATA_DIR = "data"


def output_directories(pipeline_dir: str, steps: tuple[ResolvedStep, ...]) -> dict[tuple[int, str], str]:
    """(step index, output name) -> ``<pipeline run dir>/data/<output name>``.

    v1 lets two steps each produce an output of the same name; those get the step's index
    appended (``model-3``) so no two steps write into one directory.
    """
    counts: dict[str, int] = {}
    for step in steps:
        for output in step.outputs:
            counts[output.name] = counts.get(output.name, 0) + 1
    paths = {}
    for step in steps:
        for output in step.outputs:
            leaf = output.name if counts[output.name] == 1 else f"{output.name}-{step.index}"
            paths[(step.index, output.name)] = posixpath.join(pipeline_dir, DATA_DIR, leaf)
    return paths


def bound_run(step: ResolvedStep, directories: Mapping[tuple[int, str], str]) -> ResolvedRun:
    """The step's ResolvedRun with its pipeline data at ``directories`` and its parameter values set."""
    run = step.run
    inputs = list(run.inputs)
    for item in step.inputs:
        source = directories.get((item.producer, item.output))
        if source is None:
            raise ConfigError(f"step {step.name!r}: no directory for input {item.name!r} (output {item.output!r})")
        inputs.append(DataInput(item.name, source, item.mode, item.token, item.path_on_compute))
    outputs = tuple(DataOutput(o.name, directories[(step.index, o.name)], o.token) for o in step.outputs)
    tokens = {f"${name}": value for name, value in step.parameters}  # each name is AML_PARAMETER_<name>
    return replace(
        run,
        arguments=tuple(substitute(a, tokens, prefix=_PARAMETER_TOKEN_PREFIX) for a in run.arguments),
        inputs=tuple(inputs),
        outputs=outputs,
        environment_variables=(*run.environment_variables, *step.parameters),
    )


def compile_step(
    step: ResolvedStep,
    directories: Mapping[tuple[int, str], str],
    *,
    profile: ClusterProfile,
    run_id: str,
    run_dir: str,
    experiment: str = "",
) -> CompiledJob:
    """One step's JobSpec, compiled exactly as a single run of its ResolvedRun would be."""
    return compile_run(bound_run(step, directories), profile=profile, run_id=run_id, run_dir=run_dir,
                       experiment=experiment)
