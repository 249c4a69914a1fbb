"""The v1 names the codemod recognises and the names it emits, per target.

Names are matched by their fully qualified import path (after alias resolution), never by the bare
identifier: SageMaker's ``Estimator`` and scikit-learn classes share names with v1 classes and must
stay untouched.
"""

from __future__ import annotations

# Public modules that export each v1 class. Private module paths (``azureml.train.estimator._estimator``)
# are accepted by matching the ``azureml.train`` / ``azureml.pipeline`` prefix plus the class name.
ESTIMATOR_CLASSES = {"Estimator", "PyTorch", "TensorFlow", "Chainer", "SKLearn"}
DISTRIBUTION_CLASSES = {"Mpi", "Gloo", "Nccl", "ParameterServer"}
STEP_CLASSES = {"EstimatorStep", "HyperDriveStep"}
HYPERDRIVE_CLASSES = {"HyperDriveConfig", "HyperDriveRunConfig"}
WORKSPACE_CLASS = "Workspace"

V1_MODULES: dict[str, set[str]] = {
    "azureml.train.estimator": {"Estimator", "MMLBaseEstimator", "Mpi", "Gloo", "Nccl", "ParameterServer"},
    "azureml.train.dnn": {"PyTorch", "TensorFlow", "Chainer", "Mpi", "Gloo", "Nccl", "ParameterServer"},
    "azureml.train.sklearn": {"SKLearn"},
    "azureml.pipeline.steps": {"EstimatorStep", "HyperDriveStep", "CommandStep", "PythonScriptStep"},
    "azureml.train.hyperdrive": {
        "HyperDriveConfig",
        "HyperDriveRunConfig",
        "RandomParameterSampling",
        "GridParameterSampling",
        "BayesianParameterSampling",
    },
    "azureml.core": {"Workspace", "ScriptRunConfig", "Environment", "Experiment"},
}

# Classes that live under the azureml.train prefix but are not estimators we migrate.
_PREFIXES = ("azureml.train", "azureml.pipeline", "azureml.core")


def v1_class_of(qualified_name: str) -> str | None:
    """Map a qualified name such as ``azureml.train.dnn.PyTorch`` to ``PyTorch`` (or None)."""
    if not qualified_name.startswith(_PREFIXES):
        return None
    module, _, cls = qualified_name.rpartition(".")
    known = ESTIMATOR_CLASSES | DISTRIBUTION_CLASSES | STEP_CLASSES | HYPERDRIVE_CLASSES | {WORKSPACE_CLASS}
    if cls not in known:
        return None
    if cls == WORKSPACE_CLASS:
        return cls if module.startswith("azureml.core") else None
    if cls in STEP_CLASSES:
        return cls if module.startswith("azureml.pipeline") else None
    return cls if module.startswith("azureml.train") else None


# What each emitted name is imported from, per --target.
EMITTED_NAMES = (
    "ScriptRunConfig",
    "Environment",
    "CondaDependencies",
    "MpiConfiguration",
    "PyTorchConfiguration",
    "TensorflowConfiguration",
    "DockerConfiguration",
    "CommandStep",
    "HyperDriveConfig",
)

_AZUREML_IMPORTS = {
    "ScriptRunConfig": "azureml.core",
    "Environment": "azureml.core",
    "CondaDependencies": "azureml.core.conda_dependencies",
    "MpiConfiguration": "azureml.core.runconfig",
    "PyTorchConfiguration": "azureml.core.runconfig",
    "TensorflowConfiguration": "azureml.core.runconfig",
    "DockerConfiguration": "azureml.core.runconfig",
    "CommandStep": "azureml.pipeline.steps",
    "HyperDriveConfig": "azureml.train.hyperdrive",
}

TARGETS = ("azureml", "hpcest")


def import_module_for(name: str, target: str) -> str:
    """The module an emitted name is imported from under ``target``."""
    if target == "hpcest":
        # hpc_estimator re-exports every Azure-compatible name at its top level so that migrated code
        # runs on Slurm by changing imports only.
        return "hpc_estimator"
    if target != "azureml":
        raise ValueError(f"unknown target {target!r}; use one of {', '.join(TARGETS)}")
    return _AZUREML_IMPORTS[name]


# Byte patterns that a file must contain to be parsed at all (cheap pre-filter).
CANDIDATE_MARKERS = (b"azureml",)
CANDIDATE_WORDS = tuple(sorted(ESTIMATOR_CLASSES | STEP_CLASSES | HYPERDRIVE_CLASSES | {"estimator"}))


# --target hpcest: the package that re-implements v1 and the v1 names it provides (or will provide:
# the HyperDrive and pipeline names are part of its plan). Imports of these from azureml.* are switched.
HPCEST_MODULE = "hpc_estimator"
HPCEST_PROVIDED = frozenset(
    {
        # azureml.core and friends
        "Workspace",
        "Experiment",
        "Run",
        "ScriptRunConfig",
        "Environment",
        "CondaDependencies",
        "ContainerRegistry",
        "RunConfiguration",
        "MpiConfiguration",
        "PyTorchConfiguration",
        "TensorflowConfiguration",
        "DockerConfiguration",
        "ComputeTarget",
        "Dataset",
        "Datastore",
        "DataReference",
        "DataPath",
        "DatasetConsumptionConfig",
        "FileDataset",
        # errors
        "ActivityFailedException",
        "AzureMLException",
        "ComputeTargetException",
        "ExperimentExecutionException",
        "HyperDriveConfigException",
        "RunConfigurationException",
        "TrainingException",
        "UserErrorException",
        # estimators and distribution objects (what stays an estimator runs on hpc_estimator's)
        "Estimator",
        "PyTorch",
        "TensorFlow",
        "Chainer",
        "SKLearn",
        "Mpi",
        "Gloo",
        "Nccl",
        "ParameterServer",
        # HyperDrive
        "HyperDriveConfig",
        "HyperDriveRunConfig",
        "HyperDriveRun",
        "PrimaryMetricGoal",
        "RandomParameterSampling",
        "GridParameterSampling",
        "BayesianParameterSampling",
        "BanditPolicy",
        "MedianStoppingPolicy",
        "TruncationSelectionPolicy",
        "NoTerminationPolicy",
        "choice",
        "randint",
        "uniform",
        "quniform",
        "loguniform",
        "qloguniform",
        "normal",
        "qnormal",
        "lognormal",
        "qlognormal",
        # pipelines
        "Pipeline",
        "PipelineData",
        "PipelineParameter",
        "PipelineRun",
        "StepRun",
        "StepSequence",
        "CommandStep",
        "PythonScriptStep",
        "MpiStep",
        "HyperDriveStep",
        "HyperDriveStepRun",
        "TrainingOutput",
        "EstimatorStep",
    }
)
