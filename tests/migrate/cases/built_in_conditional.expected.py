# hpcest-case: codes=
from azureml.core import Environment, ScriptRunConfig
from azureml.core.runconfig import DockerConfiguration

if use_gpu:
    est_env = Environment(name="est-env")
    est_env.docker.base_image = "mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.8-cudnn8-ubuntu22.04"
    est = ScriptRunConfig(
        source_directory=".",
        script="train.py",
        compute_target=gpu,
        environment=est_env,
        docker_runtime_config=DockerConfiguration(use_docker=True),
    )
else:
    est_env = Environment(name="est-env")
    est = ScriptRunConfig(
        source_directory=".",
        script="train.py",
        compute_target=cpu,
        environment=est_env,
        docker_runtime_config=DockerConfiguration(use_docker=True),
    )
run = exp.submit(est)
