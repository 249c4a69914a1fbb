# hpcest-case: codes=
from azureml.train.estimator import Estimator

est = Estimator(source_directory="src", entry_script="train.py", compute_target=ct,
                conda_dependencies_file="env.yml")
