# hpcest-case: codes=HPP301,HPP302,HPP303,HPP304,HPP305
from azureml.core import Environment, ScriptRunConfig
from azureml.core.conda_dependencies import CondaDependencies
from azureml.core.runconfig import DockerConfiguration

est_env = Environment(name="est-env")
est_env.python.conda_dependencies = CondaDependencies.create(
    conda_packages=["python=3.6.2", "scipy", "not a conda spec"],
    pip_packages=[
        "azureml-defaults",
        "tensorflow==2.1.0",
        "tensorflow-gpu==1.15",
        "sklearn",
        "numpy==1.18",
        "numpy==1.19",
        "horovod",
        "bad requirement!!",
    ],
)
est_env.docker.base_image = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:20200423.v1"
est = ScriptRunConfig(
    source_directory=".",
    script="tf.py",
    compute_target=ct,
    environment=est_env,
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
