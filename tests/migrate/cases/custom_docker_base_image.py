# hpcest-case: codes=HPL202
from azureml.train.estimator import Estimator

est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct,
                custom_docker_base_image="myregistry.azurecr.io/train:1", image_registry_details=registry,
                user_managed=True)
