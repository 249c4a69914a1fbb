"""--target hpcest output runs against the real hpc_estimator package (construction only, no submit)."""

from __future__ import annotations

import pytest

from migrate.transform import migrate_source

SOURCE = """\
from azureml.train.dnn import PyTorch, Mpi
est = PyTorch(source_directory=".", entry_script="train.py", compute_target="local", node_count=2,
              distributed_training=Mpi(2), pip_packages=["numpy"], framework_version="1.6",
              script_params={"--lr": 0.1, "--flag": "", "--layers": [3, 4]}, environment_variables={"A": "1"})
"""


def test_migrated_code_builds_an_hpc_estimator_script_run_config() -> None:
    """The rewrite's objects are what hpc_estimator needs: same argv, env vars and MPI layout as v1."""
    hpc_estimator = pytest.importorskip("hpc_estimator")
    result = migrate_source(SOURCE, target="hpcest")
    assert "from hpc_estimator import" in result.code
    assert "from azureml" not in result.code and "import azureml" not in result.code
    assert "azureml-defaults" not in result.code  # an Azure run-time package a Slurm job does not need
    namespace: dict[str, object] = {}
    exec(compile(result.code, "<migrated>", "exec"), namespace)
    est = namespace["est"]
    assert isinstance(est, hpc_estimator.ScriptRunConfig)
    assert est.arguments == ["--lr", 0.1, "--flag", "--layers", 3, 4]
    assert est.run_config.environment_variables == {"A": "1"}
    assert (est.run_config.mpi.process_count_per_node, est.run_config.mpi.node_count) == (2, 2)
