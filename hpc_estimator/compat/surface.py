"""What ``hpcest run`` serves under each ``azureml.*`` module name: v1 name -> where it lives here.

A value is ``"module:attribute"`` (imported when the name is first used, so ``import azureml.core``
stays light), or ``AZURE_ONLY`` for a v1 name whose meaning was an Azure service (a stand-in that
refuses when used, ``refusals.py``). Every name here exists in the real v1 module (a test checks
against the recorded surface, ``tests/data/azureml_v1_run_surface.json``); v1 names left out are
v1 internals no notebook uses, and asking for one names the module and what is served.
"""

from __future__ import annotations

AZURE_ONLY = "<azure-only>"

_ERR = "hpc_estimator.errors"
_V1X = "hpc_estimator.v1.exceptions"
_ENV = "hpc_estimator.v1.environment"
_RC = "hpc_estimator.v1.runconfig"
_DATA = "hpc_estimator.v1.data"
_DIST = "hpc_estimator.v1.distributed"
_FW = "hpc_estimator.v1.frameworks"
_PIPE = "hpc_estimator.v1.pipeline"
_PRUN = "hpc_estimator.runs.pipeline_run"
_AML = "hpc_estimator.v1.amlcompute"
_AUTH = "hpc_estimator.compat.auth"
_HD = "hpc_estimator.v1.hyperdrive"
_EXPRESSIONS = ("choice", "lognormal", "loguniform", "normal", "qlognormal", "qloguniform", "qnormal", "quniform",
                "randint", "uniform")
_SAMPLINGS = ("BayesianParameterSampling", "GridParameterSampling", "HyperParameterSampling",
              "RandomParameterSampling")
_POLICIES = ("BanditPolicy", "EarlyTerminationPolicy", "MedianStoppingPolicy", "NoTerminationPolicy",
             "TruncationSelectionPolicy")
_HD_RUN = {"HyperDriveRun": "hpc_estimator.runs.sweep_run:HyperDriveRun"}


def _azure_only(*names: str) -> dict[str, str]:
    return dict.fromkeys(names, AZURE_ONLY)


_WORKSPACE = {"Workspace": "hpc_estimator.compat.workspace:Workspace"}
_EXPERIMENT = {"Experiment": "hpc_estimator.runs.experiment:Experiment"}
_RUN = {"Run": "hpc_estimator.runs.run:Run"}
_ENVIRONMENT = {"Environment": f"{_ENV}:Environment"}
_CONDA = {"CondaDependencies": f"{_ENV}:CondaDependencies"}
_COMPUTE_TARGET = {"ComputeTarget": "hpc_estimator.v1.compute:ComputeTarget"}
_DATASTORE = {"Datastore": f"{_DATA}:Datastore"}
_DATASET = {"Dataset": f"{_DATA}:Dataset"}
_MODEL = {"Model": "hpc_estimator.runs.model:Model"}
_SRC = {"ScriptRunConfig": "hpc_estimator.v1.script_run_config:ScriptRunConfig"}
_RUNCONFIG = {"RunConfiguration": f"{_RC}:RunConfiguration"}

SERVED: dict[str, dict[str, str]] = {
    "azureml": {},
    "azureml.core": {
        **_WORKSPACE, **_EXPERIMENT, **_RUN, "ScriptRun": "hpc_estimator.runs.run:Run", **_ENVIRONMENT,
        "ContainerRegistry": f"{_ENV}:ContainerRegistry", **_SRC, **_RUNCONFIG, **_COMPUTE_TARGET, **_DATASTORE,
        **_DATASET, **_MODEL,
        **_azure_only("Webservice", "Image", "Keyvault", "LinkedService", "PrivateEndPoint", "PrivateEndPointConfig",
                      "SynapseWorkspaceLinkedServiceConfiguration"),
        "VERSION": "hpc_estimator.compat.versions:CORE_VERSION",
    },
    "azureml.core.workspace": {**_WORKSPACE, "WORKSPACE_DEFAULT_BLOB_STORE_NAME":
                               "hpc_estimator.runs.workspace:DEFAULT_DATASTORE"},
    "azureml.core.experiment": _EXPERIMENT,
    "azureml.core.run": _RUN,
    "azureml.core.script_run_config": _SRC,
    "azureml.core.environment": {
        **_ENVIRONMENT, **_CONDA, "ContainerRegistry": f"{_ENV}:ContainerRegistry",
        "DockerSection": f"{_ENV}:DockerSection", "PythonSection": f"{_ENV}:PythonSection",
        "DEFAULT_CPU_IMAGE": f"{_ENV}:DEFAULT_CPU_IMAGE", "DEFAULT_GPU_IMAGE": f"{_ENV}:DEFAULT_GPU_IMAGE",
    },
    "azureml.core.conda_dependencies": _CONDA,
    "azureml.core.runconfig": {
        **_RUNCONFIG, **_CONDA, **_ENVIRONMENT, "MpiConfiguration": f"{_RC}:MpiConfiguration",
        "PyTorchConfiguration": f"{_RC}:PyTorchConfiguration",
        "TensorflowConfiguration": f"{_RC}:TensorflowConfiguration",
        "DockerConfiguration": f"{_RC}:DockerConfiguration",
        "AmlComputeConfiguration": f"{_RC}:AmlComputeConfiguration",
        "DEFAULT_CPU_IMAGE": f"{_RC}:DEFAULT_CPU_IMAGE", "DEFAULT_GPU_IMAGE": f"{_RC}:DEFAULT_GPU_IMAGE",
        "SUPPORTED_DATAREF_MODES": f"{_DATA}:SUPPORTED_DATAREF_MODES",
        "DataPath": f"{_DATA}:DataPath", "Dataset": f"{_DATA}:Dataset",
        "DatasetConsumptionConfig": f"{_DATA}:DatasetConsumptionConfig",
        "Data": f"{_DATA}:Data", "OutputData": f"{_DATA}:OutputData",
    },
    "azureml.core.compute": {
        **_COMPUTE_TARGET, "AmlCompute": f"{_AML}:AmlCompute",
        **_azure_only("AksCompute", "KubernetesCompute", "ComputeInstance", "RemoteCompute", "DsvmCompute",
                      "BatchCompute", "AdlaCompute", "DatabricksCompute", "DataFactoryCompute", "HDInsightCompute",
                      "KustoCompute", "SynapseCompute"),
    },
    "azureml.core.compute.amlcompute": {
        "AmlCompute": f"{_AML}:AmlCompute",
        "AmlComputeProvisioningConfiguration": f"{_AML}:AmlComputeProvisioningConfiguration",
        "AmlComputeStatus": f"{_AML}:AmlComputeStatus",
        "ScaleSettings": f"{_AML}:ScaleSettings",
    },
    "azureml.core.compute_target": {"ComputeTargetException": f"{_ERR}:ComputeTargetException"},
    "azureml.core.datastore": _DATASTORE,
    "azureml.core.dataset": _DATASET,
    "azureml.core.model": {**_MODEL, **_azure_only("InferenceConfig")},
    "azureml.core.authentication": {
        name: f"{_AUTH}:{name}" for name in (
            "InteractiveLoginAuthentication", "ServicePrincipalAuthentication", "AzureCliAuthentication",
            "MsiAuthentication")
    } | {"AuthenticationException": f"{_V1X}:AuthenticationException"},
    "azureml.core.webservice": _azure_only(
        "Webservice", "AciWebservice", "AksWebservice", "AksEndpoint", "LocalWebservice", "UnknownWebservice"),
    "azureml.core.keyvault": _azure_only("Keyvault"),
    "azureml.core.image": _azure_only("Image", "ContainerImage", "UnknownImage"),
    "azureml.exceptions": {
        **{name: f"{_ERR}:{name}" for name in (
            "ActivityFailedException", "AzureMLException", "ComputeTargetException", "ExperimentExecutionException",
            "RunConfigurationException", "TrainingException", "UserErrorException")},
        **{name: f"{_V1X}:{name}" for name in (
            "WebserviceException", "ModelNotFoundException", "AuthenticationException")},
    },
    "azureml.data": {"FileDataset": f"{_DATA}:FileDataset", "TabularDataset": f"{_DATA}:TabularDataset"},
    "azureml.data.data_reference": {"DataReference": f"{_DATA}:DataReference"},
    "azureml.data.datapath": {"DataPath": f"{_DATA}:DataPath"},
    "azureml.data.file_dataset": {"FileDataset": f"{_DATA}:FileDataset"},
    "azureml.data.tabular_dataset": {"TabularDataset": f"{_DATA}:TabularDataset"},
    "azureml.data.dataset_consumption_config": {"DatasetConsumptionConfig": f"{_DATA}:DatasetConsumptionConfig"},
    "azureml.data.azure_storage_datastore": {
        "AzureBlobDatastore": f"{_DATA}:Datastore", "AzureFileDatastore": f"{_DATA}:Datastore"},
    "azureml.data.dataset_factory": {
        "FileDatasetFactory": f"{_DATA}:_FileDatasetFactory",
        "TabularDatasetFactory": f"{_DATA}:_TabularDatasetFactory",
    },
    "azureml.train": {},
    "azureml.train.estimator": {
        "Estimator": "hpc_estimator.v1.estimator:Estimator",
        "MMLBaseEstimator": "hpc_estimator.v1.estimator:MMLBaseEstimator",
        **{name: f"{_DIST}:{name}" for name in ("Mpi", "Gloo", "Nccl", "ParameterServer")},
    },
    "azureml.train.dnn": {
        **{name: f"{_FW}:{name}" for name in ("PyTorch", "TensorFlow", "Chainer")},
        **{name: f"{_DIST}:{name}" for name in ("Mpi", "Gloo", "Nccl", "ParameterServer")},
    },
    "azureml.train.sklearn": {"SKLearn": f"{_FW}:SKLearn"},
    "azureml.train.automl": _azure_only("AutoMLConfig", "AutoMLImageConfig"),
    "azureml.train.hyperdrive": {
        **{name: f"{_HD}:{name}" for name in (*_EXPRESSIONS, *_SAMPLINGS, *_POLICIES, "HyperDriveConfig",
                                               "HyperDriveRunConfig", "PrimaryMetricGoal")},
        **_HD_RUN,
    },
    "azureml.train.hyperdrive.parameter_expressions": {name: f"{_HD}:{name}" for name in _EXPRESSIONS},
    "azureml.train.hyperdrive.sampling": {name: f"{_HD}:{name}" for name in _SAMPLINGS},
    "azureml.train.hyperdrive.policy": {name: f"{_HD}:{name}" for name in _POLICIES},
    "azureml.train.hyperdrive.runconfig": {
        name: f"{_HD}:{name}" for name in ("HyperDriveConfig", "HyperDriveRunConfig", "PrimaryMetricGoal")},
    "azureml.train.hyperdrive.run": {**_HD_RUN, "PrimaryMetricGoal": f"{_HD}:PrimaryMetricGoal"},
    "azureml.train.hyperdrive.exceptions": {
        name: f"{_ERR}:{name}" for name in (
            "AzureMLException", "HyperDriveException", "HyperDriveConfigException",
            "HyperDriveScenarioNotSupportedException", "HyperDriveNotImplementedException")},
    "azureml.pipeline": {},
    "azureml.pipeline.core": {
        **{name: f"{_PIPE}:{name}" for name in (
            "Pipeline", "PipelineData", "PipelineParameter", "StepSequence", "InputPortBinding", "PipelineStep",
            "TrainingOutput")},
        "PipelineRun": f"{_PRUN}:PipelineRun", "StepRun": f"{_PRUN}:StepRun",
        "StepRunOutput": f"{_PRUN}:StepRunOutput",
        **_azure_only("PublishedPipeline", "PipelineEndpoint", "PipelineDraft", "Schedule", "ScheduleRecurrence",
                      "Module", "ModuleVersion", "ModuleVersionDescriptor"),
    },
    "azureml.pipeline.core.graph": {
        "PipelineParameter": f"{_PIPE}:PipelineParameter", "InputPortBinding": f"{_PIPE}:InputPortBinding",
        "DataReference": f"{_DATA}:DataReference", "PipelineRun": f"{_PRUN}:PipelineRun"},
    "azureml.pipeline.core.run": {"PipelineRun": f"{_PRUN}:PipelineRun", "StepRun": f"{_PRUN}:StepRun"},
    "azureml.pipeline.steps": {
        **{name: f"{_PIPE}:{name}" for name in (
            "PythonScriptStep", "EstimatorStep", "CommandStep", "MpiStep", "HyperDriveStep")},
        "HyperDriveStepRun": "hpc_estimator.runs.pipeline_sweep_run:HyperDriveStepRun",
        **_azure_only("AutoMLStep", "AutoMLStepRun", "AdlaStep", "AzureBatchStep", "DatabricksStep",
                      "DataTransferStep", "KustoStep", "ModuleStep", "ParallelRunConfig", "ParallelRunStep",
                      "RScriptStep", "SynapseSparkStep", "_HDInsightStep"),
    },
    "azureml.widgets": {"RunDetails": "hpc_estimator.compat.widgets:RunDetails"},
}


def is_package(name: str) -> bool:
    return any(other.startswith(name + ".") for other in SERVED)


def main_modules() -> list[str]:
    """The modules a notebook imports from (``azureml.core``, ``azureml.train.dnn`` ...), for messages."""
    return sorted(
        name for name, names in SERVED.items()
        if names and (name.count(".") == 1 or (name.count(".") == 2 and not SERVED[name.rpartition(".")[0]]))
    )
