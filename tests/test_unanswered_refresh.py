"""A scheduler that does not answer is reported for pipelines and sweeps as for single runs.

Protects: ``refresh_status`` puts a pipeline's steps (and the pipeline) and a sweep (and its open
trials) whose squeue got no answer into ``Refresh.unknown``, so ``hpcest status`` exits 4 and
``hpcest runs`` warns during a controller outage; their last known state stands. The outage is
Slurm's own recorded answer from an ``squeue`` that cannot reach slurmctld.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from hpc_estimator import Workspace
from hpc_estimator.cli import main
from hpc_estimator.runs.run import refresh_status

DOWN = (Path(__file__).parent / "data" / "slurm" / "squeue_controller_down.stderr.txt").read_text()


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for command in ("squeue", "sacct"):
        tool = bin_dir / command
        tool.write_text(f"#!/bin/sh\ncat >&2 <<'EOF'\n{DOWN}EOF\nexit 1\n")
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("HPCEST_WORKSPACE", raising=False)
    monkeypatch.delenv("HPCEST_TARGET", raising=False)
    workspace = Workspace.create(tmp_path / "project", name="outage")
    workspace.add_profile("site", {"transport": "local", "workdir": str(tmp_path / "work"),
                                   "container_runtime": "none"})  # fmt: skip
    monkeypatch.chdir(workspace.path)
    return workspace


def _child(ws: Workspace, tmp_path: Path, run_id: str, parent: str, kind: str, name: str, job_id: str) -> None:
    directory = tmp_path / "work" / run_id
    directory.mkdir(parents=True)
    store = ws.run_store
    store.create_run("outage", "site", "slurm", run_id=run_id, remote_dir=str(directory), status="Running",
                     parent_id=parent, kind=kind, name=name)  # fmt: skip
    store.set_job_id(run_id, job_id, remote_dir=str(directory))


def test_unanswered_pipeline_and_sweep_polls_are_reported_and_keep_their_state(ws: Workspace, tmp_path: Path) -> None:
    store = ws.run_store
    pipeline_dir = tmp_path / "work" / "pipe_1"
    pipeline_dir.mkdir(parents=True)
    steps = [{"index": 0, "run_id": "pipe_1_step0", "name": "prep", "upstream": []}]
    store.create_run("outage", "site", "slurm", run_id="pipe_1", remote_dir=str(pipeline_dir), status="Running",
                     kind="pipeline", spec={"steps": steps})  # fmt: skip
    _child(ws, tmp_path, "pipe_1_step0", "pipe_1", "step", "prep", "101")
    sweep_dir = tmp_path / "work" / "sweep_1"
    sweep_dir.mkdir(parents=True)
    store.create_run("outage", "site", "slurm", run_id="sweep_1", remote_dir=str(sweep_dir), status="Running",
                     kind="sweep", properties={"hyperdrive": {"max_total_runs": 1}})  # fmt: skip
    _child(ws, tmp_path, "sweep_1_0", "sweep_1", "trial", "0", "102_0")

    report = refresh_status(ws, [store.get("pipe_1"), store.get("sweep_1")])

    assert set(report.unknown) == {"pipe_1", "pipe_1_step0", "sweep_1", "sweep_1_0"}, report.unknown
    assert all("Unable to contact slurm controller" in why for why in report.unknown.values())
    assert {store.get(r).status for r in report.unknown} == {"Running"}
    listed = CliRunner().invoke(main, ["runs"])
    assert "warning: no answer about" in listed.output, listed.output
    for run_id in ("pipe_1", "sweep_1"):
        shown = CliRunner().invoke(main, ["status", run_id])
        assert shown.exit_code == 4, (run_id, shown.output)
