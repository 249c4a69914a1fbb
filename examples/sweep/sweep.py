"""A v1 HyperDrive sweep, unchanged: `hpcest submit examples/sweep/sweep.py:hd_config --wait`.

Needs a cluster profile named "cluster" in hpcest.toml (`hpcest cluster add cluster ...`).
"""

import os

from hpc_estimator import (
    BanditPolicy,
    HyperDriveConfig,
    PrimaryMetricGoal,
    RandomParameterSampling,
    ScriptRunConfig,
    choice,
    loguniform,
)

src = ScriptRunConfig(
    source_directory=os.path.dirname(os.path.abspath(__file__)),
    script="train.py",
    arguments=["--epochs", 8],
    compute_target=os.environ.get("HPCEST_EXAMPLE_TARGET", "cluster"),
)
sampling = RandomParameterSampling(
    {"learning_rate": loguniform(-6, 0), "batch_size": choice(16, 32, 64)}, properties={"seed": 42}
)
hd_config = HyperDriveConfig(
    run_config=src,
    hyperparameter_sampling=sampling,
    policy=BanditPolicy(evaluation_interval=1, slack_factor=0.2, delay_evaluation=3),
    primary_metric_name="accuracy",
    primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
    max_total_runs=12,
    max_concurrent_runs=4,
)
