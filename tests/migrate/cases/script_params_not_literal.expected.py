# hpcest-case: codes=HPM101
from azureml.train.estimator import Estimator

# TODO(hpcest-migrate): HPM101 script_params is not a dict literal bound once in this scope; write script_params as a literal dict, or convert it to arguments=[...] by hand
est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct, script_params=build_params())
