# hpcest-case: codes=
from azureml.core import Environment, ScriptRunConfig
from azureml.core.conda_dependencies import CondaDependencies
from azureml.core.runconfig import DockerConfiguration

est_env = Environment(name="est-env")
est_env.python.conda_dependencies = CondaDependencies.create(
    conda_packages=["python=3.6.2"],
    pip_packages=[
        "azureml-defaults",
        "torch==1.5.0",
        "torchvision==0.5.0",
        "horovod==0.19.1",
        "tensorboard==1.14.0",
        "future==0.17.1",
        "pillow",
    ],
)
est_env.docker.base_image = "mcr.microsoft.com/azureml/base-gpu:openmpi4.1.0-cuda11.1-cudnn8-ubuntu20.04"
est = ScriptRunConfig(
    source_directory=".",
    script="train.py",
    compute_target=gpu,
    environment=est_env,
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
