"""A three-step pipeline as v1 code wrote it: prepare -> train (MPI, 2 nodes x 2 ranks) -> evaluate.

Data passes between the steps through PipelineData: ``prepare`` writes ``prepared`` (a file of
numbers), the MPI ``train`` step (an EstimatorStep) reads it and writes ``model``, and the
``evaluate`` CommandStep reads both, the numbers as a downloaded copy. Submit with::

    hpcest submit examples/pipeline/pipeline.py:pipeline --target <cluster> --wait [--param count=50000]

Submitting it again runs nothing: every step is reused (allow_reuse=True, v1's default).
"""

import os

from hpc_estimator import (
    CommandStep,
    DockerConfiguration,
    Estimator,
    EstimatorStep,
    Mpi,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PythonScriptStep,
    RunConfiguration,
    Workspace,
)

ws = Workspace.from_config()
src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "src")
cluster = "mycluster"

# The steps use the cluster's own Python and mpi4py; drop use_docker=False to run them in an image.
bare = RunConfiguration()
bare.docker = DockerConfiguration(use_docker=False)

prepared = PipelineData("prepared")
model = PipelineData("model")
count = PipelineParameter("count", default_value=10000)

prepare = PythonScriptStep(
    "prepare.py",
    name="prepare",
    arguments=["--count", count, "--out", prepared],
    outputs=[prepared],
    runconfig=bare,
    compute_target=cluster,
    source_directory=src,
)

estimator = Estimator(
    source_directory=src,
    entry_script="train.py",
    compute_target=cluster,
    node_count=2,
    distributed_training=Mpi(process_count_per_node=2),
    use_docker=False,
)
train = EstimatorStep(
    name="train",
    estimator=estimator,
    estimator_entry_script_arguments=["--data", prepared, "--model", model],
    inputs=[prepared],
    outputs=[model],
    compute_target=cluster,
)

numbers = prepared.as_download("numbers")
evaluate = CommandStep(
    command=["python evaluate.py --model", model, "--data", numbers],
    name="evaluate",
    inputs=[model, numbers],
    runconfig=bare,
    compute_target=cluster,
    source_directory=src,
)

pipeline = Pipeline(workspace=ws, steps=[prepare, train, evaluate], description="prepare, train, evaluate")
