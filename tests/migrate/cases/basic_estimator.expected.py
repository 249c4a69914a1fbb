# hpcest-case: codes=
from azureml.core import Environment, ScriptRunConfig, Experiment
from azureml.core.runconfig import DockerConfiguration

est_env = Environment(name="est-env")
est = ScriptRunConfig(
    source_directory="src",
    script="train.py",
    arguments=["--epochs", 10, "--lr", 0.01],
    compute_target="cpu-cluster",
    environment=est_env,
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
run = Experiment(ws, "demo").submit(est)
