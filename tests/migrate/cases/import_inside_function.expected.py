# hpcest-case: codes=
from azureml.core import Environment, ScriptRunConfig
from azureml.core.runconfig import DockerConfiguration

def make_estimator(target):

    src_env = Environment(name="src-env")
    return ScriptRunConfig(
        source_directory=".",
        script="train.py",
        compute_target=target,
        environment=src_env,
        docker_runtime_config=DockerConfiguration(use_docker=True),
    )
