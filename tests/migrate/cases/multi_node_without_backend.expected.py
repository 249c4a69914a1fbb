# hpcest-case: codes=HPM110
from azureml.train.estimator import Estimator

# TODO(hpcest-migrate): HPM110 node_count is not 1 but no distributed_training/backend is given; pass distributed_training=Mpi(...)/Gloo()/Nccl()/ParameterServer(...) directly in the call
est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct, node_count=4)
