# hpcest-case: codes=
from azureml.core import Environment, ScriptRunConfig, Workspace
from azureml.core.runconfig import DockerConfiguration, TensorflowConfiguration

ws = Workspace.get(name="ws", subscription_id="s", resource_group="rg")
est = ScriptRunConfig(
    source_directory=".",
    script="tf.py",
    compute_target=gpu,
    environment=Environment.get(workspace=ws, name="AzureML-TensorFlow-2.0-GPU"),
    distributed_job_config=TensorflowConfiguration(worker_count=2, parameter_server_count=1),
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
