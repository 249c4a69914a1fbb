"""PyTorch DDP on 2 nodes x 4 GPUs, as v1 code did it from SDK 1.22 on (one process per GPU).

`hpcest submit examples/pytorch_ddp/job.py:src --dry-run --target gpucluster` shows the job.

`estimator` is the older form of the same job. Beware what it meant in v1: with Nccl() a PyTorch
estimator started ONE process per node (here 2), whatever process_count_per_node said; the script
was expected to spawn one process per GPU itself. hpcest does exactly that, and says so.
"""

import os

from hpc_estimator import Environment, Nccl, PyTorch, PyTorchConfiguration, ScriptRunConfig

HERE = os.path.dirname(os.path.abspath(__file__))

src = ScriptRunConfig(
    source_directory=HERE,
    script="train.py",
    arguments=["--epochs", 10, "--lr", 0.01],
    compute_target="gpucluster",
    environment=Environment.get(None, "AzureML-PyTorch-1.6-GPU"),  # v1's curated environment
    distributed_job_config=PyTorchConfiguration(communication_backend="Nccl", process_count=8, node_count=2),
    max_run_duration_seconds=4 * 3600,
)

estimator = PyTorch(
    source_directory=HERE,
    compute_target="gpucluster",
    entry_script="train.py",
    script_params={"--epochs": 10, "--lr": 0.01},
    node_count=2,
    process_count_per_node=4,  # not used with Nccl(): v1 ran one process per node
    distributed_training=Nccl(),
    use_gpu=True,
    framework_version="1.6",
    max_run_duration_seconds=4 * 3600,
)
