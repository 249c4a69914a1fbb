"""The hpcest command line: dry-run output, quick form, clear errors and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from hpc_estimator.cli import main


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "train.py").write_text("import sys\nprint('args', sys.argv[1:])\n")
    (tmp_path / "job.py").write_text(textwrap.dedent(
        """
        import os
        from hpc_estimator import PyTorch, Nccl
        estimator = PyTorch(os.path.dirname(os.path.abspath(__file__)), compute_target="gpu",
                            entry_script="train.py", node_count=2, process_count_per_node=4,
                            distributed_training=Nccl(), use_gpu=True, framework_version="1.6")
        """
    ))
    (tmp_path / "hpcest.toml").write_text(textwrap.dedent(
        """
        [workspace]
        name = "cli"
        default_target = "local"

        [clusters.gpu]
        transport = "ssh"
        host = "login.example.org"
        user = "alice"
        workdir = "/scratch/alice/hpcest"
        partition = "gpu"
        gpus_per_node = 4
        prologue = ["module load apptainer"]
        """
    ))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HPCEST_WORKSPACE", raising=False)
    return tmp_path


def test_dry_run_prints_script_and_rank_table_and_records_nothing(project: Path) -> None:
    result = CliRunner().invoke(main, ["submit", "job.py:estimator", "--dry-run"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("#!/bin/bash\n#SBATCH --job-name=job_")
    assert "#SBATCH --gres=gpu:4" in out and "module load apptainer" in out
    assert "/scratch/alice/hpcest/runs/job_" in out
    # v1 ran one torch.distributed process per node with Nccl(), whatever process_count_per_node said.
    # The rank table follows the script as comments, so stdout stays a script bash accepts.
    table = out.split("rank placement (2 rank(s))")[1].splitlines()
    assert table[3].split() == ["#", "0", "node", "0", "0", "0,1,2,3", "torch", "process"]
    assert table[4].split() == ["#", "1", "node", "1", "0", "0,1,2,3", "torch", "process"]
    assert "process_count_per_node=4 is not used with Nccl" in result.stderr
    assert json.loads(CliRunner().invoke(main, ["runs", "--json"]).output) == []  # nothing was recorded


def test_quick_form_builds_a_script_run_config(project: Path) -> None:
    result = CliRunner().invoke(main, ["submit", "train.py", "--target", "gpu", "--nodes", "2",
                                       "--processes-per-node", "2", "--distribution", "gloo", "--dry-run",
                                       "--json", "--", "--lr", "0.1"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data["ranks"]) == 4
    assert "python train.py --lr 0.1" in data["script"]


def test_missing_object_names_the_candidates(project: Path) -> None:
    result = CliRunner().invoke(main, ["submit", "job.py:est", "--dry-run"])
    assert result.exit_code == 2
    assert "defines no module-level 'est'" in result.output and "estimator" in result.output


def test_unknown_target_lists_known_ones(project: Path) -> None:
    result = CliRunner().invoke(main, ["submit", "train.py", "--target", "nowhere", "--dry-run"])
    assert result.exit_code == 2
    assert "no cluster profile 'nowhere'" in result.output and "gpu" in result.output


def test_unknown_run_is_a_clear_error(project: Path) -> None:
    result = CliRunner().invoke(main, ["status", "nope_1_x"])
    assert result.exit_code == 2 and "hpcest runs" in result.output


def test_local_run_end_to_end_through_the_console_script(project: Path) -> None:
    """The installed `hpcest` command submits, waits, lists and downloads a local run."""
    exe = Path(sys.executable).with_name("hpcest")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "hpc_estimator.cli"]
    done = subprocess.run([*cmd, "submit", "train.py", "--wait", "--", "--x", "it's"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "args ['--x', \"it's\"]" in done.stdout
    runs = json.loads(subprocess.run([*cmd, "runs", "--json"], capture_output=True, text=True, check=True).stdout)
    assert runs[0]["status"] == "Completed" and runs[0]["target"] == "local"
    logs = subprocess.run([*cmd, "logs", runs[0]["run_id"]], capture_output=True, text=True, check=True)
    assert "args ['--x'" in logs.stdout
