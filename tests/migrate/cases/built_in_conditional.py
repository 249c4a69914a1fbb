# hpcest-case: codes=
from azureml.train.estimator import Estimator

if use_gpu:
    est = Estimator(source_directory=".", entry_script="train.py", compute_target=gpu, use_gpu=True)
else:
    est = Estimator(source_directory=".", entry_script="train.py", compute_target=cpu)
run = exp.submit(est)
