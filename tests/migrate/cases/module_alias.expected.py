# hpcest-case: codes=
from azureml.core import Environment, ScriptRunConfig, Workspace
from azureml.core.runconfig import DockerConfiguration

ws = Workspace.from_config()
est = ScriptRunConfig(
    source_directory=".",
    script="train.py",
    compute_target=ct,
    environment=Environment.get(workspace=ws, name="AzureML-PyTorch-1.4-CPU"),
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
