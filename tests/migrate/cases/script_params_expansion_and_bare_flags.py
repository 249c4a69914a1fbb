# hpcest-case: codes=
from azureml.train.estimator import Estimator

est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct,
                script_params={"--layers": [64, 32], "--verbose": "", "--skip": None, "--seed": 0,
                               "--tags": ("a", "b"), "--off": False})
