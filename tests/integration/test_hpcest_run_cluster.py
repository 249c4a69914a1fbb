"""``hpcest run`` on the real local Slurm cluster: the notebooks of tests/data/notebooks, unmodified.

Through the local transport ("slurm") and SSH ("ssh"): the compute-target try/except/create
pattern finds the profile, the datastore upload lands in the cluster's shared directory and the
registered FileDataset is mounted into the Estimator's job, a PyTorch MPI estimator runs its four
ranks over two nodes, an EstimatorStep pipeline runs as one dependency graph, and the model the
run wrote is registered and downloaded. The same notebooks on compute_target="local" are in
tests/test_hpcest_run.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hpc_estimator import Workspace
from hpc_estimator.testing import local_cluster as lc

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "tests" / "data" / "notebooks"
SCRIPTS = ROOT / "tests" / "data" / "v1_scripts"
TARGETS = ["slurm", "ssh"]


def workdir(root: Path, target: str) -> Path:
    return root / f"cluster-work-{target}"


@pytest.fixture(scope="module")
def project(local_cluster: lc.LocalCluster) -> Iterator[Path]:
    assert local_cluster.ssh is not None
    root = Path(tempfile.mkdtemp(prefix="hpcest-run-"))
    ws = Workspace.create(root, name="notebooks")
    common = {
        "partition": local_cluster.partition,
        "gpus_per_node": local_cluster.gpus_per_node,
        "container_runtime": "none",
        "python": sys.executable,
        "image_cache": str(root / "images"),
    }
    # One workdir per target: the ssh case must not find the files (datastore, content store) of the
    # slurm case.
    ws.add_profile("slurm", {"transport": "local", "workdir": str(workdir(root, "slurm")), **common})
    ws.add_profile("ssh", {"transport": "ssh", "host": local_cluster.ssh.alias, "workdir": str(workdir(root, "ssh")),
                           "ssh_config": str(local_cluster.ssh.ssh_config), **common})
    ws.close()
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def hpcest_run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HPCEST_WORKSPACE", "HPCEST_TARGET")}
    env.update(PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-m", "hpc_estimator", "run", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def copy_in(project: Path, target: str, *names: str) -> Path:
    """A folder of the project for one target (each notebook writes its files beside itself)."""
    folder = project / f"nb-{target}"
    folder.mkdir(exist_ok=True)
    for name in names:
        source = NOTEBOOKS / name if (NOTEBOOKS / name).exists() else SCRIPTS / name
        shutil.copy(source, folder)
    return folder


@pytest.mark.parametrize("target", TARGETS)
def test_dataset_notebook_uploads_mounts_trains_and_registers(project: Path, target: str) -> None:
    folder = copy_in(project, target, "train-with-dataset.ipynb")
    result = hpcest_run(folder, "train-with-dataset.ipynb", "--target", target)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Found existing compute target." in out and f"cluster profile '{target}'" in out
    assert "fitted y = 3.000 x + 2.000 on 50 points" in out and "{'slope': 3.0, 'intercept': 2.0}" in out
    assert "['3.0', '2.0']" in out
    stored = workdir(project, target) / "datastores" / "workspaceblobstore" / "points" / "points.csv"
    assert stored.read_text().startswith("x,y\n0,2\n1,5\n")
    assert "(1 new contents sent)" in result.stderr, result.stderr
    # The upload went through the content store: a second run of the cell sends no new content.
    again = hpcest_run(folder, "train-with-dataset.ipynb", "--target", target, "--cells", "1-4")
    assert again.returncode == 0, again.stderr
    assert "(0 new contents sent)" in again.stderr


@pytest.mark.parametrize("target", TARGETS)
def test_pytorch_mpi_notebook_runs_four_ranks_on_two_nodes(project: Path, target: str) -> None:
    folder = copy_in(project, target, "pytorch-mpi.ipynb")
    result = hpcest_run(folder, "pytorch-mpi.ipynb", "--target", target)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "{'world_size': 4}" in result.stdout
    assert "['outputs/rank-0.txt', 'outputs/rank-1.txt', 'outputs/rank-2.txt', 'outputs/rank-3.txt']" in result.stdout
    assert "rank 0 of 4 (local rank 0)" in result.stdout


@pytest.mark.parametrize("target", TARGETS)
def test_estimator_step_pipeline_notebook(project: Path, target: str) -> None:
    folder = copy_in(project, target, "estimator-step-pipeline.ipynb")
    result = hpcest_run(folder, "estimator-step-pipeline.ipynb", "--target", target)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "'Finished'" in result.stdout and "train Finished {'total': 285}" in result.stdout


def test_script_with_script_run_config_and_model_registration(project: Path) -> None:
    folder = copy_in(project, "script", "submit_script_run.py")
    result = hpcest_run(folder, "submit_script_run.py", "--target", "slurm", "--", "--experiment", "on-slurm")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "registered linear:" in result.stdout and "['config.txt', 'weights.txt']" in result.stdout


@pytest.mark.parametrize("target", TARGETS)
def test_hyperdrive_notebook_sweeps_and_registers_the_best_run(project: Path, target: str) -> None:
    folder = copy_in(project, target, "hyperdrive-sweep.ipynb")
    result = hpcest_run(folder, "hyperdrive-sweep.ipynb", "--target", target)
    assert result.returncode == 0, result.stdout + result.stderr
    # lr=0.3 converges fastest on (w - 3)^2: its trial has the lowest final loss.
    assert "best run arguments: ['--learning-rate', '0.3']" in result.stdout
    assert "w-fit 1 True" in result.stdout or "w-fit 2 True" in result.stdout
