# hpcest-case: codes=
from azureml.train.estimator import Estimator

params = {"--data-folder": dataset.as_named_input("mnist").as_mount()}
params["--batch-size"] = 64
params["--data-folder"] = ds.as_download()
est = Estimator(source_directory=".", entry_script="train.py", script_params=params, compute_target=ct)
