"""The estimator, exactly as Azure ML v1 code builds it; `hpcest submit job.py:estimator` runs it."""

import os

from hpc_estimator import Estimator

HERE = os.path.dirname(os.path.abspath(__file__))

estimator = Estimator(
    source_directory=HERE,
    compute_target="local",
    entry_script="train.py",
    script_params={"--learning-rate": 0.1, "--epochs": 30, "--verbose": ""},
    use_docker=False,
)
