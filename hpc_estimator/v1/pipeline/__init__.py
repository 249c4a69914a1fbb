"""Azure ML v1 pipelines (``azureml.pipeline.core`` / ``azureml.pipeline.steps``): v1 meaning only.

Steps, data passed between them and parameters, built into a graph with v1's rules. Nothing here
does I/O beyond v1's own existence checks or knows Slurm: ``Pipeline._resolved_pipeline`` gives
the :class:`~.resolved.ResolvedPipeline` the compile stage lowers, one JobSpec per step.
"""

from __future__ import annotations

from .data import InputPortBinding, PipelineData, PipelineParameter, TrainingOutput
from .hyperdrive_step import HyperDriveStep
from .pipeline import Pipeline, StepSequence
from .resolved import ResolvedPipeline, ResolvedStep, StepInput, StepOutput
from .step import PipelineStep
from .steps import CommandStep, EstimatorStep, MpiStep, PythonScriptStep

__all__ = [
    "CommandStep",
    "EstimatorStep",
    "HyperDriveStep",
    "InputPortBinding",
    "MpiStep",
    "Pipeline",
    "PipelineData",
    "PipelineParameter",
    "PipelineStep",
    "PythonScriptStep",
    "ResolvedPipeline",
    "ResolvedStep",
    "StepInput",
    "StepOutput",
    "StepSequence",
    "TrainingOutput",
]
