# hpcest-case: codes=HPL202
from azureml.core import Workspace
from azureml.train.dnn import PyTorch

ws = Workspace.from_config()
est = PyTorch(source_directory=".", entry_script="dist.py", compute_target=gpu, node_count=nodes,
              process_count_per_node=2, distributed_backend="nccl", use_gpu=True)
