# hpcest-case: codes=
from azureml.core import Environment, ScriptRunConfig
from azureml.core.conda_dependencies import CondaDependencies
from azureml.core.runconfig import DockerConfiguration

runs = []
for lr in (0.1, 0.01):
    est_env = Environment(name="est-env")
    est_env.python.conda_dependencies = CondaDependencies.create(conda_packages=["numpy"])
    est = ScriptRunConfig(
        source_directory=".",
        script="train.py",
        arguments=["--lr", lr],
        compute_target=ct,
        environment=est_env,
        docker_runtime_config=DockerConfiguration(use_docker=True),
    )
    runs.append(exp.submit(est))
