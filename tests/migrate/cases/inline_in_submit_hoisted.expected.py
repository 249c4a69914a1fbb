# hpcest-case: codes=
from azureml.core import Environment, ScriptRunConfig
from azureml.core.runconfig import DockerConfiguration

src_env = Environment(name="src-env")
script_run_config = ScriptRunConfig(
    source_directory=".",
    script="train.py",
    compute_target=ct,
    environment=src_env,
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
script_run_config.run_config.environment_variables = {"MODE": "fast"}
run = exp.submit(script_run_config)
