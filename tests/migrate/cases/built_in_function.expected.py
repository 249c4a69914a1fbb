# hpcest-case: codes=
from azureml.core import Environment, ScriptRunConfig
from azureml.core.conda_dependencies import CondaDependencies
from azureml.core.runconfig import DockerConfiguration


def estimator_for(target, lr):
    params = {"--lr": lr}
    est_env = Environment(name="est-env")
    est_env.python.conda_dependencies = CondaDependencies.create(pip_packages=["azureml-defaults", "numpy"])
    est = ScriptRunConfig(
        source_directory=".",
        script="train.py",
        arguments=["--lr", lr],
        compute_target=target,
        environment=est_env,
        docker_runtime_config=DockerConfiguration(use_docker=True),
    )
    return est
