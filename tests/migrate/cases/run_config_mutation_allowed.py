# hpcest-case: codes=
from azureml.train.estimator import Estimator

est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct)
est.run_config.target = other_target
