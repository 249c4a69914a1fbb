# hpcest-case: codes=HPM110
from azureml.train.estimator import Estimator

est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct, node_count=4)
