# hpcest-case: codes=HPL202
from azureml.train.estimator import Estimator
from azureml.train.hyperdrive import HyperDriveRunConfig, PrimaryMetricGoal

est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct)
hdc = HyperDriveRunConfig(est, sampling, "acc", PrimaryMetricGoal.MAXIMIZE, 8, max_concurrent_runs=2)
