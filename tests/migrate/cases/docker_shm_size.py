# hpcest-case: codes=
from azureml.train.estimator import Estimator

est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct, shm_size="16g")
local = Estimator(source_directory=".", entry_script="train.py", compute_target="local", use_docker=False)
