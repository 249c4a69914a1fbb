"""A v1 PyTorch estimator: 2 nodes x 4 GPUs, NCCL. `hpcest submit job.py:estimator --dry-run --target gpucluster`."""

import os

from hpc_estimator import Nccl, PyTorch

estimator = PyTorch(
    source_directory=os.path.dirname(os.path.abspath(__file__)),
    compute_target="gpucluster",
    entry_script="train.py",
    script_params={"--epochs": 10, "--lr": 0.01},
    node_count=2,
    process_count_per_node=4,
    distributed_training=Nccl(),
    use_gpu=True,
    framework_version="1.6",
    max_run_duration_seconds=4 * 3600,
)
