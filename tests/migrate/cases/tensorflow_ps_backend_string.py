# hpcest-case: codes=HPL202
from azureml.core import Workspace
from azureml.train.dnn import TensorFlow

ws = Workspace.from_config()
est = TensorFlow(source_directory=".", entry_script="tf.py", compute_target=gpu, node_count=3,
                 worker_count=3, parameter_server_count=1, distributed_backend="ps")
