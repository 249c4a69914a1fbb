# hpcest-case: codes=HPM108
from azureml.pipeline.steps import HyperDriveStep
from azureml.train.estimator import Estimator
from azureml.train.hyperdrive import HyperDriveConfig

est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct)
hdc = HyperDriveConfig(estimator=est, hyperparameter_sampling=sampling, primary_metric_name="acc",
                       primary_metric_goal=goal, max_total_runs=4)
step = HyperDriveStep(name="hd", hyperdrive_config=hdc, estimator_entry_script_arguments=make_args())
