# hpcest-case: codes=
from azureml.train.hyperdrive import HyperDriveConfig, PrimaryMetricGoal, RandomParameterSampling, choice
from azureml.core import Environment, ScriptRunConfig
from azureml.core.runconfig import DockerConfiguration

est_env = Environment(name="est-env")
est = ScriptRunConfig(
    source_directory=".",
    script="train.py",
    compute_target=ct,
    environment=est_env,
    docker_runtime_config=DockerConfiguration(use_docker=True),
)
sampling = RandomParameterSampling({"--lr": choice(0.1, 0.01)})
hdc = HyperDriveConfig(run_config=est, hyperparameter_sampling=sampling, primary_metric_name="acc",
                       primary_metric_goal=PrimaryMetricGoal.MAXIMIZE, max_total_runs=4)
