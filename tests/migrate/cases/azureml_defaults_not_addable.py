# hpcest-case: codes=HPP306
from azureml.train.estimator import Estimator

est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct, pip_packages=PACKAGES)
