# hpcest-case: codes=
from azureml.train.estimator import Estimator

runs = []
for lr in (0.1, 0.01):
    est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct,
                    script_params={"--lr": lr}, conda_packages=["numpy"])
    runs.append(exp.submit(est))
