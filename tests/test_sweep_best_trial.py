"""Which trial of a sweep is best, when trials tie: the same answer from every reader.

Protects ``policy_eval.rank_trials``'s rule (among equal values the earliest trial, the lowest
index, whatever the goal) and that the readers share it: the controller's state
(``controller.json``'s best), a HyperDriveStep's finish job (the model it passes on) and
HyperDriveRun (``get_best_run_by_primary_metric``, ``get_children_sorted_by_primary_metric``).
The controller took the highest index among equal values when maximizing while the finish job
took the lowest, so the progress and the model passed on named different trials.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hpc_estimator.runs.experiment import Experiment
from hpc_estimator.runs.sweep_run import HyperDriveRun
from hpc_estimator.runs.workspace import Workspace
from hpc_estimator.runtime.context import JobRunContext
from hpc_estimator.sweep import files
from hpc_estimator.sweep.controller import Controller, primary_history
from hpc_estimator.sweep.finish import best_trial
from hpc_estimator.transport.local import LocalTransport
from hpc_estimator.v1.hyperdrive.policy_eval import rank_trials
from tests.cluster_workspace import cluster_workspace

SWEEP = "exp_1_ties"
# goal -> each trial's loggings of "acc": trials 1, 2 and 3 tie on the best value over their loggings.
TIED = {
    "maximize": {0: [0.5], 1: [0.9], 2: [0.2, 0.9], 3: [0.9, 0.4]},
    "minimize": {0: [0.5], 1: [0.1], 2: [0.6, 0.1], 3: [0.1, 0.3]},
}


@pytest.mark.parametrize("maximize", [True, False])
def test_rank_trials_puts_the_earliest_of_equal_values_first_whatever_the_goal(maximize: bool) -> None:
    values = {3: 0.9, 1: 0.9, 0: 0.5, 2: 0.9, 4: 0.2}  # not in index order: the rule is the index's
    expected = [1, 2, 3, 0, 4] if maximize else [4, 0, 1, 2, 3]
    assert rank_trials(values, maximize) == expected
    assert rank_trials({}, maximize) == []


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with cluster_workspace(tmp_path, "sweep-ties") as ws:
        yield ws


def _tied_sweep(ws: Workspace, sweep_dir: Path, goal: str) -> None:
    """The sweep directory as its completed trials leave it, and its records in the run store."""
    ws.run_store.create_run(
        "exp", "cluster", "slurm", run_id=SWEEP, kind="sweep", status="Completed", remote_dir=str(sweep_dir),
        properties={"hyperdrive": {"primary_metric_config": {"name": "acc", "goal": goal}, "max_total_runs": 4}},
    )
    for index, history in TIED[goal].items():
        run_dir = Path(files.trial_dir(str(sweep_dir), index))
        ctx = JobRunContext(f"{SWEEP}_{index}", run_dir, "exp", rank=0)
        for value in history:
            ctx.log("acc", value)
        ctx.close()
        (run_dir / "exit_code").write_text("0\n")
        ws.run_store.create_run(
            "exp", "cluster", "slurm", run_id=f"{SWEEP}_{index}", kind="trial", parent_id=SWEEP, name=str(index),
            status="Completed", remote_dir=str(run_dir),
        )


@pytest.mark.parametrize("goal", ["maximize", "minimize"])
def test_controller_finish_job_and_hyperdrive_run_name_the_same_best_of_tied_trials(
    workspace: Workspace, tmp_path: Path, goal: str
) -> None:
    sweep_dir = tmp_path / "work" / SWEEP
    _tied_sweep(workspace, sweep_dir, goal)
    plan = {"primary_metric_name": "acc", "primary_metric_goal": goal}
    best = TIED[goal][1][0]

    controller = Controller(sweep_dir=sweep_dir, transport=LocalTransport(), plan=plan)
    controller._histories = {i: primary_history(files.trial_dir(str(sweep_dir), i), "acc") for i in TIED[goal]}
    assert controller._best() == {"trial": 1, "value": best}

    assert best_trial(sweep_dir, plan, sorted(TIED[goal])) == (1, best)

    run = HyperDriveRun(Experiment(workspace, "exp"), SWEEP)
    best_run = run.get_best_run_by_primary_metric()
    assert best_run is not None and best_run.id == f"{SWEEP}_1"
    rows = run.get_children_sorted_by_primary_metric()
    assert [r["run_id"] for r in rows] == [f"{SWEEP}_{i}" for i in (1, 2, 3, 0)]
    # Worst first keeps the earliest first among equal values.
    rows = run.get_children_sorted_by_primary_metric(reverse=True)
    assert [r["run_id"] for r in rows] == [f"{SWEEP}_{i}" for i in (0, 1, 2, 3)]
