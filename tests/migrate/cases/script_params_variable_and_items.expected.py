# hpcest-case: codes=
from azureml.core import Environment, ScriptRunConfig
from azureml.core.runconfig import DockerConfiguration

params = {"--data-folder": dataset.as_named_input("mnist").as_mount()}
params["--batch-size"] = 64
params["--data-folder"] = ds.as_download()
est_env = Environment(name="est-env")
est = ScriptRunConfig(
    source_directory=".",
    script="train.py",
    arguments=["--data-folder", ds.as_download(), "--batch-size", 64],
    compute_target=ct,
    environment=est_env,
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
