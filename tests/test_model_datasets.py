"""A model registered with datasets, as v1 kept them (``Model.register(..., datasets=[(scenario, ds)])``).

Protects what v1's registration did (azureml-core 1.61.0.post4, ``Model._register_with_asset``):
each pair's dataset is referred to by its id, a dataset never registered is saved first and then has
an id; ``model.datasets`` is scenario -> [datasets], also on a model looked up later;
``Model.list(ws, dataset_id=...)`` lists the versions registered with that dataset; anything but a
dataset is refused with v1's message, before a version or a file exists. ``run.register_model``
takes ``datasets=`` the same way (tests/test_model_rules.py covers the lookups themselves).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from hpc_estimator import Dataset
from hpc_estimator.runs.model import Model
from hpc_estimator.runs.workspace import Workspace
from hpc_estimator.v1.exceptions import WebserviceException


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", name="w")


def _model_file(tmp_path: Path, name: str = "model.pkl") -> str:
    path = tmp_path / name
    path.write_text("weights")
    return str(path)


def test_datasets_are_kept_by_scenario_and_an_unregistered_one_is_saved(ws: Workspace, tmp_path: Path) -> None:
    registered = Dataset.File.from_files("/data/points").register(ws, "points")
    unregistered = Dataset.Tabular.from_delimited_files("/data/labels.csv")
    assert unregistered.id is None
    model = Model.register(ws, _model_file(tmp_path), "m",
                           datasets=[("training", registered), ("training", unregistered), ("scoring", registered)])
    assert unregistered.id is not None  # saved on the way, as v1's _ensure_saved
    for found in (model, Model(ws, "m")):
        assert sorted(found.datasets) == ["scoring", "training"]
        assert [d.id for d in found.datasets["training"]] == [registered.id, unregistered.id]
        assert [d.id for d in found.datasets["scoring"]] == [registered.id]
        saved = found.datasets["training"][1]
        assert type(saved).__name__ == "TabularDataset" and saved.cluster_path == "/data/labels.csv"
        assert saved.name is None  # saved, not registered
    assert Model.register(ws, _model_file(tmp_path), "plain").datasets == {}


def test_list_by_dataset_id_finds_the_versions_registered_with_it(ws: Workspace, tmp_path: Path) -> None:
    points = Dataset.File.from_files("/data/points").register(ws, "points")
    other = Dataset.File.from_files("/data/other").register(ws, "other")
    Model.register(ws, _model_file(tmp_path), "a", datasets=[("training", points)])
    Model.register(ws, _model_file(tmp_path), "a", datasets=[("training", other)])
    Model.register(ws, _model_file(tmp_path), "b", datasets=[("validation", other), ("training", points)])
    Model.register(ws, _model_file(tmp_path), "c")
    assert sorted((m.name, m.version) for m in Model.list(ws, dataset_id=points.id)) == [("a", 1), ("b", 1)]
    assert sorted((m.name, m.version) for m in Model.list(ws, dataset_id=other.id)) == [("a", 2), ("b", 1)]
    assert [(m.name, m.version) for m in Model.list(ws, name="a", dataset_id=other.id)] == [("a", 2)]
    assert [(m.name, m.version) for m in Model.list(ws, dataset_id=points.id, latest=True, name="a")] == [("a", 1)]
    assert Model.list(ws, dataset_id="no-such-id") == []
    (listed_b,) = [m for m in Model.list(ws, dataset_id=points.id) if m.name == "b"]
    assert list(listed_b.datasets) == ["validation", "training"]  # all of its datasets, in order
    assert [d.id for d in listed_b.datasets["validation"]] == [other.id]
    assert len(Model.list(ws)) == 4  # no dataset_id: no filter


@pytest.mark.parametrize("not_a_dataset", ["/data/points", {"path": "/data"}, None])
def test_anything_but_a_dataset_is_refused_as_v1_before_anything_is_registered(
    ws: Workspace, tmp_path: Path, not_a_dataset: object
) -> None:
    with pytest.raises(WebserviceException) as info:
        Model.register(ws, _model_file(tmp_path), "m", datasets=[("training", not_a_dataset)])
    assert str(info.value).startswith(
        f"Invalid dataset of type {type(not_a_dataset)} passed, must be of type Dataset or DatasetSnapshot"
    )
    assert Model.list(ws) == []
    assert not list((ws.path / ".hpcest" / "models").glob("m/*"))


def test_a_registration_refused_saves_none_of_its_datasets(ws: Workspace, tmp_path: Path) -> None:
    """A later pair that is no dataset, or a model path that does not exist: the unregistered
    datasets before it are not saved (no id, nothing in the registry)."""
    unregistered = Dataset.File.from_files("/data/points")
    with pytest.raises(WebserviceException):
        Model.register(ws, _model_file(tmp_path), "m", datasets=[("training", unregistered), ("scoring", "x")])
    with pytest.raises(WebserviceException, match="does not exist"):
        Model.register(ws, str(tmp_path / "missing.pkl"), "m", datasets=[("training", unregistered)])
    assert unregistered.id is None
    with ws.dataset_registry()._write() as conn:
        assert conn.execute("SELECT COUNT(*) FROM saved_datasets").fetchone()[0] == 0


def test_run_register_model_keeps_its_datasets(ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's files come through its transport (faked here: a local directory); the datasets as
    for Model.register."""
    points = Dataset.File.from_files("/data/points").register(ws, "points")
    run_dir = tmp_path / "run"
    (run_dir / "outputs").mkdir(parents=True)
    (run_dir / "outputs" / "model.pt").write_text("weights")

    def fetch(transport: object, root: str, names: list[str], directory: Path) -> None:
        for name in names:
            (directory / name).parent.mkdir(parents=True, exist_ok=True)
            (directory / name).write_bytes((Path(root) / name).read_bytes())

    monkeypatch.setattr("hpc_estimator.runs.model.fetch_tree", fetch)
    run = SimpleNamespace(
        id="r1", experiment=SimpleNamespace(workspace=ws, name="exp"),
        record=SimpleNamespace(remote_dir=str(run_dir)), get_file_names=lambda: ["outputs/model.pt"],
        _backend=lambda: SimpleNamespace(transport=None),
    )
    model = Model._register_run_files(run, "m", "outputs/model.pt", datasets=[("training", points)])
    assert [d.id for d in model.datasets["training"]] == [points.id]
    assert [(m.name, m.run_id) for m in Model.list(ws, dataset_id=points.id)] == [("m", "r1")]
