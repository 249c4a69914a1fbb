"""Stand-ins for the v1 names whose whole meaning was an Azure service (no Slurm meaning).

``from azureml.core.webservice import AksWebservice`` must still import (a 2020 notebook imports
everything in its first cell), but building one, or calling any of its class methods
(``AksWebservice.deploy_configuration(...)``), raises ``AzureOnlyError`` naming the call and what
to do on the cluster instead. ``hpcest run`` adds the cell number. Nothing half-runs.
"""

from __future__ import annotations

from typing import Any

from ..v1.exceptions import AzureOnlyError, azure_only_call

_DEPLOY = (
    "download the registered model (Model(ws, name).download('model')) and serve it from a node you control, "
    "or run scoring as a batch job (ScriptRunConfig)"
)
_PUBLISH = "submit the pipeline again when needed (hpcest submit FILE.py:pipeline), e.g. from cron on the login node"
_SECRETS = "read secrets from a file only you can read on the cluster, or from environment variables of the job"
_AUTOML = "write the training script yourself and sweep it with HyperDrive (azureml.train.hyperdrive)"
_COMPUTE = "describe the machine as a cluster profile (`hpcest cluster add NAME --host LOGIN_NODE`) and name it"

# v1 name -> (what it was for, what to do instead)
AZURE_ONLY: dict[str, tuple[str, str]] = {
    "Webservice": ("an Azure ML web service (AKS/ACI deployment)", _DEPLOY),
    "AciWebservice": ("an Azure Container Instances web service", _DEPLOY),
    "AksWebservice": ("an Azure Kubernetes Service web service", _DEPLOY),
    "AksEndpoint": ("an Azure Kubernetes Service endpoint", _DEPLOY),
    "LocalWebservice": ("Azure ML's local Docker web service", _DEPLOY),
    "UnknownWebservice": ("an Azure ML web service", _DEPLOY),
    "InferenceConfig": ("an Azure ML deployment's inference configuration", _DEPLOY),
    "Image": ("an Azure ML container image (deployment)", _DEPLOY),
    "ContainerImage": ("an Azure ML container image (deployment)", _DEPLOY),
    "UnknownImage": ("an Azure ML container image (deployment)", _DEPLOY),
    "Keyvault": ("the workspace's Azure Key Vault", _SECRETS),
    "LinkedService": ("a link to an Azure Synapse workspace", "run Spark jobs on the cluster yourself"),
    "SynapseWorkspaceLinkedServiceConfiguration": ("a link to an Azure Synapse workspace",
                                                   "run Spark jobs on the cluster yourself"),
    "PrivateEndPoint": ("an Azure private endpoint", "nothing: the cluster is reached over SSH"),
    "PrivateEndPointConfig": ("an Azure private endpoint", "nothing: the cluster is reached over SSH"),
    "AutoMLConfig": ("Azure AutoML", _AUTOML),
    "AutoMLImageConfig": ("Azure AutoML for images", _AUTOML),
    "AutoMLStep": ("an Azure AutoML pipeline step", _AUTOML),
    "AutoMLStepRun": ("an Azure AutoML pipeline step", _AUTOML),
    "AksCompute": ("an Azure Kubernetes Service cluster", _DEPLOY),
    "KubernetesCompute": ("an Azure Arc Kubernetes cluster", _COMPUTE),
    "ComputeInstance": ("an Azure ML compute instance (a notebook VM)", _COMPUTE),
    "RemoteCompute": ("an Azure VM attached over SSH", _COMPUTE),
    "DsvmCompute": ("an Azure Data Science VM", _COMPUTE),
    "BatchCompute": ("Azure Batch", _COMPUTE),
    "AdlaCompute": ("Azure Data Lake Analytics", _COMPUTE),
    "DatabricksCompute": ("Azure Databricks", _COMPUTE),
    "DataFactoryCompute": ("Azure Data Factory", _COMPUTE),
    "HDInsightCompute": ("Azure HDInsight", _COMPUTE),
    "KustoCompute": ("Azure Data Explorer", _COMPUTE),
    "SynapseCompute": ("Azure Synapse Spark pools", _COMPUTE),
    "PublishedPipeline": ("a pipeline published as an Azure REST endpoint", _PUBLISH),
    "PipelineEndpoint": ("an Azure pipeline endpoint", _PUBLISH),
    "PipelineDraft": ("an Azure ML designer draft", _PUBLISH),
    "Schedule": ("an Azure pipeline schedule", _PUBLISH),
    "ScheduleRecurrence": ("an Azure pipeline schedule", _PUBLISH),
    "Module": ("an Azure ML designer module", "write the step as a PythonScriptStep"),
    "ModuleVersion": ("an Azure ML designer module", "write the step as a PythonScriptStep"),
    "ModuleVersionDescriptor": ("an Azure ML designer module", "write the step as a PythonScriptStep"),
    "ModuleStep": ("an Azure ML designer module step", "write the step as a PythonScriptStep"),
    "AdlaStep": ("an Azure Data Lake Analytics step", "run the work as a PythonScriptStep or CommandStep"),
    "AzureBatchStep": ("an Azure Batch step", "run the work as a PythonScriptStep or CommandStep"),
    "DatabricksStep": ("an Azure Databricks step", "run the work as a PythonScriptStep or CommandStep"),
    "DataTransferStep": ("an Azure Data Factory copy", "copy with a CommandStep (cp/rsync) on the cluster"),
    "KustoStep": ("an Azure Data Explorer query step", "run the query from a PythonScriptStep"),
    "SynapseSparkStep": ("an Azure Synapse Spark step", "run Spark on the cluster from a CommandStep"),
    "ParallelRunStep": ("Azure ML's parallel batch inference step",
                        "split the input yourself and run a PythonScriptStep per part (or a HyperDrive grid)"),
    "ParallelRunConfig": ("Azure ML's parallel batch inference step",
                          "split the input yourself and run a PythonScriptStep per part (or a HyperDrive grid)"),
    "RScriptStep": ("an Azure ML R step", "run Rscript from a CommandStep"),
    "_HDInsightStep": ("an Azure HDInsight step", "run the work as a CommandStep"),
}


class _AzureOnlyMeta(type):
    """Class attributes of a stand-in (``AksWebservice.deploy_configuration``) refuse when called."""

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        what, instead = cls._azure_only  # type: ignore[attr-defined]
        return azure_only_call(f"{cls.__name__}.{name}(...)", what, instead)


def azure_only_class(name: str) -> type:
    """The stand-in class for the v1 name ``name`` (one of ``AZURE_ONLY``)."""
    what, instead = AZURE_ONLY[name]

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        raise AzureOnlyError(f"{name}(...)", what, instead)

    return _AzureOnlyMeta(name, (), {
        "__init__": __init__,
        "_azure_only": (what, instead),
        "__doc__": f"v1: {what}. No meaning on a Slurm cluster; instead: {instead}.",
        "__module__": "hpc_estimator.compat.refusals",
    })


_CACHE: dict[str, type] = {}


def stand_in(name: str) -> type:
    """One class per name, so ``isinstance`` and ``except`` see the same object everywhere."""
    if name not in _CACHE:
        _CACHE[name] = azure_only_class(name)
    return _CACHE[name]
