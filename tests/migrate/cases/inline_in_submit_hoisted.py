# hpcest-case: codes=
from azureml.train.estimator import Estimator

run = exp.submit(Estimator(source_directory=".", entry_script="train.py", compute_target=ct,
                           environment_variables={"MODE": "fast"}))
