# hpcest-case: codes=HPL202
from azureml.train.estimator import Estimator

est = Estimator(source_directory=src_dir, entry_script="train.py", compute_target=ct,
                pip_requirements_file_path="requirements.txt")
