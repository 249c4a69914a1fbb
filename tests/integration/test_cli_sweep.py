"""The README's sweep walk-through, for real: the ``hpcest`` command on the local Slurm cluster.

``hpcest init``, ``cluster add``, ``submit examples/sweep/sweep.py:hd_config --wait``, ``status
SWEEP`` (table, ``--json``, ``--plot``), ``logs`` of the sweep (its controller) and of a stopped
trial, and ``download`` of the checkpoint that trial saved when the policy sent it SIGTERM.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hpc_estimator.testing import local_cluster as lc

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "sweep" / "sweep.py"


@pytest.fixture(scope="module")
def cli_dir(local_cluster: lc.LocalCluster) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="hpcest-cli-sweep-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def hpcest(cwd: Path, *args: str, ok: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    # This checkout's hpcest, whatever is installed: the module form with the repository first on the path.
    path = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path), "HPCEST_SWEEP_TICK": "1"}
    env.pop("HPCEST_WORKSPACE", None)
    argv = [sys.executable, "-m", "hpc_estimator", *args]
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if ok:
        assert done.returncode == 0, f"hpcest {' '.join(args)}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def test_sweep_example_through_the_command_line(local_cluster: lc.LocalCluster, cli_dir: Path) -> None:
    hpcest(cli_dir, "init", ".", "--name", "cli-sweep")
    hpcest(
        cli_dir, "cluster", "add", "cluster", "--workdir", str(cli_dir / "cluster-work"),
        "--partition", local_cluster.partition, "--gpus-per-node", str(local_cluster.gpus_per_node),
        "--runtime", "none", "--python", sys.executable,
    )
    done = hpcest(cli_dir, "submit", f"{EXAMPLE}:hd_config", "--wait")
    first, last = done.stdout.splitlines()[0], done.stdout.strip().splitlines()[-1]
    assert first.startswith("submitted sweep ") and "(--array=0-11%4); controller job " in first, done.stdout
    sweep_id = first.split()[2]
    assert last == f"HyperDrive run {sweep_id}: Completed", done.stdout

    table = hpcest(cli_dir, "status", sweep_id).stdout.splitlines()
    assert table[0] == f"sweep {sweep_id}: Completed"
    assert table[1].split() == ["TRIAL", "PARAMETERS", "ACCURACY", "STATUS", "WHY", "STOPPED"]
    assert len(table) == 3 + 12

    shown = json.loads(hpcest(cli_dir, "status", sweep_id, "--json").stdout)
    trials = shown["trials"]
    assert shown["status"] == "Completed" and len(trials) == 12
    metrics = [t["metric"] for t in trials]
    assert metrics == sorted(metrics, reverse=True), "trials are listed best first"
    # Seeded draw: trial 1 (learning_rate ~0.21, batch 16) is the best and is never stopped.
    assert trials[0]["trial"] == "1" and trials[0]["status"] == "Completed"
    assert trials[0]["parameters"]["batch_size"] == 16
    stopped = [t for t in trials if t["status"] == "Canceled"]
    assert stopped, "the Bandit policy stops the clearly worse trials"
    assert all(t["why"].startswith("BanditPolicy at interval ") for t in stopped)
    assert {t["status"] for t in trials} == {"Completed", "Canceled"}

    for trial in stopped:
        shown_trial = hpcest(cli_dir, "status", trial["run_id"], "--json", ok=False)
        assert shown_trial.returncode == 1, "status exits 1 for a canceled run (the exit-code table)"
        record = json.loads(shown_trial.stdout)
        assert record["exit_code"] == 143, record
        # SIGTERM reached the script, which saved where it was: stopped early, not at the end.
        out = cli_dir / "downloads" / trial["run_id"]
        hpcest(cli_dir, "download", trial["run_id"], "-o", str(out))
        checkpoint = json.loads((out / "outputs" / "checkpoint.json").read_text())
        assert checkpoint["stopped_by"] == "SIGTERM" and 3 <= checkpoint["epoch"] < 8, checkpoint

    batch = hpcest(cli_dir, "logs", "--batch", stopped[0]["run_id"]).stdout
    assert "Exited with exit code 143" in batch, batch
    controller = hpcest(cli_dir, "logs", sweep_id).stdout
    assert f"hpcest controller for {cli_dir / 'cluster-work'}" in controller
    assert controller.count("BanditPolicy at interval") == len(stopped), controller

    png = cli_dir / "sweep.png"
    plotted = hpcest(cli_dir, "status", sweep_id, "--plot", str(png))
    assert plotted.stdout.strip().endswith(f"plot written to {png}")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000

    missing = hpcest(cli_dir, "status", "nope_1_x", ok=False)
    assert missing.returncode == 2 and "hpcest runs" in missing.stderr + missing.stdout
