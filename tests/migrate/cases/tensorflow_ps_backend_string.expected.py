# hpcest-case: codes=HPL202
from azureml.core import Environment, ScriptRunConfig, Workspace
from azureml.core.runconfig import DockerConfiguration, TensorflowConfiguration

ws = Workspace.from_config()
est = ScriptRunConfig(
    source_directory=".",
    script="tf.py",
    compute_target=gpu,
    environment=Environment.get(workspace=ws, name="AzureML-TensorFlow-1.13-CPU"),
    distributed_job_config=TensorflowConfiguration(worker_count=3, parameter_server_count=1),
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
