# hpcest-case: codes=HPM110
from azureml.train.dnn import PyTorch

est = PyTorch(source_directory=".", entry_script="train.py", compute_target=ct, node_count=2,
              distributed_training=pick_backend())
