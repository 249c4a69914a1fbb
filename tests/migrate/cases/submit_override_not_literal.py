# hpcest-case: codes=HPM106
from azureml.train.estimator import Estimator

est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct,
                script_params={"--lr": 0.1})
run = exp.submit(est, script_params=overrides)
