# hpcest-case: codes=
from azureml.core import Environment, ScriptRunConfig, Workspace
from azureml.core.runconfig import DockerConfiguration

ws = Workspace.from_config()
est = ScriptRunConfig(
    source_directory=".",
    script="tf.py",
    compute_target=ct,
    environment=Environment.get(workspace=ws, name="AzureML-TensorFlow-2.2-CPU"),
    docker_runtime_config=DockerConfiguration(use_docker=True),
    max_run_duration_seconds=3600,
    resume_from=model_location,
)
