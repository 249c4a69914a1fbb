# hpcest-case: codes=HPM110
from azureml.train.dnn import PyTorch

# TODO(hpcest-migrate): HPM110 distributed_training is not a recognisable Mpi/Gloo/Nccl/ParameterServer; pass distributed_training=Mpi(...)/Gloo()/Nccl()/ParameterServer(...) directly in the call
est = PyTorch(source_directory=".", entry_script="train.py", compute_target=ct, node_count=2,
              distributed_training=pick_backend())
