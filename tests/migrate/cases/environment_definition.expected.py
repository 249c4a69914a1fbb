# hpcest-case: codes=
from azureml.core import ScriptRunConfig
from azureml.core.runconfig import DockerConfiguration

est = ScriptRunConfig(
    source_directory=".",
    script="train.py",
    compute_target=ct,
    environment=my_env,
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
