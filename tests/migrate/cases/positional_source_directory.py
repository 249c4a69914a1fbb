# hpcest-case: codes=
from azureml.train.estimator import Estimator

est = Estimator("./src", entry_script="train.py", compute_target=target)
