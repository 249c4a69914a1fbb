# hpcest-case: codes=HPM101,HPM107
from azureml.pipeline.steps import EstimatorStep
from azureml.train.estimator import Estimator

est = Estimator(source_directory="src", entry_script="train.py", compute_target=cpu, script_params=make())
step = EstimatorStep(name="train", estimator=est, estimator_entry_script_arguments=[], compute_target=cpu)
