"""A standalone sweep's verdict from its files and the scheduler's answer, without a cluster.

The scheduler is a stand-in ``squeue``/``scancel`` on PATH that prints what a test wrote (the
format is the one :func:`hpc_estimator.slurm.squeue_argv` asks for); everything else is real:
the run store, the local transport, the sweep directory and the trials' files. The rule under
test is "terminal only on evidence": a verdict that rests on an inferred trial or controller
stays correctable, and a sweep whose controller is gone still gets a verdict once its trials
have theirs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hpc_estimator.backends import close_all
from hpc_estimator.runs.sweep import refresh_sweep
from hpc_estimator.runs.workspace import Workspace
from hpc_estimator.slurm.commands import FIELD_SEP
from hpc_estimator.sweep import files

FAKE_SQUEUE = """#!/bin/sh
if [ -s "$HPCEST_FAKE/squeue.out" ]; then cat "$HPCEST_FAKE/squeue.out"; exit 0; fi
echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1
"""
FAKE_SCANCEL = """#!/bin/sh
echo "$*" >> "$HPCEST_FAKE/scancel.log"
if [ -f "$HPCEST_FAKE/scancel.fail" ]; then echo "scancel: error: Unable to contact slurm controller" >&2; exit 1; fi
exit 0
"""


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("squeue", FAKE_SQUEUE), ("scancel", FAKE_SCANCEL)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("HPCEST_FAKE", str(tmp_path))
    return tmp_path


@pytest.fixture
def workspace(tmp_path: Path, fake: Path) -> Iterator[Workspace]:
    ws = Workspace.create(tmp_path / "ws", name="sweep-status")
    ws.add_profile("cluster", {"transport": "local", "workdir": str(tmp_path / "work"), "container_runtime": "none",
                               "status_grace_seconds": 0})
    yield ws
    close_all()
    ws.close()


def listed(fake: Path, *jobs: tuple[str, str]) -> None:
    """What squeue lists from now on: (job id, state) pairs."""
    lines = [FIELD_SEP.join((job, job.split("_")[0], state, "None", "n1", "x")) for job, state in jobs]
    (fake / "squeue.out").write_text("".join(line + "\n" for line in lines))


def make_sweep(ws: Workspace, root: Path, *, trials: int, planned: int, controller: str | None) -> tuple[str, Path]:
    sweep_dir = root / "sweep"
    sweep_dir.mkdir()
    lines = "".join(files.trial_record(i, f"40_{i}", {"lr": i}, ["--lr", str(i)]) for i in range(trials))
    (sweep_dir / files.TRIALS_FILE).write_text(lines)
    ws.run_store.create_run(
        "exp", "cluster", "slurm", run_id="exp_1_s", remote_dir=str(sweep_dir), kind="sweep", status="Queued",
        properties={"controller_job": controller, "array_jobs": ["40"] if trials else [],
                    "hyperdrive": {"max_total_runs": planned}},
    )
    ws.run_store.set_job_id("exp_1_s", controller or "40", remote_dir=str(sweep_dir))
    return "exp_1_s", sweep_dir


def trial_files(sweep_dir: Path, index: int, exit_code: int | None = None) -> None:
    d = Path(files.trial_dir(str(sweep_dir), index))
    d.mkdir(parents=True, exist_ok=True)
    (d / "started_at").write_text("1\n")
    if exit_code is not None:
        (d / "exit_code").write_text(f"{exit_code}\n")


def test_a_sweep_failed_on_lost_trials_is_corrected_by_their_exit_codes(
    workspace: Workspace, fake: Path, tmp_path: Path
) -> None:
    sweep_id, sweep_dir = make_sweep(workspace, tmp_path, trials=2, planned=2, controller=None)
    for i in range(2):
        trial_files(sweep_dir, i)  # started, then neither listed nor finished (a filesystem hiccup)
    listed(fake)
    refresh_sweep(workspace, sweep_id)  # first unseen
    sweep = refresh_sweep(workspace, sweep_id)  # past the (zero) grace: declared lost
    assert (sweep.status, sweep.inferred) == ("Failed", True), sweep
    for i in range(2):
        trial_files(sweep_dir, i, exit_code=0)  # the files were there after all
    sweep = refresh_sweep(workspace, sweep_id)
    children = workspace.run_store.children(sweep_id)
    assert [(c.status, c.inferred) for c in children] == [("Completed", False)] * 2
    assert (sweep.status, sweep.inferred) == ("Completed", False), sweep
    # Settled on evidence: final, and not polled again.
    (fake / "squeue.out").unlink()
    assert refresh_sweep(workspace, sweep_id).status == "Completed"


def test_a_controller_that_ended_before_it_started_does_not_freeze_running_trials(
    workspace: Workspace, fake: Path, tmp_path: Path
) -> None:
    sweep_id, sweep_dir = make_sweep(workspace, tmp_path, trials=2, planned=2, controller="50")
    trial_files(sweep_dir, 0, exit_code=0)
    trial_files(sweep_dir, 1)
    listed(fake, ("50", "FAILED"), ("40_1", "RUNNING"))
    sweep = refresh_sweep(workspace, sweep_id)
    # A trial still runs: the sweep is not settled while it does.
    assert sweep.status == "Running", sweep
    trial_files(sweep_dir, 1, exit_code=0)
    listed(fake, ("50", "FAILED"))
    sweep = refresh_sweep(workspace, sweep_id)
    assert [c.status for c in workspace.run_store.children(sweep_id)] == ["Completed", "Completed"]
    assert sweep.status == "Failed" and not sweep.inferred, sweep
    assert sweep.status_detail == "the controller job 50 ended (FAILED) before it started; 2 of 2 trial(s) ran"


def test_a_bayesian_sweep_whose_controller_died_gets_a_verdict(
    workspace: Workspace, fake: Path, tmp_path: Path
) -> None:
    sweep_id, sweep_dir = make_sweep(workspace, tmp_path, trials=2, planned=4, controller="50")
    (sweep_dir / files.CONTROLLER_FILE).write_text(json.dumps({"state": "running", "trials": 2}))
    for i in range(2):
        trial_files(sweep_dir, i, exit_code=0)
    listed(fake, ("50", "OUT_OF_MEMORY"))
    sweep = refresh_sweep(workspace, sweep_id)
    assert sweep.status == "Failed" and not sweep.inferred, sweep
    assert sweep.status_detail == (
        "the controller job 50 ended (OUT_OF_MEMORY) before the sweep finished; 2 of 4 trial(s) ran"
    )


def test_a_controller_no_longer_listed_fails_the_sweep_only_after_the_grace_and_correctably(
    workspace: Workspace, fake: Path, tmp_path: Path
) -> None:
    sweep_id, sweep_dir = make_sweep(workspace, tmp_path, trials=2, planned=4, controller="50")
    (sweep_dir / files.CONTROLLER_FILE).write_text(json.dumps({"state": "running", "trials": 2}))
    for i in range(2):
        trial_files(sweep_dir, i, exit_code=0)
    listed(fake)
    assert not refresh_sweep(workspace, sweep_id).is_terminal  # first time unseen: no verdict
    sweep = refresh_sweep(workspace, sweep_id)
    assert (sweep.status, sweep.inferred) == ("Failed", True), sweep
    assert "not listed by the scheduler" in (sweep.status_detail or "")
    # The controller was alive after all and finished the sweep: the verdict is corrected.
    (sweep_dir / files.CONTROLLER_FILE).write_text(json.dumps({"state": "done", "trials": 2}))
    sweep = refresh_sweep(workspace, sweep_id)
    assert (sweep.status, sweep.inferred) == ("Completed", False), sweep
