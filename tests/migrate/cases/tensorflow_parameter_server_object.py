# hpcest-case: codes=
from azureml.core import Workspace
from azureml.train.dnn import TensorFlow, ParameterServer

ws = Workspace.get(name="ws", subscription_id="s", resource_group="rg")
est = TensorFlow(source_directory=".", entry_script="tf.py", compute_target=gpu, node_count=2,
                 distributed_training=ParameterServer(worker_count=2, parameter_server_count=1),
                 framework_version="2.0", use_gpu=True)
