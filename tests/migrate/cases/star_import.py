# hpcest-case: codes=
from azureml.train.estimator import *

est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct)
