# hpcest-case: codes=
from azureml.train.estimator import Estimator


def estimator_for(target, lr):
    params = {"--lr": lr}
    est = Estimator(source_directory=".", entry_script="train.py", compute_target=target,
                    script_params=params, pip_packages=["numpy"])
    return est
