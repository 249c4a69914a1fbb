# hpcest-case: codes=
from azureml.pipeline.steps import EstimatorStep
from azureml.train.estimator import Estimator

est = Estimator(source_directory="src", entry_script="train.py", compute_target=cpu, conda_packages=["scikit-learn"])
step = EstimatorStep(name="train", estimator=est, estimator_entry_script_arguments=["--data", data, "--out", out],
                     inputs=[data], outputs=[out], compute_target=cpu, allow_reuse=False)
