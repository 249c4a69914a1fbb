# hpcest-case: codes=
from azureml.core import Environment, ScriptRunConfig
from azureml.core.runconfig import DockerConfiguration

est_env = Environment.from_conda_specification(name="est-env", file_path="src/env.yml")
est = ScriptRunConfig(
    source_directory="src",
    script="train.py",
    compute_target=ct,
    environment=est_env,
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
