"""Every way to get a stored run gives the v1 class of its kind.

Protects: ``Run.get``, ``Experiment.get_runs`` (and ``Run.list``) and the hpcest commands pick
the class from one rule, as v1 rehydrated runs by their type: a sweep is a HyperDriveRun (with
``get_children`` and ``get_best_run_by_primary_metric``), a trial or single run a Run.
"""

from __future__ import annotations

from pathlib import Path

from hpc_estimator import Experiment, HyperDriveRun, Run, Workspace


def test_a_sweep_is_a_hyperdrive_run_however_it_is_fetched(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "project", name="classes")
    store = ws.run_store
    store.create_run("sweeps", "local", "local", run_id="sweep_1", kind="sweep", status="Running")
    store.create_run("sweeps", "local", "local", run_id="sweep_1_0", kind="trial", parent_id="sweep_1", name="0")
    store.create_run("sweeps", "local", "local", run_id="single_1")
    experiment = Experiment(ws, "sweeps")
    listed = {run.id: type(run) for run in experiment.get_runs(include_children=True)}
    assert listed == {"sweep_1": HyperDriveRun, "sweep_1_0": Run, "single_1": Run}
    assert {run.id: type(run) for run in Run.list(experiment)} == {"sweep_1": HyperDriveRun, "single_1": Run}
    assert type(Run.get(ws, "sweep_1")) is HyperDriveRun
    assert [child.id for child in next(r for r in experiment.get_runs() if r.id == "sweep_1").get_children()] == [
        "sweep_1_0"
    ]
