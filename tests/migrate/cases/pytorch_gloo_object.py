# hpcest-case: codes=
from azureml.core import Workspace
from azureml.train.dnn import PyTorch, Gloo

ws = Workspace.from_config()
est = PyTorch(source_directory=".", entry_script="dist.py", compute_target=gpu, node_count=2,
              process_count_per_node=4, distributed_training=Gloo(), use_gpu=True)
