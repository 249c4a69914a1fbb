# hpcest-case: codes=HPM101
from azureml.train.estimator import Estimator

est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct, script_params=build_params())
