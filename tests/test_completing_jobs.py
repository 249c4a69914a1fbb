"""When a job's own files decide its state: one rule for single runs, pipeline steps and array tasks.

Protects: a job the scheduler lists as COMPLETING (its batch shell ended and wrote its exit code) is
settled from that exit code at once, by the single-run poller and the array-task poller alike; a job
listed as RUNNING is Running even when an exit-code file is there (in the first moments of a
requeued attempt it can still be the previous attempt's). The scheduler is a stand-in squeue on
PATH (tests/test_hyperdrive_sweep_status.py); the transport, run directories and the command that
reads the job files are real.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hpc_estimator.backends import get_backend
from hpc_estimator.backends.array_status import TaskRef, poll_tasks
from hpc_estimator.backends.base import JobRef
from hpc_estimator.job.state import JobState
from tests.cluster_workspace import cluster_workspace
from tests.test_hyperdrive_sweep_status import install_stand_in_scheduler, listed


@pytest.fixture
def backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    install_stand_in_scheduler(tmp_path, monkeypatch)
    with cluster_workspace(tmp_path, "completing") as ws:
        yield get_backend(ws, "cluster")


def _run_dir(tmp_path: Path, name: str, exit_code: str) -> str:
    run_dir = tmp_path / "work" / name
    run_dir.mkdir(parents=True)
    (run_dir / "started_at").write_text("1\n")
    (run_dir / "exit_code").write_text(exit_code)
    return str(run_dir)


def test_a_completing_run_is_settled_by_its_exit_code_and_a_running_one_is_not(backend, tmp_path: Path) -> None:
    done = _run_dir(tmp_path, "done", "3\n")
    again = _run_dir(tmp_path, "again", "1\n")  # the previous attempt's code, not yet moved aside
    listed(tmp_path, ("51", "COMPLETING"), ("52", "RUNNING"))
    updates = backend.poll([JobRef("done", "51", done), JobRef("again", "52", again)])  # type: ignore[attr-defined]
    assert (updates["done"].state, updates["done"].exit_code) == (JobState.FAILED, 3)
    assert updates["again"].state is JobState.RUNNING


def test_array_tasks_follow_the_same_rule(backend, tmp_path: Path) -> None:
    done = _run_dir(tmp_path, "t0", "0\n")
    again = _run_dir(tmp_path, "t1", "1\n")
    listed(tmp_path, ("60_0", "COMPLETING"), ("60_1", "RUNNING"))
    transport = backend.transport  # type: ignore[attr-defined]
    updates = poll_tasks(transport, [TaskRef("t0", "60_0", done), TaskRef("t1", "60_1", again)])
    assert (updates["t0"].state, updates["t0"].exit_code) == (JobState.COMPLETED, 0)
    assert updates["t1"].state is JobState.RUNNING
