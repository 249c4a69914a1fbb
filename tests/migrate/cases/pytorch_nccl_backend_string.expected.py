# hpcest-case: codes=HPL202
from azureml.core import Environment, ScriptRunConfig, Workspace
from azureml.core.runconfig import DockerConfiguration, PyTorchConfiguration

ws = Workspace.from_config()
est = ScriptRunConfig(
    source_directory=".",
    script="dist.py",
    compute_target=gpu,
    environment=Environment.get(workspace=ws, name="AzureML-PyTorch-1.4-GPU"),
    distributed_job_config=PyTorchConfiguration(communication_backend="Nccl", process_count=nodes * 2, node_count=nodes),
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
