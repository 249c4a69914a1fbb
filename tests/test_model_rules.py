"""v1's ``Model(ws, ...)`` lookup and ``Model.get_model_path``, measured against the real SDK.

``tests/data/v1_reference/model_rules.json`` (re-recorded with
``/work/v1sdk/bin/python -m tests.v1_reference.record_model``) holds, per lookup of
``tests/v1_reference/model_cases.py``, the request v1 sent its model service and the exception it
raised when the service had no such model, and per ``get_model_path`` case the path v1 returned or
the exception it raised. Here:

- a lookup on an empty registry fails as v1's did: the class, its v1 base classes and v1's message
  (hpcest adds the names it has registered, after v1's words);
- a lookup on a registry holding versions of ``m`` finds the version v1's request asked for: an id
  (or a name with a version) names one version and nothing else filters it; a query is answered
  with the newest version of the name that has the run id, framework, tags (``key`` or
  ``key=value``) and properties asked for, as v1's model service answered its queries;
- ``Model.list`` refuses what v1 refused before asking its service (``tags`` that is no list,
  ``page_count`` outside 20..255, in that order), with v1's exception and message, and lists the
  versions v1's query asked for (compared as a set: v1's service gave no order);
- every ``get_model_path`` case gives v1's path, or v1's exception and message; ``Model(None, ...)``
  is v1's model with nothing filled in.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hpc_estimator.errors import AzureMLException
from hpc_estimator.runs.model import Model
from hpc_estimator.runs.workspace import Workspace
from hpc_estimator.v1.exceptions import ModelNotFoundException, WebserviceException
from tests.v1_reference.model_cases import CASES, LISTS, LOOKUPS, REGISTRY, normalise
from tests.v1_reference.replay import assert_raised_as_v1, run_case, v1_bases

RECORDED = json.loads((Path(__file__).parent / "data" / "v1_reference" / "model_rules.json").read_text())


def test_every_recorded_case_is_a_case() -> None:
    again = "re-record: /work/v1sdk/bin/python -m tests.v1_reference.record_model"
    assert set(RECORDED["lookups"]) == set(LOOKUPS), again
    assert set(RECORDED["lists"]) == set(LISTS), again
    assert set(RECORDED["cases"]) == set(CASES), again


def test_exception_classes_are_v1s() -> None:
    """v1: ModelNotFoundException -> AzureMLException, not a WebserviceException."""
    assert ModelNotFoundException.__mro__[1] is AzureMLException
    assert not issubclass(ModelNotFoundException, WebserviceException)
    assert v1_bases(ModelNotFoundException("m")) == RECORDED["cases"]["nowhere"]["error"]["bases"]
    assert RECORDED["cases"]["nowhere"]["error"]["type"] == "ModelNotFoundException"
    assert v1_bases(WebserviceException("m")) == RECORDED["lookups"]["name"]["error"]["bases"]


# -- Model(ws, ...) -------------------------------------------------------------------------------


@pytest.fixture
def empty(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", name="w")


@pytest.fixture
def filled(tmp_path: Path) -> Workspace:
    ws = Workspace.create(tmp_path / "ws", name="w")
    registry = ws.dataset_registry()
    for i, (name, run_id, tags, properties, framework) in enumerate(REGISTRY):
        def fill(directory: Path, i: int = i) -> str:
            (directory / "model.pkl").write_text(f"model {i}")
            return "model.pkl"

        registry.add_model(name, fill, run_id=run_id, experiment="exp", tags=tags, properties=properties,
                           framework=framework)
    return ws


@pytest.mark.parametrize("name", sorted(LOOKUPS))
def test_lookup_miss_matches_v1(name: str, empty: Workspace) -> None:
    expected = RECORDED["lookups"][name]["error"]
    error: BaseException | None = None
    try:
        Model(empty, **LOOKUPS[name])
    except Exception as exc:  # compared with what v1 raised
        error = exc
    # hpcest appends what is registered to v1's WebserviceException messages; others are v1's exactly.
    assert_raised_as_v1(error, expected, str(error), prefix=expected["type"] == "WebserviceException")


def _versions() -> list[dict[str, Any]]:
    """REGISTRY with the version numbers the registry gives (1, 2, ... per name)."""
    rows: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for name, run_id, tags, properties, framework in REGISTRY:
        counts[name] = counts.get(name, 0) + 1
        rows.append({"name": name, "version": counts[name], "run_id": run_id, "tags": tags,
                     "properties": properties, "framework": framework})
    return rows


def _has(values: dict[str, str], query: str | None) -> bool:
    if query is None:
        return True
    for term in query.split(","):
        key, eq, value = term.partition("=")
        if key not in values or (eq and values[key] != value):
            return False
    return True


def _service(request: list[Any]) -> tuple[str, int] | None:
    """What v1's model service answered ``request`` on a registry holding ``REGISTRY``."""
    kind, argument = request
    rows = _versions()
    if kind == "get_by_id":
        name, _, version = argument.partition(":")
        hits = [r for r in rows if r["name"] == name and str(r["version"]) == version]
    else:
        hits = [r for r in rows if (argument["name"] is None or r["name"] == argument["name"])
                and (argument["run_id"] is None or r["run_id"] == argument["run_id"])
                and (argument["framework"] is None or r["framework"] == argument["framework"])
                and _has(r["tags"], argument["tags"]) and _has(r["properties"], argument["properties"])]
        hits.sort(key=lambda r: r["version"], reverse=True)  # the newest first; count=1
    return (hits[0]["name"], hits[0]["version"]) if hits else None


@pytest.mark.parametrize("name", sorted(LOOKUPS))
def test_lookup_finds_what_v1_asked_for(name: str, filled: Workspace) -> None:
    recorded = RECORDED["lookups"][name]
    answer = _service(recorded["requests"][0]) if recorded["requests"] else None
    try:
        model = Model(filled, **LOOKUPS[name])
    except Exception as exc:
        assert answer is None, f"v1 asked for {recorded['requests']}, which finds {answer}; hpcest raised {exc}"
        assert_raised_as_v1(exc, recorded["error"], str(exc), prefix=recorded["error"]["type"] == "WebserviceException")
        return
    assert answer is not None, f"v1's request {recorded['requests']} finds nothing; hpcest found {model.id}"
    assert (model.name, model.version) == answer
    assert model.id == f"{answer[0]}:{answer[1]}"


def test_run_id_is_not_ignored(filled: Workspace) -> None:
    """The version a run registered, not the newest one another run registered after it."""
    assert Model(filled, "m").version == 3
    model = Model(filled, "m", run_id="r1")
    assert model.version == 1 and model.run_id == "r1"
    with pytest.raises(WebserviceException, match=r"^ModelNotFound: Model with name m, run_id r9 not found"):
        Model(filled, "m", run_id="r9")


def test_the_miss_names_what_is_registered(filled: Workspace) -> None:
    with pytest.raises(WebserviceException) as info:
        Model(filled, "nope")
    assert "registered: m, n" in str(info.value) and "run.register_model" in str(info.value)


# -- Model.list -----------------------------------------------------------------------------------


def _service_list(request: list[Any]) -> set[tuple[str, int]]:
    """Every version v1's model service answered the ``query`` ``request`` with, on ``REGISTRY``."""
    kind, argument = request
    assert kind == "query"
    rows = _versions()
    hits = [r for r in rows if (argument["name"] is None or r["name"] == argument["name"])
            and (argument["run_id"] is None or r["run_id"] == argument["run_id"])
            and (argument["framework"] is None or r["framework"] == argument["framework"])
            and _has(r["tags"], argument["tags"]) and _has(r["properties"], argument["properties"])]
    if argument["latest_version_only"]:
        newest = {r["name"]: r["version"] for r in sorted(hits, key=lambda r: r["version"])}
        hits = [r for r in hits if r["version"] == newest[r["name"]]]
    return {(r["name"], r["version"]) for r in hits}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_list_on_an_empty_registry_matches_v1(name: str, empty: Workspace) -> None:
    recorded = RECORDED["lists"][name]
    try:
        models = Model.list(empty, **LISTS[name])
    except Exception as exc:  # compared with what v1 raised
        assert "error" in recorded, f"v1 listed {recorded['models']}; hpcest raised {type(exc).__name__}: {exc}"
        assert_raised_as_v1(exc, recorded["error"], str(exc), prefix=False)
        return
    assert "error" not in recorded, f"v1 raised {recorded['error']}; hpcest listed {[m.id for m in models]}"
    assert [m.id for m in models] == recorded["models"]


@pytest.mark.parametrize("name", sorted(n for n in LISTS if "error" not in RECORDED["lists"][n]))
def test_list_finds_what_v1_asked_for(name: str, filled: Workspace) -> None:
    (request,) = RECORDED["lists"][name]["requests"]
    models = Model.list(filled, **LISTS[name])
    assert {(m.name, m.version) for m in models} == _service_list(request)
    assert len(models) == len({m.id for m in models})


# -- Model.get_model_path -------------------------------------------------------------------------


class Hpcest:
    Model = Model

    def __init__(self, root: Path) -> None:
        self._root = root

    def workspace(self) -> Workspace:
        return Workspace.create(self._root / "ws", name="w")


@pytest.fixture
def in_empty_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hpcest]:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    yield Hpcest(tmp_path)


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_matches_v1(name: str, in_empty_dir: Hpcest) -> None:
    expected = RECORDED["cases"][name]
    facts, error = run_case(CASES[name], in_empty_dir)
    if "error" in expected:
        assert_raised_as_v1(error, expected["error"], normalise(str(error), os.getcwd()), prefix=False)
    else:
        assert error is None, f"v1 accepted this; hpcest raised {type(error).__name__}: {error}"
    assert facts == expected["facts"]


def test_get_model_path_copies_the_registry_version_into_the_cache(filled: Workspace, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """As v1: with a workspace, the latest version is downloaded to azureml-models/<name>/<version>/."""
    monkeypatch.chdir(tmp_path)
    path = Model.get_model_path("m", _workspace=filled)
    assert path == os.path.join("azureml-models", "m", "3", "model.pkl")
    assert Path(path).read_text() == "model 2"
    # The cache now answers without a workspace, and a cached version before the registry.
    assert Model.get_model_path("m") == path
    Path(path).write_text("cached copy")
    assert Path(Model.get_model_path("m", version=3, _workspace=filled)).read_text() == "cached copy"
    shutil.rmtree("azureml-models")
    older = Model.get_model_path("m", version=1, _workspace=filled)
    assert older == os.path.join("azureml-models", "m", "1", "model.pkl") and Path(older).read_text() == "model 0"


def test_get_model_path_miss_lists_the_registry(filled: Workspace, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelNotFoundException) as info:
        Model.get_model_path("m", version=7, _workspace=filled)
    assert str(info.value) == "Model/Version m/7 not found in workspace. ['m/1', 'm/2', 'm/3', 'n/1']"


def test_model_without_a_workspace_names_no_version(tmp_path: Path) -> None:
    model = Model(None, "m")
    assert model.name is None and model.version is None and model.workspace is None
    with pytest.raises(WebserviceException, match=r"made without a workspace \(Model\(None, \.\.\.\)\)"):
        model.download(str(tmp_path))
