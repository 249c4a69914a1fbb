# hpcest-case: codes=
from azureml.train.estimator import Estimator

est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct,
                script_params={"--lr": 0.1, "--epochs": 5})
run = exp.submit(est, script_params={"--lr": 0.5, "--seed": 1})
