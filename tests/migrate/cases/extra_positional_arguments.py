# hpcest-case: codes=HPM104
from azureml.train.estimator import Estimator

est = Estimator(".", "train.py")
