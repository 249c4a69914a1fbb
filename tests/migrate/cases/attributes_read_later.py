# hpcest-case: codes=HPM103
from azureml.train.estimator import Estimator

est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct)
print(est.conda_dependencies)
