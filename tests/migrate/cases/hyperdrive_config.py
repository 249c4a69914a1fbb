# hpcest-case: codes=
from azureml.train.estimator import Estimator
from azureml.train.hyperdrive import HyperDriveConfig, PrimaryMetricGoal, RandomParameterSampling, choice

est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct)
sampling = RandomParameterSampling({"--lr": choice(0.1, 0.01)})
hdc = HyperDriveConfig(estimator=est, hyperparameter_sampling=sampling, primary_metric_name="acc",
                       primary_metric_goal=PrimaryMetricGoal.MAXIMIZE, max_total_runs=4)
