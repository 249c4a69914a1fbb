# hpcest-case: codes=HPM103
from azureml.train.estimator import Estimator

# TODO(hpcest-migrate): HPM103 estimator attribute(s) conda_dependencies are read later; read the same values from the ScriptRunConfig (script, arguments, run_config) by hand
est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct)
print(est.conda_dependencies)
