# hpcest-case: codes=HPL201
from azureml.train.estimator import Estimator

est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct, inputs=[ds.as_mount()])
