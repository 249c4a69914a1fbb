# hpcest-case: codes=HPL202
from azureml.train.hyperdrive import HyperDriveConfig, PrimaryMetricGoal
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
hdc = HyperDriveConfig(
    run_config=est,
    hyperparameter_sampling=sampling,
    primary_metric_name="acc",
    primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
    max_total_runs=8,
    max_concurrent_runs=2,
)
