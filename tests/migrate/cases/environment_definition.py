# hpcest-case: codes=
from azureml.train.dnn import PyTorch

est = PyTorch(source_directory=".", entry_script="train.py", compute_target=ct, environment_definition=my_env)
