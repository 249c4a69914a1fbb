# hpcest-case: codes=HPP301,HPP302,HPP303,HPP304,HPP305
from azureml.train.dnn import TensorFlow

est = TensorFlow(source_directory=".", entry_script="tf.py", compute_target=ct, framework_version="2.1",
                 pip_packages=["tensorflow-gpu==1.15", "sklearn", "numpy==1.18", "numpy==1.19", "horovod",
                               "bad requirement!!"],
                 conda_packages=["scipy", "not a conda spec"])
