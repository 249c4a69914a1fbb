"""A HyperDriveStep in a pipeline on the real local Slurm cluster, through "slurm" and "ssh".

prepare (PythonScriptStep) -> sweep (HyperDriveStep: Grid over 3 learning rates, max_concurrent 3,
a Bandit policy so the controller runs too) -> check (PythonScriptStep reading metrics_output and
the best model, TrainingOutput("Model", model_file="outputs/model.pkl")). Every trial reads the
prepared input; the check step writes what it found, compared here with the sweep's own children.
An unchanged pipeline is reused whole. A sweep whose trials all fail fails the pipeline and cancels
the step after it; cancelling the pipeline stops the arrays, the controller and the finish job; a
Bayesian sweep step gets its trials from its controller. Every sbatch goes through a recording
wrapper (a PATH shim that logs its arguments and execs the real sbatch).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hpc_estimator import (
    BanditPolicy,
    BayesianParameterSampling,
    Experiment,
    GridParameterSampling,
    HyperDriveConfig,
    HyperDriveStep,
    HyperDriveStepRun,
    Pipeline,
    PipelineData,
    PipelineRun,
    PrimaryMetricGoal,
    PythonScriptStep,
    ScriptRunConfig,
    TrainingOutput,
    Workspace,
    choice,
)
from hpc_estimator.backends import close_all
from hpc_estimator.cli import pipeline as pipeline_cli
from hpc_estimator.cli import sweep as sweep_cli
from hpc_estimator.runs.pipeline_submission import submit_pipeline
from hpc_estimator.testing import local_cluster as lc
from tests import pipeline_graphs as graphs

TARGETS = ["slurm", "ssh"]

PREPARE = """
import argparse, os
p = argparse.ArgumentParser(); p.add_argument("--out"); a = p.parse_args()
os.makedirs(a.out, exist_ok=True)
open(os.path.join(a.out, "offset.txt"), "w").write("0.5\\n")
"""

TRAIN = """
import argparse, json, os, sys, time
from azureml.core import Run
p = argparse.ArgumentParser()
p.add_argument("--data"); p.add_argument("--lr", type=float); p.add_argument("--fail", type=int, default=0)
p.add_argument("--sleep", type=float, default=0.5)
a = p.parse_args()
if a.fail:
    sys.exit("this trial fails on purpose")
offset = float(open(os.path.join(a.data, "offset.txt")).read())
run = Run.get_context()
accuracy = round(offset + 1.0 - abs(a.lr - 0.2), 6)  # best at lr = 0.2
for epoch in range(3):
    run.log("accuracy", round(accuracy - 0.01 * (2 - epoch), 6))
    time.sleep(a.sleep)
run.log("lr", a.lr)
os.makedirs("outputs", exist_ok=True)
with open("outputs/model.pkl", "w") as f:
    json.dump({"lr": a.lr, "accuracy": accuracy}, f)
"""

CHECK = """
import argparse, json, os
p = argparse.ArgumentParser(); p.add_argument("--metrics"); p.add_argument("--model"); a = p.parse_args()
found = {
    "metrics": json.load(open(os.path.join(a.metrics, "metrics.json"))),
    "model": json.load(open(os.path.join(a.model, "outputs", "model.pkl"))),
    "metrics_dir": sorted(os.listdir(a.metrics)),
}
os.makedirs("outputs", exist_ok=True)
json.dump(found, open("outputs/found.json", "w"))
print("found", found["model"])
"""


class Sbatch:
    """A directory to put first on PATH whose sbatch logs its arguments, then runs the real one."""

    def __init__(self, root: Path) -> None:
        real = shutil.which("sbatch")
        assert real, "sbatch is not installed"
        self.dir = root / "shim"
        self.dir.mkdir(parents=True)
        self.log = root / "sbatch-calls.log"
        self.log.touch()
        shim = self.dir / "sbatch"
        shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {self.log}\nexec {real} "$@"\n')
        shim.chmod(0o755)

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines()


@pytest.fixture(scope="module")
def setup(local_cluster: lc.LocalCluster) -> Iterator[tuple[Sbatch, Workspace]]:
    assert local_cluster.ssh is not None
    root = Path(tempfile.mkdtemp(prefix="hpcest-hdstep-"))
    sbatch = Sbatch(root)
    ws = Workspace.create(root, name="hdstep")
    common = {
        "workdir": str(root / "cluster-work"),
        "partition": local_cluster.partition,
        "gpus_per_node": local_cluster.gpus_per_node,
        "container_runtime": "none",
        "python": sys.executable,
        "image_cache": str(root / "images"),
        "max_array_size": local_cluster.max_array_size,
        "client_env": {"PATH": f"{sbatch.dir}:{os.environ['PATH']}"},
    }
    ws.add_profile("slurm", {"transport": "local", **common})
    ws.add_profile("ssh", {"transport": "ssh", "host": local_cluster.ssh.alias,
                           "ssh_config": str(local_cluster.ssh.ssh_config), **common})
    old = {k: os.environ.get(k) for k in ("HPCEST_SWEEP_TICK", "HPCEST_SWEEP_KILL_GRACE")}
    os.environ["HPCEST_SWEEP_TICK"] = "1"
    os.environ["HPCEST_SWEEP_KILL_GRACE"] = "5"
    try:
        yield sbatch, ws
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        close_all()
        ws.close()
        shutil.rmtree(root, ignore_errors=True)


def _sources(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in (("prepare.py", PREPARE), ("train.py", TRAIN), ("check.py", CHECK)):
        (root / name).write_text(textwrap.dedent(text))
    return root


def _pipeline(ws: Workspace, src: Path, target: str, *, fail: bool = False, sleep: float | None = None,
              sampling: Any = None, total: int = 3) -> Pipeline:
    prepared = PipelineData("prepared")
    metrics = PipelineData("metrics", pipeline_output_name="sweep_metrics")
    model = PipelineData("best_model", pipeline_output_name="model_output",
                         training_output=TrainingOutput("Model", model_file="outputs/model.pkl"))
    prepare = PythonScriptStep("prepare.py", name="prepare", arguments=["--out", prepared], outputs=[prepared],
                               compute_target=target, source_directory=str(src), runconfig=graphs.bare())
    trial = ScriptRunConfig(source_directory=str(src), script="train.py", compute_target=target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = HyperDriveConfig(
            run_config=trial,
            hyperparameter_sampling=sampling or GridParameterSampling({"--lr": choice(0.1, 0.2, 0.4)}),
            policy=None if sampling is not None else BanditPolicy(evaluation_interval=1, slack_amount=100.0),
            primary_metric_name="accuracy", primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
            max_total_runs=total, max_concurrent_runs=3 if sampling is None else 2,
        )
    arguments: list[Any] = ["--data", prepared, *(["--fail", 1] if fail else []),
                            *(["--sleep", sleep] if sleep is not None else [])]
    sweep = HyperDriveStep("sweep", config, estimator_entry_script_arguments=arguments, inputs=[prepared],
                           outputs=[model], metrics_output=metrics)
    check = PythonScriptStep("check.py", name="check", arguments=["--metrics", metrics, "--model", model],
                             inputs=[metrics, model], compute_target=target, source_directory=str(src),
                             runconfig=graphs.bare())
    return Pipeline(ws, [prepare, sweep, check])


def _submit(ws: Workspace, pipeline: Pipeline) -> PipelineRun:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        record = submit_pipeline(ws, "hdstep", pipeline)
    return PipelineRun(Experiment(ws, "hdstep"), record.run_id)


@pytest.mark.parametrize("target", TARGETS)
def test_next_step_reads_all_metrics_and_the_best_trials_model(
    setup: tuple[Sbatch, Workspace], target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sbatch, ws = setup
    before = len(sbatch.calls())
    run = _submit(ws, _pipeline(ws, _sources(tmp_path / "src"), target))
    calls = sbatch.calls()[before:]
    # prepare, one array of 3 trials (%3), the controller (Bandit), the finish job, check: one graph.
    assert len(calls) == 5, calls
    assert sum("--array=0-2%3" in c for c in calls) == 1
    assert run.wait_for_completion(show_output=False, timeout_seconds=600) == "Finished", run.get_details()

    (step,) = run.find_step_run("sweep")
    assert isinstance(step, HyperDriveStepRun)
    assert step.get_status() == "Completed"
    children = step.get_children()
    assert len(children) == 3 and all(c.get_status() == "Completed" for c in children)
    best = step.get_best_run_by_primary_metric()
    assert best is not None and json.loads(step.get_hyperparameters()[best.id]) == {"--lr": 0.2}
    metrics = step.get_metrics()
    assert sorted(metrics) == sorted(c.id for c in children)
    assert all(len(m["accuracy"]) == 3 for m in metrics.values())

    (check,) = run.find_step_run("check")
    check.download_file("outputs/found.json", str(tmp_path / "found.json"))
    found = json.loads((tmp_path / "found.json").read_text())
    assert found["model"] == {"lr": 0.2, "accuracy": 1.5}  # exactly the best trial's file
    assert found["metrics"] == json.loads(json.dumps(metrics))  # every child's metrics, v1's shape
    assert found["metrics_dir"] == ["metrics.json"]
    downloaded = run.get_pipeline_output("model_output").download(str(tmp_path / "out"))
    assert json.loads((Path(downloaded) / "outputs" / "model.pkl").read_text())["lr"] == 0.2
    assert [s.name for s in run.get_steps()] == ["prepare", "sweep", "check"]
    pipeline_cli.status(ws, ws.run_store.get(run.id), as_json=False)
    table = capsys.readouterr().out
    assert "HyperDrive: 3/3 trial(s) completed" in table and step.id in table
    sweep_cli.show_sweep(ws, step.id, as_json=False, plot=None)  # `hpcest status STEP_RUN`: trials, best first
    trials = capsys.readouterr().out.splitlines()
    assert trials[0].startswith(f"sweep {step.id}: Completed") and "--lr=0.2" in trials[3]
    assert step.wait_for_completion(show_output=False)["status"] == "Completed"

    # Unchanged, the whole pipeline is reused: no job at all; the step still reads as a HyperDriveStepRun.
    before = len(sbatch.calls())
    again = _submit(ws, _pipeline(ws, tmp_path / "src", target))
    assert len(sbatch.calls()) == before
    assert again.get_status() == "Finished"
    (reused,) = again.find_step_run("sweep")
    assert isinstance(reused, HyperDriveStepRun) and reused.is_reused


@pytest.mark.parametrize("target", TARGETS)
def test_a_sweep_whose_trials_all_fail_fails_the_pipeline_and_skips_downstream(
    setup: tuple[Sbatch, Workspace], target: str, tmp_path: Path
) -> None:
    _, ws = setup
    run = _submit(ws, _pipeline(ws, _sources(tmp_path / "src"), target, fail=True))
    assert run.wait_for_completion(show_output=False, timeout_seconds=600, raise_on_error=False) == "Failed"
    (step,) = run.find_step_run("sweep")
    assert step.get_status() == "Failed"
    assert all(c.get_status() == "Failed" for c in step.get_children())
    (check,) = run.find_step_run("check")
    assert check.get_status() == "Canceled"
    assert "sweep" in (run.record.status_detail or "")


def test_cancel_stops_the_sweeps_arrays_controller_and_finish_job_together(
    setup: tuple[Sbatch, Workspace], tmp_path: Path
) -> None:
    import subprocess
    import time

    _, ws = setup
    run = _submit(ws, _pipeline(ws, _sources(tmp_path / "src"), "slurm", sleep=120))
    (step,) = run.find_step_run("sweep")
    deadline = time.monotonic() + 120
    while step.get_status() != "Running":
        assert time.monotonic() < deadline, "the sweep step never started"
        time.sleep(1)
    record = ws.run_store.get(step.id)
    ids = [*record.properties["array_jobs"], record.properties["controller_job"], record.job_id]
    run.cancel()
    assert run.wait_for_completion(show_output=False, timeout_seconds=120, raise_on_error=False) == "Canceled"
    listed = subprocess.run(["squeue", "--noheader", "--array", f"--jobs={','.join(ids)}", "--format=%i %T"],
                            capture_output=True, text=True, check=False).stdout.split()
    assert not [w for w in listed if w in ("RUNNING", "PENDING")], listed
    assert step.get_status() == "Canceled"
    assert {c.get_status() for c in step.get_children()} == {"Canceled"}
    (check,) = run.find_step_run("check")
    assert check.get_status() == "Canceled"


def test_a_bayesian_sweep_step_submits_its_trials_from_the_controller(
    setup: tuple[Sbatch, Workspace], tmp_path: Path
) -> None:
    _, ws = setup
    sampling = BayesianParameterSampling({"--lr": choice(0.1, 0.2, 0.4)}, properties={"seed": 3})
    run = _submit(ws, _pipeline(ws, _sources(tmp_path / "src"), "slurm", sampling=sampling, total=4))
    assert run.wait_for_completion(show_output=False, timeout_seconds=600) == "Finished", run.get_details()
    (step,) = run.find_step_run("sweep")
    children = step.get_children()
    assert len(children) == 4 and all(c.get_status() == "Completed" for c in children)
    best = step.get_best_run_by_primary_metric()
    assert best is not None
    (check,) = run.find_step_run("check")
    check.download_file("outputs/found.json", str(tmp_path / "found.json"))
    found = json.loads((tmp_path / "found.json").read_text())
    assert found["model"]["lr"] == json.loads(step.get_hyperparameters()[best.id])["--lr"]
    assert sorted(found["metrics"]) == sorted(c.id for c in children)


def test_cancel_reaches_the_trials_of_a_bayesian_step_s_controller(
    setup: tuple[Sbatch, Workspace], tmp_path: Path
) -> None:
    """The pipeline is canceled before the client has seen a trial: its controller's arrays are
    found on the cluster (trials.jsonl), marked and canceled with the step."""
    import subprocess
    import time

    from hpc_estimator.sweep import files

    _, ws = setup
    sampling = BayesianParameterSampling({"--lr": choice(0.1, 0.2, 0.4)}, properties={"seed": 4})
    run = _submit(ws, _pipeline(ws, _sources(tmp_path / "src"), "slurm", sampling=sampling, total=4, sleep=120))
    (step,) = run.find_step_run("sweep")
    trials_file = Path(ws.run_store.get(step.id).remote_dir or "") / files.TRIALS_FILE
    deadline = time.monotonic() + 180
    while len(files.parse_lines(trials_file.read_text() if trials_file.exists() else "")) < 2:
        assert time.monotonic() < deadline, "the controller never submitted its first trials"
        time.sleep(1)
    trials = files.parse_lines(trials_file.read_text())
    assert ws.run_store.children(step.id) == []  # not polled yet: the client knows none of them
    run.cancel()
    assert run.wait_for_completion(show_output=False, timeout_seconds=180, raise_on_error=False) == "Canceled"
    ids = [t["job_id"] for t in trials]
    listed = subprocess.run(["squeue", "--noheader", "--array", f"--jobs={','.join(ids)}", "--format=%i %T"],
                            capture_output=True, text=True, check=False).stdout.split()
    assert not [w for w in listed if w in ("RUNNING", "PENDING")], listed
    assert {c.get_status() for c in step.get_children()} == {"Canceled"}
