"""HyperDrive sweeps on the real local Slurm cluster (local transport and SSH).

The training script logs ``accuracy`` once per epoch with a sleep, as a real one would, and its
values are a known function of the sampled parameters, so the best trial and the trial a policy
must stop are known in advance.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from hpc_estimator import (
    BanditPolicy,
    BayesianParameterSampling,
    Experiment,
    GridParameterSampling,
    HyperDriveConfig,
    MedianStoppingPolicy,
    PrimaryMetricGoal,
    RandomParameterSampling,
    ScriptRunConfig,
    TruncationSelectionPolicy,
    Workspace,
    choice,
    quniform,
    uniform,
)
from hpc_estimator.backends import close_all
from hpc_estimator.runs.sweep_run import HyperDriveRun
from hpc_estimator.testing import local_cluster as lc

TRAIN = textwrap.dedent(
    """
    import argparse, json, os, signal, sys, time
    from azureml.core import Run

    p = argparse.ArgumentParser()
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--sleep", type=float, default=0.2)
    args, _ = p.parse_known_args()
    run = Run.get_context()

    def on_term(signum, frame):
        # One line per delivery, and a pause in which a repeated SIGTERM would be caught too.
        with open("outputs/terminated", "a") as fh:
            fh.write("SIGTERM\\n")
        time.sleep(0.5)
        sys.exit(143)

    os.makedirs("outputs", exist_ok=True)
    signal.signal(signal.SIGTERM, on_term)
    for epoch in range(1, args.epochs + 1):
        # Known in advance: grows with lr and layers, and with the epoch.
        run.log("accuracy", args.lr * args.layers * epoch / args.epochs)
        time.sleep(args.sleep)
    with open("outputs/args.json", "w") as fh:
        json.dump(sys.argv[1:], fh)
    """
)

TARGETS = ["slurm", "ssh"]


@pytest.fixture(scope="module")
def workspace(local_cluster: lc.LocalCluster) -> Iterator[Workspace]:
    assert local_cluster.ssh is not None
    root = Path(tempfile.mkdtemp(prefix="hpcest-sweep-ws-"))
    ws = Workspace.create(root, name="sweeps")
    common = {
        "workdir": str(root / "cluster-work"),
        "partition": local_cluster.partition,
        "gpus_per_node": local_cluster.gpus_per_node,
        "container_runtime": "none",
        "python": sys.executable,
        "image_cache": str(root / "images"),
        "max_array_size": local_cluster.max_array_size,
    }
    ws.add_profile("slurm", {"transport": "local", **common})
    ws.add_profile(
        "ssh",
        {
            "transport": "ssh",
            "host": local_cluster.ssh.alias,
            "ssh_config": str(local_cluster.ssh.ssh_config),
            **common,
        },
    )
    os.environ["HPCEST_SWEEP_TICK"] = "1"
    os.environ["HPCEST_SWEEP_KILL_GRACE"] = "5"
    try:
        yield ws
    finally:
        close_all()
        ws.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def src(workspace: Workspace) -> Path:
    path = workspace.path / "project"
    path.mkdir(parents=True, exist_ok=True)
    (path / "train.py").write_text(TRAIN)
    return path


def _config(
    src: Path, target: str, sampling: object, *, args: list | None = None, **kwargs: object
) -> HyperDriveConfig:
    run_config = ScriptRunConfig(
        source_directory=str(src), script="train.py", arguments=args or ["--sleep", 0.1], compute_target=target
    )
    kwargs.setdefault("primary_metric_name", "accuracy")
    kwargs.setdefault("primary_metric_goal", PrimaryMetricGoal.MAXIMIZE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return HyperDriveConfig(run_config=run_config, hyperparameter_sampling=sampling, **kwargs)  # type: ignore[arg-type]


def _submit(ws: Workspace, config: HyperDriveConfig, name: str = "sweep") -> HyperDriveRun:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = Experiment(ws, name).submit(config)
    assert isinstance(run, HyperDriveRun)
    return run


def _explain(run: HyperDriveRun) -> str:
    """The first failed trial's status, output and batch log, for assertion messages."""
    for child in run.get_children():
        record = child.record
        if record.status != "Completed":
            d = Path(record.remote_dir or "")
            logs = {p.name: p.read_text(errors="replace")[-2000:] for p in (d / "hpcest-logs").glob("*")}
            batch = {p.name: p.read_text(errors="replace")[-2000:] for p in (d.parent.parent / "hpcest-logs").glob("*")}
            return f"{record.run_id} {record.status} {record.status_detail}: {logs} {batch}"
    return "all trials completed"


def _wait(run: HyperDriveRun) -> dict:
    details = run.wait_for_completion(show_output=True, raise_on_error=False)
    return details


def _squeue(*args: str) -> str:
    return subprocess.run(["squeue", "--noheader", *args], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("target", TARGETS)
def test_random_sweep_is_one_throttled_array(workspace: Workspace, src: Path, target: str) -> None:
    space = {"lr": uniform(0.01, 1.0), "layers": choice(1, 2, 3)}
    config = _config(
        src, target, RandomParameterSampling(space, properties={"seed": 11}), max_total_runs=20, max_concurrent_runs=4
    )
    run = _submit(workspace, config)
    props = run.record.properties
    assert props["array_options"] == ["0-19%4"] and len(props["array_jobs"]) == 1
    assert props["controller_job"] is None and props["sbatch_calls"] == 1
    array_id = props["array_jobs"][0]
    # The throttle as Slurm sees it: every record of the array (pending or running) carries it.
    shown = subprocess.run(["scontrol", "show", "job", array_id], capture_output=True, text=True).stdout
    assert "ArrayTaskThrottle=4" in shown, shown
    # And as it runs: the cluster has 8 CPU slots, so without the throttle more than 4 would run.
    most = 0
    deadline = time.time() + 120
    while time.time() < deadline:
        listed = subprocess.run(
            ["squeue", "--noheader", "--array", "--states=PENDING,RUNNING", f"--jobs={array_id}", "--format=%i %T"],
            capture_output=True, text=True,
        )
        lines = listed.stdout if listed.returncode == 0 else ""  # purged: "Invalid job id specified"
        if not lines.strip():
            break
        most = max(most, sum(1 for ln in lines.splitlines() if ln.endswith("RUNNING")))
        time.sleep(0.2)
    assert 1 <= most <= 4, most
    details = _wait(run)
    assert details["status"] == "Completed", _explain(run)
    children = run.get_children()
    assert len(children) == 20 and len({c.id for c in children}) == 20
    assert all(c.get_status() == "Completed" for c in children)
    # Best run: the largest lr * layers among the drawn sets (accuracy's last value is lr * layers).
    hyper = {k: json.loads(v) for k, v in run.get_hyperparameters().items()}
    expected = max(hyper, key=lambda k: hyper[k]["lr"] * hyper[k]["layers"])
    best = run.get_best_run_by_primary_metric()
    assert best is not None and best.id == expected
    rows = run.get_children_sorted_by_primary_metric(top=3)
    assert rows[0]["run_id"] == expected and len(rows) == 3
    metrics = run.get_metrics()
    assert set(metrics) == {c.id for c in children}
    # Each trial got its own values appended, and its own directory and exit code.
    out = Path(tempfile.mkdtemp())
    best.download_file("outputs/args.json", str(out / "args.json"))
    argv = json.loads((out / "args.json").read_text())
    assert argv[:2] == ["--sleep", "0.1"] and argv[2] == "--lr" and argv[4] == "--layers"
    assert float(argv[3]) == pytest.approx(hyper[expected]["lr"])


def test_grid_sweep_runs_every_combination(workspace: Workspace, src: Path) -> None:
    space = {"lr": choice(0.1, 0.2, 0.3), "layers": choice(1, 2, 3)}
    run = _submit(
        workspace, _config(src, "slurm", GridParameterSampling(space), max_total_runs=20, max_concurrent_runs=9)
    )
    assert run.record.properties["array_options"] == ["0-8%9"]
    details = _wait(run)
    assert details["status"] == "Completed", _explain(run)
    combos = sorted((p["lr"], p["layers"]) for p in map(json.loads, run.get_hyperparameters().values()))
    assert combos == sorted((lr, n) for lr in (0.1, 0.2, 0.3) for n in (1, 2, 3))
    best = run.get_best_run_by_primary_metric()
    assert best is not None and json.loads(run.get_hyperparameters()[best.id]) == {"lr": 0.3, "layers": 3}


def _bayesian(workspace: Workspace, src: Path) -> tuple[HyperDriveRun, list[dict]]:
    space = {"lr": uniform(0.05, 1.0), "layers": quniform(1, 4, 1)}
    config = _config(
        src, "slurm", BayesianParameterSampling(space, properties={"seed": 5}), max_total_runs=12, max_concurrent_runs=3
    )
    run = _submit(workspace, config)
    assert run.record.properties["controller_job"] and run.record.properties["array_jobs"] == []
    details = _wait(run)
    assert details["status"] == "Completed", _explain(run)
    children = sorted(run.get_children(), key=lambda c: int(c.record.name or 0))
    return run, [c.record.properties["hyperparameters"] for c in children]


def test_bayesian_sweep_goes_through_the_controller_and_is_reproducible(workspace: Workspace, src: Path) -> None:
    run, first = _bayesian(workspace, src)
    assert len(first) == 12 and all(0.05 <= p["lr"] <= 1.0 and p["layers"] in (1, 2, 3, 4) for p in first)
    # Trials were submitted by the controller job, as array chunks.
    trials = [json.loads(x) for x in (Path(run.record.remote_dir or "") / "trials.jsonl").read_text().splitlines()]
    assert len({t["job_id"].split("_")[0] for t in trials}) < 12
    _, second = _bayesian(workspace, src)
    assert second == first  # seeded: the same suggestions twice


def _policy_sweep(
    workspace: Workspace, src: Path, policy: object, lrs: tuple, concurrent: int, **kwargs: object
) -> HyperDriveRun:
    # Grid over lr: one clearly worse trial (lr 0.05) among good ones; 6 epochs of 1 s each.
    config = _config(
        src,
        "slurm",
        GridParameterSampling({"lr": choice(*lrs)}),
        args=["--sleep", 1.0, "--epochs", 6],
        max_total_runs=len(lrs),
        max_concurrent_runs=concurrent,
        policy=policy,
        **kwargs,
    )
    run = _submit(workspace, config)
    assert run.record.properties["controller_job"]
    details = _wait(run)
    assert details["status"] == "Completed", _explain(run)
    # The controller read every trial's last loggings too: its best so far is the sweep's best.
    state = json.loads((Path(run.record.remote_dir or "") / "controller.json").read_text())
    logged = [v for m in run.get_metrics().values() for v in np_list(m["accuracy"])]
    assert state["best"]["value"] == pytest.approx(max(logged)), state
    return run


def np_list(value: object) -> list:
    """A metric logged several times is a list; once, a plain value (as v1's get_metrics)."""
    return value if isinstance(value, list) else [value]


def _by_lr(run: HyperDriveRun) -> dict[float, object]:
    return {c.record.properties["hyperparameters"]["lr"]: c for c in run.get_children()}


@pytest.mark.parametrize(
    ("policy", "lrs", "concurrent"),
    [
        # Three at a time: the stop signals a task of an array that still has a pending task.
        (BanditPolicy(slack_factor=0.2, evaluation_interval=1, delay_evaluation=2), (0.05, 0.9, 0.95, 1.0), 3),
        (MedianStoppingPolicy(evaluation_interval=1, delay_evaluation=2), (0.05, 0.9, 0.95, 1.0), 4),
        (TruncationSelectionPolicy(25, evaluation_interval=1, delay_evaluation=2), (0.05, 0.9, 0.95, 1.0), 4),
    ],
    ids=["bandit", "median", "truncation"],
)
def test_policy_stops_the_clearly_worse_trial(
    workspace: Workspace, src: Path, policy: object, lrs: tuple, concurrent: int
) -> None:
    run = _policy_sweep(workspace, src, policy, lrs, concurrent)
    trials = _by_lr(run)
    worse = trials[0.05].record  # type: ignore[attr-defined]
    assert worse.status == "Canceled", _explain(run)
    name = type(policy).__name__
    assert name in (worse.status_detail or "") and "interval" in (worse.status_detail or "")
    stop = json.loads((Path(worse.remote_dir or "") / "policy_stop.json").read_text())
    assert stop["policy"] == name and stop["value"] < stop["threshold"]
    # SIGTERM first, once: the trial's handler ran and recorded it before Slurm's kill.
    assert (Path(worse.remote_dir or "") / "outputs" / "terminated").read_text() == "SIGTERM\n"
    for lr in lrs[1:]:
        assert trials[lr].record.status == "Completed", (lr, _explain(run))  # type: ignore[attr-defined]


def test_max_duration_cancels_what_is_left(workspace: Workspace, src: Path) -> None:
    config = _config(
        src,
        "slurm",
        GridParameterSampling({"lr": choice(0.1, 0.2, 0.3, 0.4)}),
        args=["--sleep", 30.0, "--epochs", 10],
        max_total_runs=4,
        max_concurrent_runs=2,
        max_duration_minutes=1,
    )
    started = time.time()
    run = _submit(workspace, config)
    details = _wait(run)
    assert time.time() - started < 170
    assert details["status"] == "Completed" and "max_duration_minutes" in (run.record.status_detail or "")
    statuses = [c.record.status for c in run.get_children()]
    assert statuses == ["Canceled"] * 4, _explain(run)
    assert all("max_duration_minutes" in (c.record.status_detail or "") for c in run.get_children())


def test_cancel_stops_arrays_and_controller(workspace: Workspace, src: Path) -> None:
    config = _config(
        src,
        "slurm",
        GridParameterSampling({"lr": choice(0.1, 0.2, 0.3)}),
        args=["--sleep", 30.0, "--epochs", 10],
        max_total_runs=3,
        max_concurrent_runs=1,
        policy=BanditPolicy(slack_amount=0.5),
    )
    run = _submit(workspace, config)
    deadline = time.time() + 60
    while not any(c.get_status() == "Running" for c in run.get_children()) and time.time() < deadline:
        run.get_status()
        time.sleep(1)
    run.cancel()
    details = _wait(run)
    assert details["status"] == "Canceled", (run.record.status_detail, _explain(run))
    assert {c.record.status for c in run.get_children()} == {"Canceled"}, _explain(run)
    ids = [*run.record.properties["array_jobs"], run.record.properties["controller_job"]]
    left = _squeue("--states=PENDING,RUNNING", f"--jobs={','.join(ids)}", "--format=%i") if ids else ""
    assert left.strip() == ""


def test_cancel_reaches_the_trials_a_bayesian_controller_submitted(workspace: Workspace, src: Path) -> None:
    """The client is canceled before it has seen any trial: the arrays are found on the cluster."""
    config = _config(
        src,
        "slurm",
        BayesianParameterSampling({"lr": uniform(0.05, 1.0)}, properties={"seed": 2}),
        args=["--sleep", 30.0, "--epochs", 10],
        max_total_runs=6,
        max_concurrent_runs=2,
    )
    run = _submit(workspace, config)
    trials_file = Path(run.record.remote_dir or "") / "trials.jsonl"
    deadline = time.time() + 90
    while time.time() < deadline and len(files_lines(trials_file)) < 2:
        time.sleep(0.5)  # read on the shared filesystem: the client's store knows no trial yet
    trials = files_lines(trials_file)
    assert len(trials) == 2 and run.get_children() == []
    run.cancel()
    details = _wait(run)
    assert details["status"] == "Canceled", (run.record.status_detail, _explain(run))
    assert {c.record.status for c in run.get_children()} == {"Canceled"}, _explain(run)
    ids = [t["job_id"] for t in trials] + [run.record.properties["controller_job"]]
    left = _squeue("--array", "--states=PENDING,RUNNING", f"--jobs={','.join(ids)}", "--format=%i")
    assert left.strip() == ""


def files_lines(path: Path) -> list[dict]:
    from hpc_estimator.sweep import files

    return files.parse_lines(path.read_text()) if path.exists() else []


KILLED_CLIENT = textwrap.dedent(
    """
    import sys, warnings, time
    sys.path.insert(0, {root!r})
    from hpc_estimator import *
    ws = Workspace({ws!r})
    src = ScriptRunConfig(source_directory={src!r}, script="train.py", arguments=["--sleep", 1.0, "--epochs", 6],
                          compute_target="slurm")
    hd = HyperDriveConfig(run_config=src, hyperparameter_sampling=GridParameterSampling(
        {{"lr": choice(0.05, 0.9, 0.95, 1.0)}}), primary_metric_name="accuracy",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE, max_total_runs=4, max_concurrent_runs=4,
        policy=BanditPolicy(slack_factor=0.2, delay_evaluation=2))
    run = Experiment(ws, "killed").submit(hd)
    print(run.id, flush=True)
    run.wait_for_completion()
    """
)


def test_killing_the_client_mid_sweep_changes_nothing(workspace: Workspace, src: Path) -> None:
    root = str(Path(__file__).resolve().parents[2])
    code = KILLED_CLIENT.format(root=root, ws=str(workspace.config_file), src=str(src))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=dict(os.environ))
    assert proc.stdout is not None
    sweep_id = proc.stdout.readline().strip()
    time.sleep(3)
    proc.kill()  # the laptop closes mid-sweep
    proc.wait()
    run = HyperDriveRun(Experiment(workspace, "killed"), sweep_id)
    details = _wait(run)
    assert details["status"] == "Completed", _explain(run)
    trials = _by_lr(run)
    assert trials[0.05].record.status == "Canceled" and "BanditPolicy" in (trials[0.05].record.status_detail or "")  # type: ignore[attr-defined]
    assert all(trials[lr].record.status == "Completed" for lr in (0.9, 0.95, 1.0))  # type: ignore[attr-defined]


EDITING_TRAIN = textwrap.dedent(
    """
    import argparse, os
    from azureml.core import Run

    p = argparse.ArgumentParser()
    p.add_argument("--lr", type=float)
    args, _ = p.parse_known_args()
    # Every trial must start from the snapshot as submitted, whatever the others wrote into theirs.
    with open("notes.txt") as fh:
        seen = fh.read()
    with open("notes.txt", "a") as fh:
        fh.write(f"trial lr={args.lr}\\n")
    os.makedirs("outputs", exist_ok=True)
    with open("outputs/seen.txt", "w") as fh:
        fh.write(seen)
    Run.get_context().log("accuracy", args.lr)
    """
)


def test_trials_get_private_writable_snapshots(workspace: Workspace) -> None:
    project = workspace.path / "editing-project"
    project.mkdir(parents=True, exist_ok=True)
    (project / "train.py").write_text(EDITING_TRAIN)
    (project / "notes.txt").write_text("as submitted\n")
    config = _config(
        project, "slurm", GridParameterSampling({"lr": choice(0.1, 0.2, 0.3)}), max_total_runs=3, max_concurrent_runs=1
    )
    run = _submit(workspace, config)
    details = _wait(run)
    assert details["status"] == "Completed", _explain(run)
    for child in run.get_children():
        trial_dir = Path(child.record.remote_dir or "")
        assert (trial_dir / "outputs" / "seen.txt").read_text() == "as submitted\n", child.id
        assert (trial_dir / "src" / "notes.txt").read_text().startswith("as submitted\ntrial lr=")
        assert not (trial_dir / "src-linked").exists()
    # Neither the sweep's own snapshot nor the content store saw any trial's write.
    sweep_dir = Path(run.record.remote_dir or "")
    assert (sweep_dir / "src" / "notes.txt").read_text() == "as submitted\n"
    assert (project / "notes.txt").read_text() == "as submitted\n"
