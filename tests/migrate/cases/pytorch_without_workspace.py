# hpcest-case: codes=
from azureml.train.dnn import PyTorch

est = PyTorch(source_directory=".", entry_script="train.py", compute_target=gpu, framework_version="1.5",
              use_gpu=True, pip_packages=["pillow"])
