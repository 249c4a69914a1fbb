"""hpcest: Azure ML SDK v1 estimators, compiled to Slurm batch scripts.

The public names mirror Azure ML SDK v1 so existing code only changes its imports. Importing
the package stays light (standard library only); heavier parts load when first used.
"""

from __future__ import annotations

import importlib
from typing import Any

from .cluster.profile import ClusterProfile, VmSize
from .errors import (
    ActivityFailedException,
    AzureMLException,
    ComputeTargetException,
    ExperimentExecutionException,
    HyperDriveConfigException,
    RunConfigurationException,
    TrainingException,
    UserErrorException,
)
from .v1.compute import ComputeTarget
from .v1.data import DataPath, DataReference, Dataset, DatasetConsumptionConfig, Datastore, FileDataset
from .v1.distributed import Gloo, Mpi, Nccl, ParameterServer
from .v1.environment import CondaDependencies, ContainerRegistry, Environment
from .v1.estimator import Estimator
from .v1.frameworks import Chainer, PyTorch, SKLearn, TensorFlow
from .v1.hyperdrive import (
    BanditPolicy,
    BayesianParameterSampling,
    GridParameterSampling,
    HyperDriveConfig,
    HyperDriveRunConfig,
    MedianStoppingPolicy,
    NoTerminationPolicy,
    PrimaryMetricGoal,
    RandomParameterSampling,
    TruncationSelectionPolicy,
    choice,
    lognormal,
    loguniform,
    normal,
    qlognormal,
    qloguniform,
    qnormal,
    quniform,
    randint,
    uniform,
)
from .v1.pipeline import (
    CommandStep,
    EstimatorStep,
    HyperDriveStep,
    MpiStep,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PythonScriptStep,
    StepSequence,
    TrainingOutput,
)
from .v1.runconfig import (
    DockerConfiguration,
    MpiConfiguration,
    PyTorchConfiguration,
    RunConfiguration,
    TensorflowConfiguration,
)
from .v1.script_run_config import ScriptRunConfig
from .version import __version__

# Names whose modules are imported on first access: they pull heavier dependencies (the run
# store, jinja2 for rendering) that constructing a configuration never needs.
_LAZY = {
    "DryRun": "hpc_estimator.runs.submission",
    "Experiment": "hpc_estimator.runs.experiment",
    "PipelineRun": "hpc_estimator.runs.pipeline_run",
    "StepRun": "hpc_estimator.runs.pipeline_run",
    "HyperDriveRun": "hpc_estimator.runs.sweep_run",
    "HyperDriveStepRun": "hpc_estimator.runs.pipeline_sweep_run",
    "Run": "hpc_estimator.runs.run",
    "Workspace": "hpc_estimator.runs.workspace",
    "dry_run": "hpc_estimator.runs.submission",
}

__all__ = [
    "ActivityFailedException",
    "AzureMLException",
    "BanditPolicy",
    "BayesianParameterSampling",
    "Chainer",
    "ClusterProfile",
    "CommandStep",
    "ComputeTarget",
    "ComputeTargetException",
    "CondaDependencies",
    "ContainerRegistry",
    "DataPath",
    "DataReference",
    "Dataset",
    "DatasetConsumptionConfig",
    "Datastore",
    "DockerConfiguration",
    "Environment",
    "Estimator",
    "EstimatorStep",
    "ExperimentExecutionException",
    "FileDataset",
    "Gloo",
    "GridParameterSampling",
    "HyperDriveConfig",
    "HyperDriveConfigException",
    "HyperDriveRunConfig",
    "HyperDriveStep",
    "MedianStoppingPolicy",
    "Mpi",
    "MpiConfiguration",
    "MpiStep",
    "Nccl",
    "NoTerminationPolicy",
    "ParameterServer",
    "Pipeline",
    "PipelineData",
    "PipelineParameter",
    "PrimaryMetricGoal",
    "PyTorch",
    "PyTorchConfiguration",
    "PythonScriptStep",
    "RandomParameterSampling",
    "RunConfiguration",
    "RunConfigurationException",
    "SKLearn",
    "ScriptRunConfig",
    "StepSequence",
    "TensorFlow",
    "TensorflowConfiguration",
    "TrainingException",
    "TrainingOutput",
    "TruncationSelectionPolicy",
    "UserErrorException",
    "VmSize",
    "__version__",
    "choice",
    "lognormal",
    "loguniform",
    "normal",
    "qlognormal",
    "qloguniform",
    "qnormal",
    "quniform",
    "randint",
    "uniform",
]
# hpcest's own names (not part of the v1 surface, so nothing to switch imports to).
_OWN_NAMES = frozenset({"ClusterProfile", "VmSize", "DryRun", "dry_run", "__version__"})

# A star-import stays light: the dry run (which renders with jinja2) is imported by name only.
__all__ += [name for name in _LAZY if name not in ("DryRun", "dry_run")]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'hpc_estimator' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
