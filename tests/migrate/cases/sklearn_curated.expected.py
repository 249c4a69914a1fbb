# hpcest-case: codes=
from azureml.core import Environment, ScriptRunConfig, Workspace
from azureml.core.runconfig import DockerConfiguration

ws = Workspace.from_config()
est = ScriptRunConfig(
    source_directory=".",
    script="train_iris.py",
    arguments=["--kernel", "linear", "--penalty", 1.0],
    compute_target=cpu,
    environment=Environment.get(workspace=ws, name="AzureML-Scikit-learn-0.20.3"),
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
