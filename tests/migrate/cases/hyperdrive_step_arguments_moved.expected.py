# hpcest-case: codes=
from azureml.pipeline.steps import HyperDriveStep
from azureml.train.hyperdrive import HyperDriveConfig
from azureml.core import Environment, ScriptRunConfig
from azureml.core.conda_dependencies import CondaDependencies
from azureml.core.runconfig import DockerConfiguration

data = PipelineData("data", datastore=store)
est_env = Environment(name="est-env")
est_env.python.conda_dependencies = CondaDependencies.create(
    conda_packages=["python=3.6.2"],
    pip_packages=["azureml-defaults", "tensorflow==2.1.0", "horovod==0.19.1", "pandas"],
)
est_env.docker.base_image = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:20200423.v1"
est = ScriptRunConfig(
    source_directory=".",
    script="tf.py",
    arguments=["--data", data],
    compute_target=ct,
    environment=est_env,
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
hdc = HyperDriveConfig(run_config=est, hyperparameter_sampling=sampling, primary_metric_name="acc",
                       primary_metric_goal=goal, max_total_runs=4)
step = HyperDriveStep(name="hd", hyperdrive_config=hdc, inputs=[data])
