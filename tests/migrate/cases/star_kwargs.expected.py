# hpcest-case: codes=HPM102
from azureml.train.estimator import Estimator

# TODO(hpcest-migrate): HPM102 '**' arguments hide the estimator parameters; spell the parameters out as keywords
est = Estimator(source_directory=".", entry_script="train.py", **common)
