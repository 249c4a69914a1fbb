"""A sweep's metrics, as v1's HyperDriveRun gives them, read from all its trials in one round trip.

Protects: ``get_metrics`` (every child, ``{}`` for one that logged nothing or never started),
``get_children_sorted_by_primary_metric`` (each child's best logged value: max when maximizing,
min when minimizing; best first, ``reverse`` flips that; children without a numeric value last,
in child order, or left out with ``discard_no_metric``; ``top``), ``get_best_run_by_primary_metric``
(its Failed/Canceled filters), the progress line's best, and ``hpcest status SWEEP --plot``: each
reads the metrics of all trials with one remote command, whatever their number (it was one per
trial, and on every tick of ``wait_for_completion(show_output=True)``).

The trials' metric files are written by the job-side logger (``JobRunContext``) into real run
directories and read through the local transport.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hpc_estimator.backends import get_backend
from hpc_estimator.runs.experiment import Experiment
from hpc_estimator.runs.sweep_run import AML_PREFIX, HyperDriveRun
from hpc_estimator.runs.workspace import Workspace
from hpc_estimator.runtime.context import JobRunContext
from hpc_estimator.transport.local import LocalTransport
from tests.cluster_workspace import cluster_workspace

SWEEP = "exp_1_s"


class Counting(LocalTransport):
    """The local transport, recording every command it runs."""

    def __init__(self) -> None:
        super().__init__()
        self.commands: list[list[str]] = []

    def run(self, argv, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        self.commands.append(list(argv))
        return super().run(argv, *args, **kwargs)


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with cluster_workspace(tmp_path, "sweep-metrics") as ws:
        yield ws


@pytest.fixture
def transport(workspace: Workspace) -> Counting:
    counting = Counting()
    get_backend(workspace, "cluster").transport = counting  # type: ignore[misc]
    return counting


def _logged(run_dir: Path, *calls: tuple[str, str, Any]) -> None:
    ranks: dict[int, JobRunContext] = {}
    for i, (method, name, value) in enumerate(calls):
        rank = i % 2  # two ranks, as a distributed trial writes them
        ctx = ranks.setdefault(rank, JobRunContext("t", run_dir, "exp", rank=rank))
        getattr(ctx, method)(name, value)
    for ctx in ranks.values():
        ctx.close()


# child name -> (status, what it logged; None: never started, no run directory)
TRIALS: dict[str, tuple[str, list[tuple[str, str, Any]] | None]] = {
    "0": ("Completed", [("log", "acc", 0.2), ("log", "acc", 0.9), ("log", "acc", 0.5), ("log", "loss", 1.0)]),
    "1": ("Completed", [("log", "acc", 0.7)]),
    "2": ("Completed", [("log", "loss", 0.3)]),  # no primary metric
    "3": ("Completed", [("log", "acc", True), ("log_list", "acc", ["a"])]),  # nothing numeric
    "4": ("Failed", [("log_list", "acc", [0.95, 0.1])]),
    "5": ("Canceled", [("log", "acc", 0.8)]),
    "6": ("Queued", None),
}


def make_sweep(ws: Workspace, root: Path, goal: str = "maximize", sweep_id: str = SWEEP) -> HyperDriveRun:
    tags = {f"{AML_PREFIX}{sweep_id}_{name}": json.dumps({"lr": int(name) / 10}) for name in TRIALS}
    ws.run_store.create_run(
        "exp", "cluster", "slurm", run_id=sweep_id, kind="sweep", status="Completed", tags=tags,
        remote_dir=str(root / sweep_id),
        properties={"hyperdrive": {"primary_metric_config": {"name": "acc", "goal": goal}, "max_total_runs": 7}},
    )
    for name, (status, calls) in TRIALS.items():
        run_dir = root / sweep_id / "trials" / name
        if calls is not None:
            _logged(run_dir, *calls)
        ws.run_store.create_run(
            "exp", "cluster", "slurm", run_id=f"{sweep_id}_{name}", kind="trial", parent_id=sweep_id, name=name,
            status=status, remote_dir=str(run_dir) if calls is not None else None,
        )
    return HyperDriveRun(Experiment(ws, "exp"), sweep_id)


def _ids(rows: list[dict[str, Any]]) -> list[str]:
    return [r["run_id"].rsplit("_", 1)[1] for r in rows]


def _metric_reads(transport: Counting) -> list[list[str]]:
    return [c for c in transport.commands if "metrics/*.jsonl" in " ".join(c)]


def test_get_metrics_is_every_childs_in_one_command(workspace: Workspace, transport: Counting, tmp_path: Path) -> None:
    run = make_sweep(workspace, tmp_path)
    metrics = run.get_metrics()
    assert metrics[f"{SWEEP}_0"] == {"acc": [0.2, 0.9, 0.5], "loss": 1.0}
    assert metrics[f"{SWEEP}_3"] == {"acc": [True, "a"]}
    assert metrics[f"{SWEEP}_6"] == {}  # never started
    assert set(metrics) == {f"{SWEEP}_{n}" for n in TRIALS}
    assert len(_metric_reads(transport)) == 1
    # Each child's own get_metrics is the same as the batch's.
    for child in run.get_children():
        assert child.get_metrics() == metrics[child.id]


def test_children_sorted_by_the_best_value_when_maximizing(
    workspace: Workspace, transport: Counting, tmp_path: Path
) -> None:
    run = make_sweep(workspace, tmp_path)
    rows = run.get_children_sorted_by_primary_metric()
    assert _ids(rows) == ["4", "0", "5", "1", "2", "3", "6"]  # without a numeric value: last, in child order
    assert [r["best_primary_metric"] for r in rows] == [0.95, 0.9, 0.8, 0.7, None, None, None]
    assert rows[0] == {"run_id": f"{SWEEP}_4", "hyperparameters": json.dumps({"lr": 0.4}),
                       "best_primary_metric": 0.95, "status": "Failed"}
    assert len(_metric_reads(transport)) == 1
    assert _ids(run.get_children_sorted_by_primary_metric(reverse=True)) == ["1", "5", "0", "4", "2", "3", "6"]
    assert _ids(run.get_children_sorted_by_primary_metric(top=2)) == ["4", "0"]
    assert _ids(run.get_children_sorted_by_primary_metric(discard_no_metric=True)) == ["4", "0", "5", "1"]
    assert _ids(run.get_children_sorted_by_primary_metric(top=9, reverse=True, discard_no_metric=True)) == [
        "1", "5", "0", "4"]
    with pytest.raises(AssertionError, match="top should be 0 or a positive integer"):
        run.get_children_sorted_by_primary_metric(top=-1)


def test_children_sorted_by_the_least_value_when_minimizing(
    workspace: Workspace, transport: Counting, tmp_path: Path
) -> None:
    run = make_sweep(workspace, tmp_path, goal="minimize")
    rows = run.get_children_sorted_by_primary_metric(discard_no_metric=True)
    assert _ids(rows) == ["4", "0", "1", "5"]
    assert [r["best_primary_metric"] for r in rows] == [0.1, 0.2, 0.7, 0.8]
    assert _ids(run.get_children_sorted_by_primary_metric(reverse=True, discard_no_metric=True)) == [
        "5", "1", "0", "4"]


def test_best_run_and_its_filters(workspace: Workspace, transport: Counting, tmp_path: Path) -> None:
    run = make_sweep(workspace, tmp_path)
    best = run.get_best_run_by_primary_metric()
    assert best is not None and best.id == f"{SWEEP}_4"
    best = run.get_best_run_by_primary_metric(include_failed=False)
    assert best is not None and best.id == f"{SWEEP}_0"
    assert len(_metric_reads(transport)) == 2  # one per call


def test_the_progress_lines_best_is_one_command_per_tick(
    workspace: Workspace, transport: Counting, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = make_sweep(workspace, tmp_path)
    run.wait_for_completion(show_output=True)  # the sweep has ended: one poll, one tick
    assert f", best acc=0.95 ({SWEEP}_4)" in capsys.readouterr().out
    assert len(_metric_reads(transport)) == 1


def test_status_with_a_plot_reads_the_metrics_once(
    workspace: Workspace, transport: Counting, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    from hpc_estimator.cli.sweep import show_sweep

    make_sweep(workspace, tmp_path)
    plot = tmp_path / "sweep.png"
    show_sweep(workspace, SWEEP, as_json=True, plot=str(plot))
    shown = json.loads(capsys.readouterr().out)
    assert [t["trial"] for t in shown["trials"]] == ["4", "0", "5", "1", "2", "3", "6"]
    assert shown["trials"][0] == {"trial": "4", "run_id": f"{SWEEP}_4", "parameters": {"lr": 0.4}, "metric": 0.95,
                                  "status": "Failed", "why": None}
    assert plot.stat().st_size > 0
    assert len(_metric_reads(transport)) == 1
