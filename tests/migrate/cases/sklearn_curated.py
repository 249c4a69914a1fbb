# hpcest-case: codes=
from azureml.core import Workspace
from azureml.train.sklearn import SKLearn

ws = Workspace.from_config()
est = SKLearn(source_directory=".", entry_script="train_iris.py", compute_target=cpu,
              script_params={"--kernel": "linear", "--penalty": 1.0})
