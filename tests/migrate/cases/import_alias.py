# hpcest-case: codes=
from azureml.train.estimator import Estimator as AmlEstimator

est = AmlEstimator(source_directory=".", entry_script="train.py", compute_target=ct)
