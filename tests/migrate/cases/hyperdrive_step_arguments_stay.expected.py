# hpcest-case: codes=HPM108
from azureml.pipeline.steps import HyperDriveStep
from azureml.train.hyperdrive import HyperDriveConfig
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
hdc = HyperDriveConfig(run_config=est, hyperparameter_sampling=sampling, primary_metric_name="acc",
                       primary_metric_goal=goal, max_total_runs=4)
step = HyperDriveStep(name="hd", hyperdrive_config=hdc, estimator_entry_script_arguments=make_args())
