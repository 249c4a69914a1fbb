# hpcest-case: codes=HPM112
from azureml.train.dnn import PyTorch

# TODO(hpcest-migrate): HPM112 framework_version is not a string literal; give framework_version as a literal such as '1.6' or pass environment_definition
est = PyTorch(source_directory=".", entry_script="train.py", compute_target=ct, framework_version=VERSION)
