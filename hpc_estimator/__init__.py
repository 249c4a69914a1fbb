"""hpcest: Azure ML SDK v1 estimators, compiled to Slurm batch scripts.

The public names mirror Azure ML SDK v1 so existing code only changes its imports. Importing
the package stays light (standard library only); heavier parts load when first used.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from .errors import (
    ActivityFailedException,
    AzureMLException,
    ComputeTargetException,
    HyperDriveConfigException,
    TrainingException,
    UserErrorException,
)
from .v1.compute import ComputeTarget
from .v1.data import DataPath, DataReference, Dataset, DatasetConsumptionConfig, Datastore, FileDataset
from .v1.distributed import Gloo, Mpi, Nccl, ParameterServer
from .v1.environment import CondaDependencies, ContainerRegistry, Environment
from .v1.estimator import Estimator
from .v1.frameworks import Chainer, PyTorch, SKLearn, TensorFlow
from .v1.runconfig import (
    DockerConfiguration,
    MpiConfiguration,
    PyTorchConfiguration,
    RunConfiguration,
    TensorflowConfiguration,
)
from .v1.script_run_config import ScriptRunConfig

__version__ = "0.1.0"

# Names whose modules are imported on first access: they may pull heavier dependencies, and
# some are provided by modules that are optional at this stage.
_LAZY = {
    "Experiment": "hpc_estimator.runs.experiment",
    "Run": "hpc_estimator.runs.run",
    "Workspace": "hpc_estimator.runs.workspace",
}

__all__ = [
    "ActivityFailedException",
    "AzureMLException",
    "Chainer",
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
    "FileDataset",
    "Gloo",
    "HyperDriveConfigException",
    "Mpi",
    "MpiConfiguration",
    "Nccl",
    "ParameterServer",
    "PyTorch",
    "PyTorchConfiguration",
    "RunConfiguration",
    "SKLearn",
    "ScriptRunConfig",
    "TensorFlow",
    "TensorflowConfiguration",
    "TrainingException",
    "UserErrorException",
    "__version__",
]
# Star-imports list lazy names only when their module exists, so ``import *`` never fails.
__all__ += [name for name, module in _LAZY.items() if importlib.util.find_spec(module) is not None]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'hpc_estimator' has no attribute {name!r}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise AttributeError(f"hpc_estimator.{name} is not available: module {module_name} is not installed.") from exc
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
