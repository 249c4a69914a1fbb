# hpcest-case: codes=HPL202
from azureml.core import Workspace
from azureml.train.dnn import Chainer

ws = Workspace.from_config()
est = Chainer(source_directory=".", entry_script="chainer_mnist.py", compute_target=gpu, node_count=2,
              process_count_per_node=2, distributed_backend="mpi", use_gpu=True)
