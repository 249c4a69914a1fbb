"""A v1 notebook with HyperDriveConfig(estimator=...), migrated with ``--target hpcest``, runs unchanged.

The notebook is what v1 users wrote (Workspace.from_config, an Estimator, a Bandit policy,
``exp.submit(hd_config)``, the best run); ``python -m migrate --target hpcest --write`` rewrites
it in place, and its code cells then run one after another in one namespace, as a kernel runs
them, against the local Slurm cluster.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from hpc_estimator import Workspace
from hpc_estimator.runs.run import Run
from hpc_estimator.testing import local_cluster as lc

ROOT = Path(__file__).resolve().parents[2]

CELLS = [
    """\
    from azureml.core import Experiment, Workspace
    from azureml.train.estimator import Estimator
    from azureml.train.hyperdrive import (BanditPolicy, HyperDriveConfig, PrimaryMetricGoal,
                                          RandomParameterSampling, choice, uniform)

    ws = Workspace.from_config()
    exp = Experiment(workspace=ws, name="nb-sweep")
    """,
    """\
    est = Estimator(source_directory="./src", entry_script="train.py", compute_target="cluster",
                    script_params={"--epochs": 3})
    """,
    """\
    sampling = RandomParameterSampling({"--lr": uniform(0.01, 0.1), "--layers": choice(1, 2, 3)},
                                       properties={"seed": 3})
    hd_config = HyperDriveConfig(estimator=est, hyperparameter_sampling=sampling,
                                 policy=BanditPolicy(evaluation_interval=1, slack_factor=0.1, delay_evaluation=2),
                                 primary_metric_name="accuracy", primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
                                 max_total_runs=4, max_concurrent_runs=4)
    run = exp.submit(hd_config)
    run.wait_for_completion(show_output=True)
    """,
    """\
    best = run.get_best_run_by_primary_metric()
    print("best run:", best.id)
    print("parameters:", run.get_hyperparameters()[best.id])
    """,
]

TRAIN = """\
import argparse, time
from azureml.core import Run

p = argparse.ArgumentParser()
p.add_argument("--lr", type=float)
p.add_argument("--layers", type=int)
p.add_argument("--epochs", type=int, default=3)
args = p.parse_args()
run = Run.get_context()
for epoch in range(1, args.epochs + 1):
    run.log("accuracy", args.lr * args.layers * epoch / args.epochs)
    time.sleep(0.5)
"""

# Code cells in order, in one namespace, the notebook's folder as the working directory.
RUN_CELLS = """\
import json, sys
namespace = {"__name__": "__main__"}
cells = [c for c in json.load(open(sys.argv[1]))["cells"] if c["cell_type"] == "code"]
for i, cell in enumerate(cells):
    exec(compile("".join(cell["source"]), f"<cell {i}>", "exec"), namespace)
"""


def _notebook(cells: list[str]) -> dict:
    code = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
             "source": textwrap.dedent(c).splitlines(True)} for c in cells]
    intro = {"cell_type": "markdown", "metadata": {}, "source": ["# Tune the model with HyperDrive\n"]}
    return {"cells": [intro, *code], "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
            "language": "python"}}, "nbformat": 4, "nbformat_minor": 5}


def _code(path: Path) -> str:
    return "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")


@pytest.fixture
def project(local_cluster: lc.LocalCluster) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="hpcest-migrate-nb-"))
    try:
        ws = Workspace.create(path, name="notebook")
        ws.add_profile("cluster", {"transport": "local", "workdir": str(path / "cluster-work"),
                                   "partition": local_cluster.partition, "gpus_per_node": local_cluster.gpus_per_node,
                                   "container_runtime": "none", "python": sys.executable})
        ws.close()
        (path / "src").mkdir()
        (path / "src" / "train.py").write_text(TRAIN)
        (path / "sweep.ipynb").write_text(json.dumps(_notebook(CELLS), indent=1))
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_migrated_hyperdrive_notebook_runs_on_the_cluster(project: Path) -> None:
    notebook = project / "sweep.ipynb"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
           "HPCEST_SWEEP_TICK": "1"}
    env.pop("HPCEST_WORKSPACE", None)
    migrated = subprocess.run([sys.executable, "-m", "migrate", "--target", "hpcest", "--write", str(notebook)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    code = _code(notebook)
    modules = {n.module for n in ast.walk(ast.parse(code)) if isinstance(n, ast.ImportFrom)}
    assert modules == {"hpc_estimator"}, code
    assert "HyperDriveConfig(run_config=est," in code and "ScriptRunConfig(" in code
    assert json.loads(notebook.read_text())["cells"][0]["cell_type"] == "markdown"

    (project / "run_cells.py").write_text(RUN_CELLS)
    ran = subprocess.run([sys.executable, "run_cells.py", notebook.name], cwd=project, env=env,
                         capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    lines = ran.stdout.splitlines()
    best_id = next(ln.split(": ", 1)[1] for ln in lines if ln.startswith("best run: "))
    sweep_id = best_id.rsplit("_", 1)[0]
    assert f"HyperDrive run {sweep_id}: Completed" in lines

    ws = Workspace.from_config(str(project))
    try:
        sweep = Run.get(ws, sweep_id)
        hyper = {k: json.loads(v) for k, v in sweep.get_hyperparameters().items()}  # type: ignore[attr-defined]
        assert len(hyper) == 4
        # The last logged accuracy is lr * layers: the largest product is the best run (never stopped,
        # being the best at every interval).
        assert best_id == max(hyper, key=lambda k: hyper[k]["--lr"] * hyper[k]["--layers"])
        assert f"parameters: {json.dumps(hyper[best_id])}" in lines
        statuses = {child.id: child.get_status() for child in sweep.get_children()}  # type: ignore[attr-defined]
        assert set(statuses.values()) <= {"Completed", "Canceled"} and statuses[best_id] == "Completed"
        # The estimator's own script_params reached every trial with the sampled values: --epochs 3.
        best = Run.get(ws, best_id)
        assert len(best.get_metrics()["accuracy"]) == 3
    finally:
        ws.close()
