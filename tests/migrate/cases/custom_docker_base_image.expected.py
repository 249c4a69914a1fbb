# hpcest-case: codes=HPL202
from azureml.core import Environment, ScriptRunConfig
from azureml.core.runconfig import DockerConfiguration

est_env = Environment(name="est-env")
est_env.docker.base_image = "myregistry.azurecr.io/train:1"
est_env.docker.base_image_registry = registry
est_env.python.user_managed_dependencies = True
est = ScriptRunConfig(
    source_directory=".",
    script="train.py",
    compute_target=ct,
    environment=est_env,
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
