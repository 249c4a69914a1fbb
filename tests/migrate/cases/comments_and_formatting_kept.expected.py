# hpcest-case: codes=
"""Module docstring stays."""
import os  # unrelated import stays
from azureml.core import Environment, ScriptRunConfig
from azureml.core.runconfig import DockerConfiguration

# Build the training job.
# code lives here
est_env = Environment(name="est-env")
est = ScriptRunConfig(
    source_directory=".",
    script="train.py",
    compute_target=ct,
    environment=est_env,
    docker_runtime_config=DockerConfiguration(use_docker=True),
)


def untouched( a,b ):
    return a+b
