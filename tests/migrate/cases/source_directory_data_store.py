# hpcest-case: codes=HPL201
from azureml.train.estimator import Estimator

est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct, source_directory_data_store=store,
                environment_variables={"A": "1"})
