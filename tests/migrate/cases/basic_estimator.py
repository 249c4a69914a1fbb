# hpcest-case: codes=
from azureml.core import Experiment
from azureml.train.estimator import Estimator

est = Estimator(
    source_directory="src",
    entry_script="train.py",
    script_params={"--epochs": 10, "--lr": 0.01},
    compute_target="cpu-cluster",
)
run = Experiment(ws, "demo").submit(est)
