# hpcest-case: codes=
import azureml.train.dnn as dnn
from azureml.core import Workspace

ws = Workspace.from_config()
est = dnn.PyTorch(source_directory=".", entry_script="train.py", compute_target=ct, framework_version="1.4")
