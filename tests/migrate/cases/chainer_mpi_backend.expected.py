# hpcest-case: codes=HPL202
from azureml.core import Environment, ScriptRunConfig, Workspace
from azureml.core.runconfig import DockerConfiguration, MpiConfiguration

ws = Workspace.from_config()
est = ScriptRunConfig(
    source_directory=".",
    script="chainer_mnist.py",
    compute_target=gpu,
    environment=Environment.get(workspace=ws, name="AzureML-Chainer-5.1.0-GPU"),
    distributed_job_config=MpiConfiguration(process_count_per_node=2, node_count=2),
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
