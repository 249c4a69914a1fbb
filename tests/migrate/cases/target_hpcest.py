# hpcest-case: codes= target=hpcest
from azureml.pipeline.steps import EstimatorStep
from azureml.train.dnn import PyTorch, Nccl

est = PyTorch(source_directory=".", entry_script="train.py", compute_target="gpu-cluster", node_count=2,
              distributed_training=Nccl(), pip_packages=["transformers"], framework_version="1.6", use_gpu=True)
step = EstimatorStep(name="train", estimator=est, estimator_entry_script_arguments=[], compute_target="gpu-cluster")
