# hpcest-case: codes= target=hpcest
from hpc_estimator import CommandStep, CondaDependencies, DockerConfiguration, Environment, PyTorchConfiguration, ScriptRunConfig

est_env = Environment(name="est-env")
est_env.python.conda_dependencies = CondaDependencies.create(
    conda_packages=["python=3.6.2"],
    pip_packages=[
        "azureml-defaults",
        "torch==1.6.0",
        "torchvision==0.5.0",
        "horovod==0.19.5",
        "tensorboard==1.14.0",
        "future==0.17.1",
        "transformers",
    ],
)
est_env.docker.base_image = "mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.1-cudnn8-ubuntu20.04"
est = ScriptRunConfig(
    source_directory=".",
    script="train.py",
    compute_target="gpu-cluster",
    environment=est_env,
    distributed_job_config=PyTorchConfiguration(communication_backend="Nccl", node_count=2),
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
step = CommandStep(
    command=["python", est.script],
    name="train",
    compute_target="gpu-cluster",
    runconfig=est.run_config,
    source_directory=est.source_directory,
)
