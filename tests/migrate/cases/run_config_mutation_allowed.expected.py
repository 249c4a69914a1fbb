# hpcest-case: codes=
from azureml.core import Environment, ScriptRunConfig
from azureml.core.runconfig import DockerConfiguration

est_env = Environment(name="est-env")
est = ScriptRunConfig(
    source_directory=".",
    script="train.py",
    compute_target=ct,
    environment=est_env,
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
est.run_config.target = other_target
