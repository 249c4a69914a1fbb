# hpcest-case: codes=HPM109
from azureml.train.estimator import Estimator

est = Estimator(source_directory=".", entry_script="train.py", vm_size="STANDARD_D2_V2")
