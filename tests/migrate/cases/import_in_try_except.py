# hpcest-case: codes=
try:
    from azureml.train.estimator import Estimator
except ImportError:
    Estimator = None

est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct)
