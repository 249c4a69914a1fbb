# hpcest-case: codes=
from azureml.pipeline.steps import CommandStep
from azureml.core import Environment, ScriptRunConfig
from azureml.core.runconfig import DockerConfiguration

est_env = Environment(name="est-env")
est = ScriptRunConfig(
    source_directory="src",
    script="train.py",
    compute_target=cpu,
    environment=est_env,
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
step = CommandStep(
    command=["python", est.script, *step_args],
    name="train",
    compute_target=cpu,
    runconfig=est.run_config,
    runconfig_pipeline_params={"NodeCount": nodes},
    source_directory=est.source_directory,
    version="2",
)
