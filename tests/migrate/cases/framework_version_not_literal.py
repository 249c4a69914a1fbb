# hpcest-case: codes=HPM112
from azureml.train.dnn import PyTorch

est = PyTorch(source_directory=".", entry_script="train.py", compute_target=ct, framework_version=VERSION)
