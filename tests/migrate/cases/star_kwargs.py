# hpcest-case: codes=HPM102
from azureml.train.estimator import Estimator

est = Estimator(source_directory=".", entry_script="train.py", **common)
