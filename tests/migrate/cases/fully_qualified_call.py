# hpcest-case: codes=
import azureml.train.estimator

est = azureml.train.estimator.Estimator(source_directory=".", entry_script="train.py", compute_target=ct)
