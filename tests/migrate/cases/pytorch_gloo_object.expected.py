# hpcest-case: codes=
from azureml.core import Environment, ScriptRunConfig, Workspace
from azureml.core.runconfig import DockerConfiguration, PyTorchConfiguration

ws = Workspace.from_config()
est = ScriptRunConfig(
    source_directory=".",
    script="dist.py",
    compute_target=gpu,
    environment=Environment.get(workspace=ws, name="AzureML-PyTorch-1.4-GPU"),
    distributed_job_config=PyTorchConfiguration(communication_backend="Gloo", process_count=8, node_count=2),
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
