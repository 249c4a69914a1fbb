# hpcest-case: codes=
from azureml.pipeline.steps import CommandStep
from azureml.core import Environment, ScriptRunConfig
from azureml.core.conda_dependencies import CondaDependencies
from azureml.core.runconfig import DockerConfiguration

est_env = Environment(name="est-env")
est_env.python.conda_dependencies = CondaDependencies.create(conda_packages=["scikit-learn"])
est = ScriptRunConfig(
    source_directory="src",
    script="train.py",
    compute_target=cpu,
    environment=est_env,
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
step = CommandStep(
    command=["python", est.script, "--data", data, "--out", out],
    name="train",
    compute_target=cpu,
    runconfig=est.run_config,
    inputs=[data],
    outputs=[out],
    source_directory=est.source_directory,
    allow_reuse=False,
)
