# hpcest-case: codes=
from azureml.core import Workspace
from azureml.train.dnn import PyTorch

ws = Workspace.from_config()
est = PyTorch(source_directory=".", entry_script="train.py", compute_target=gpu,
              framework_version="1.6", use_gpu=True)
