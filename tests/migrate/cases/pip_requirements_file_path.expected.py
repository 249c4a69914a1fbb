# hpcest-case: codes=HPL202
import os
from azureml.core import Environment, ScriptRunConfig
from azureml.core.runconfig import DockerConfiguration

est_env = Environment.from_pip_requirements(name="est-env", file_path=os.path.join(src_dir, "requirements.txt"))
est = ScriptRunConfig(
    source_directory=src_dir,
    script="train.py",
    compute_target=ct,
    environment=est_env,
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
