"""``hpcest`` sweep commands without a cluster: clear messages where a sweep cannot answer.

The commands themselves run for real on the local Slurm cluster in
tests/integration/test_cli_sweep.py (the README's walk-through).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from hpc_estimator.cli import main
from hpc_estimator.runs.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    ws = Workspace.create(tmp_path, name="cli-sweep")
    ws.add_profile("cluster", {"transport": "local", "workdir": str(tmp_path / "work"), "container_runtime": "none"})
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HPCEST_WORKSPACE", raising=False)
    return ws


def _sweep(ws: Workspace, controller: str | None) -> str:
    store = ws.run_store
    sweep = store.create_run("exp", "cluster", "slurm", run_id="exp_1_a", remote_dir="/w/runs/exp_1_a", kind="sweep",
                             properties={"controller_job": controller})
    store.create_run("exp", "cluster", "slurm", run_id="exp_1_a_0", remote_dir="/w/runs/exp_1_a/trials/0",
                     parent_id=sweep.run_id, kind="trial", name="0")
    store.set_job_id("exp_1_a_0", "41_0")
    return sweep.run_id


def test_logs_of_a_sweep_without_controller_points_at_its_trials(workspace: Workspace) -> None:
    sweep_id = _sweep(workspace, controller=None)
    result = CliRunner().invoke(main, ["logs", sweep_id])
    assert result.exit_code == 2
    assert "has no output of its own" in result.output and f"hpcest logs {sweep_id}_0" in result.output


def test_log_paths_of_sweeps_and_trials(workspace: Workspace) -> None:
    from hpc_estimator.cli.sweep import sweep_log_path

    sweep_id = _sweep(workspace, controller="42")
    store = workspace.run_store
    assert sweep_log_path(store.get(sweep_id), rank=0, batch=False) == "/w/runs/exp_1_a/hpcest-logs/controller-42.out"
    trial = store.get(f"{sweep_id}_0")
    assert sweep_log_path(trial, rank=1, batch=False) == "/w/runs/exp_1_a/trials/0/hpcest-logs/rank-1.log"
    # An array task's batch output is in the sweep directory, named by sbatch's %A_%a.
    assert sweep_log_path(trial, rank=0, batch=True) == "/w/runs/exp_1_a/hpcest-logs/slurm-41_0.out"


def test_plot_without_matplotlib_says_how_to_install_it() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["matplotlib"] = None  # as if the optional extra were not installed
        from hpc_estimator.cli.sweep import require_plot_support
        from hpc_estimator.errors import ConfigError
        try:
            require_plot_support()
        except ConfigError as exc:
            print(exc)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "--plot needs matplotlib, which is an optional extra: pip install 'hpcest[plot]'"
