# hpcest-case: codes=
from azureml.core import Workspace
from azureml.train.dnn import TensorFlow

ws = Workspace.from_config()
est = TensorFlow(source_directory=".", entry_script="tf.py", compute_target=ct, framework_version="2.2",
                 resume_from=model_location, max_run_duration_seconds=3600)
