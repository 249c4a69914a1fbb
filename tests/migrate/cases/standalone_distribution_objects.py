# hpcest-case: codes=
from azureml.train.dnn import Mpi, Nccl, ParameterServer

mpi = Mpi(4)
nccl = Nccl()
ps = ParameterServer(worker_count=4, parameter_server_count=2)
