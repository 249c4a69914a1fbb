# hpcest-case: codes=HPP306
from azureml.core import Environment, ScriptRunConfig
from azureml.core.conda_dependencies import CondaDependencies
from azureml.core.runconfig import DockerConfiguration

est_env = Environment(name="est-env")
est_env.python.conda_dependencies = CondaDependencies.create(pip_packages=PACKAGES)
est = ScriptRunConfig(
    source_directory=".",
    script="train.py",
    compute_target=ct,
    environment=est_env,
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
