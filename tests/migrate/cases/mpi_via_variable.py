# hpcest-case: codes=
from azureml.core import Workspace
from azureml.train.dnn import PyTorch, Mpi

ws = Workspace.from_config()
distr = Mpi(process_count_per_node=2)
est = PyTorch(source_directory=".", entry_script="horovod.py", compute_target=gpu, node_count=2,
              distributed_training=distr, use_gpu=True)
