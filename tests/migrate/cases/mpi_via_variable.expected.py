# hpcest-case: codes=
from azureml.core import Environment, ScriptRunConfig, Workspace
from azureml.core.runconfig import DockerConfiguration, MpiConfiguration

ws = Workspace.from_config()
distr = MpiConfiguration(process_count_per_node=2)
distr.node_count = 2
est = ScriptRunConfig(
    source_directory=".",
    script="horovod.py",
    compute_target=gpu,
    environment=Environment.get(workspace=ws, name="AzureML-PyTorch-1.4-GPU"),
    distributed_job_config=distr,
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
