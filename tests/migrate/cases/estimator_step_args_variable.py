# hpcest-case: codes=
from azureml.pipeline.steps import EstimatorStep
from azureml.train.estimator import Estimator

est = Estimator(source_directory="src", entry_script="train.py", compute_target=cpu)
step = EstimatorStep(name="train", estimator=est, estimator_entry_script_arguments=step_args,
                     runconfig_pipeline_params={"NodeCount": nodes}, compute_target=cpu, version="2")
