# hpcest-case: codes=
from azureml.core.runconfig import MpiConfiguration, PyTorchConfiguration, TensorflowConfiguration

mpi = MpiConfiguration(process_count_per_node=4)
nccl = PyTorchConfiguration(communication_backend="Nccl")
ps = TensorflowConfiguration(worker_count=4, parameter_server_count=2)
