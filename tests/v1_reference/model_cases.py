"""``Model`` lookups and ``Model.get_model_path`` as small cases run by both SDKs.

Two kinds of case, both recorded from the real v1 SDK by ``record_model.py`` and replayed on hpcest
by ``tests/test_model_rules.py``:

- ``LOOKUPS``: keyword arguments of ``Model(ws, ...)``. v1 turns them into one request to its model
  service (``get_by_id`` or a ``query`` with filters) and builds the error of a miss itself, from the
  arguments. The recorder answers every request "not found" and stores the request v1 made and the
  exception it raised; the replay compares hpcest's miss with v1's, and, on a registry that holds
  versions, the version hpcest finds with what v1's request asked the service for.
- ``LISTS``: keyword arguments of ``Model.list(ws, ...)``. v1 refuses some itself (``tags`` that is no
  list, ``page_count`` outside 20..255) and sends the others as one query; the recorder stores the
  query or the exception, the replay compares hpcest's refusals with v1's and, on a registry that
  holds versions, the versions hpcest lists with the ones v1's query asked for.
- ``CASES``: ``case(lib, facts)`` functions for ``Model.get_model_path`` and ``Model(None, ...)``. Each runs in an empty
  working directory, lays out files there (v1's cache ``azureml-models/<name>/<version>/``, or a
  model in the working directory) and records the path returned; ``lib.workspace()`` is a workspace
  whose registry holds no model. Everything v1 does here is client-side.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

Facts = dict[str, Any]
CASES: dict[str, Callable[[Any, Facts], None]] = {}

LOOKUPS: dict[str, dict[str, Any]] = {
    "nothing": {},
    "name": {"name": "m"},
    "unknown_name": {"name": "other"},
    "name_version": {"name": "m", "version": 2},
    "name_unknown_version": {"name": "m", "version": 9},
    "name_version_and_run_id": {"name": "m", "version": 2, "run_id": "r1"},
    "name_version_and_tags": {"name": "m", "version": 2, "tags": ["b"]},
    "id": {"id": "m:1"},
    "id_unknown_version": {"id": "m:9"},
    "id_and_run_id": {"id": "m:1", "run_id": "r2"},
    "id_and_name": {"id": "m:1", "name": "other"},
    "name_run_id": {"name": "m", "run_id": "r1"},
    "name_run_id_of_latest": {"name": "m", "run_id": "r3"},
    "name_unknown_run_id": {"name": "m", "run_id": "r9"},
    "name_tag_key": {"name": "m", "tags": ["a"]},
    "name_tag_key_of_oldest": {"name": "m", "tags": ["b"]},
    "name_tag_pair": {"name": "m", "tags": [["a", "1"]]},
    "name_tag_pair_other_value": {"name": "m", "tags": [["a", "7"]]},
    "name_tag_key_and_pair": {"name": "m", "tags": ["b", ["a", "1"]]},
    "name_tags_dict": {"name": "m", "tags": {"b": "anything"}},
    "name_tag_tuple": {"name": "m", "tags": [("a", "1")]},
    "name_tag_pair_not_a_string": {"name": "m", "tags": [["a", 1]]},
    "name_property_key": {"name": "m", "properties": ["p"]},
    "name_property_pair": {"name": "m", "properties": [["p", "q"]]},
    "name_unknown_property": {"name": "m", "properties": ["zzz"]},
    "name_framework": {"name": "m", "model_framework": "ScikitLearn"},
    "name_unknown_framework": {"name": "m", "model_framework": "Onnx"},
    "name_run_id_and_tag": {"name": "m", "run_id": "r2", "tags": [["a", "2"]]},
    "name_run_id_and_other_tag": {"name": "m", "run_id": "r2", "tags": [["a", "1"]]},
}

# Keyword arguments of ``Model.list(ws, ...)``: v1 checks ``page_count`` and ``tags`` itself, then sends
# one query (paged by ``page_count``) whose answer is every version that matches.
LISTS: dict[str, dict[str, Any]] = {
    "nothing": {},
    "name": {"name": "m"},
    "unknown_name": {"name": "other"},
    "run_id": {"run_id": "r1"},
    "name_run_id": {"name": "m", "run_id": "r2"},
    "tag_key": {"tags": ["a"]},
    "tag_key_of_one": {"tags": ["b"]},
    "tag_pair": {"tags": [["a", "1"]]},
    "tag_key_and_pair": {"tags": ["b", ["a", "1"]]},
    "tags_empty_list": {"tags": []},
    "tags_dict": {"tags": {"a": "1"}},
    "tags_empty_dict": {"tags": {}},
    "tags_tuple": {"tags": ("a",)},
    "tags_string": {"tags": "a"},
    "tag_tuple": {"tags": [("a", "1")]},
    "tag_pair_not_a_string": {"tags": [["a", 1]]},
    "property_key": {"properties": ["p"]},
    "property_pair": {"properties": [["p", "q"]]},
    "properties_dict": {"properties": {"p": "not compared"}},
    "framework": {"model_framework": "ScikitLearn"},
    "latest": {"latest": True},
    "name_latest": {"name": "m", "latest": True},
    "expand_false": {"expand": False},
    "name_run_id_and_tag": {"name": "m", "run_id": "r2", "tags": [["a", "2"]]},
    "page_count_20": {"page_count": 20},
    "page_count_255": {"page_count": 255},
    "page_count_19": {"page_count": 19},
    "page_count_256": {"page_count": 256},
    "page_count_zero": {"page_count": 0},
    "page_count_none": {"page_count": None},
    "page_count_negative": {"page_count": -5},
    "page_count_string": {"page_count": "30"},
    "page_count_before_tags": {"page_count": 10, "tags": {"a": "1"}},
}

# The registry the replay looks the LOOKUPS up in (hpcest side only; v1's service answered nothing):
# name, run id, tags, properties, framework, in the order registered (versions 1, 2, 3 of "m").
REGISTRY: list[tuple[str, str, dict[str, str], dict[str, str], str | None]] = [
    ("m", "r1", {"a": "1", "b": "x"}, {"p": "q"}, "ScikitLearn"),
    ("m", "r2", {"a": "2"}, {}, None),
    ("m", "r3", {"a": "3"}, {"p": "other"}, None),
    ("n", "r1", {"a": "1"}, {}, None),
]

_FOUND = re.compile(r"Found \[([^\]]*)\]")


def normalise(text: str, cwd: str) -> str:
    """A message without the working directory the case ran in (and with a directory listing in a
    fixed order: v1 prints ``os.listdir``'s)."""
    text = text.replace(cwd, "<cwd>")
    return _FOUND.sub(lambda m: "Found [" + ", ".join(sorted(m.group(1).split(", "))) + "]", text)


def case(func: Callable[[Any, Facts], None]) -> Callable[[Any, Facts], None]:
    CASES[func.__name__] = func
    return func


def _put(path: str, text: str = "weights") -> None:
    """A file at ``path`` (relative to the working directory), its directories made."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


# -- the cache, without a workspace ---------------------------------------------------------------


@case
def cache_latest_version(lib: Any, facts: Facts) -> None:
    _put("azureml-models/m/1/model.pkl")
    _put("azureml-models/m/2/model.pkl")
    _put("azureml-models/m/10/model.pkl")
    facts["path"] = lib.Model.get_model_path("m")


@case
def cache_given_version(lib: Any, facts: Facts) -> None:
    _put("azureml-models/m/1/model.pkl")
    _put("azureml-models/m/2/model.pkl")
    facts["path"] = lib.Model.get_model_path("m", version=1)


@case
def cache_folder_model(lib: Any, facts: Facts) -> None:
    _put("azureml-models/m/3/model_dir/weights.bin")
    _put("azureml-models/m/3/model_dir/config.json")
    facts["path"] = lib.Model.get_model_path("m")


@case
def cache_preferred_to_working_directory(lib: Any, facts: Facts) -> None:
    _put("azureml-models/m/1/model.pkl")
    _put("m")
    facts["path"] = lib.Model.get_model_path("m", version=1)


@case
def cache_version_missing_falls_back_to_working_directory(lib: Any, facts: Facts) -> None:
    _put("azureml-models/m/1/model.pkl")
    _put("m")
    facts["path"] = lib.Model.get_model_path("m", version=3)


@case
def cache_version_missing_nothing_else(lib: Any, facts: Facts) -> None:
    _put("azureml-models/m/1/model.pkl")
    lib.Model.get_model_path("m", version=3)


@case
def cache_empty_version_directory(lib: Any, facts: Facts) -> None:
    os.makedirs("azureml-models/m/1")
    lib.Model.get_model_path("m")


@case
def cache_two_entries(lib: Any, facts: Facts) -> None:
    _put("azureml-models/m/1/a.pkl")
    _put("azureml-models/m/1/b.pkl")
    lib.Model.get_model_path("m", version=1)


@case
def cache_no_versions(lib: Any, facts: Facts) -> None:
    os.makedirs("azureml-models/m")
    lib.Model.get_model_path("m")


@case
def cache_version_not_a_number(lib: Any, facts: Facts) -> None:
    _put("azureml-models/m/latest/model.pkl")
    lib.Model.get_model_path("m")


@case
def cache_of_another_model(lib: Any, facts: Facts) -> None:
    _put("azureml-models/other/1/model.pkl")
    lib.Model.get_model_path("m")


@case
def working_directory_file(lib: Any, facts: Facts) -> None:
    _put("m")
    facts["path"] = lib.Model.get_model_path("m")


@case
def working_directory_folder(lib: Any, facts: Facts) -> None:
    _put("m/weights.bin")
    facts["path"] = lib.Model.get_model_path("m")


@case
def working_directory_with_version(lib: Any, facts: Facts) -> None:
    _put("m")
    facts["path"] = lib.Model.get_model_path("m", version=2)


@case
def nowhere(lib: Any, facts: Facts) -> None:
    lib.Model.get_model_path("m")


@case
def nowhere_with_version(lib: Any, facts: Facts) -> None:
    lib.Model.get_model_path("m", version=1)


@case
def version_not_an_int(lib: Any, facts: Facts) -> None:
    _put("azureml-models/m/1/model.pkl")
    lib.Model.get_model_path("m", version="1")


@case
def model_name_none(lib: Any, facts: Facts) -> None:
    lib.Model.get_model_path(None)


# -- with a workspace whose registry holds no model -----------------------------------------------


@case
def workspace_cache_has_version(lib: Any, facts: Facts) -> None:
    _put("azureml-models/m/2/model.pkl")
    facts["path"] = lib.Model.get_model_path("m", version=2, _workspace=lib.workspace())


@case
def workspace_cache_version_missing(lib: Any, facts: Facts) -> None:
    _put("azureml-models/m/2/model.pkl")
    lib.Model.get_model_path("m", version=3, _workspace=lib.workspace())


@case
def workspace_without_version_skips_cache(lib: Any, facts: Facts) -> None:
    _put("azureml-models/m/2/model.pkl")
    lib.Model.get_model_path("m", _workspace=lib.workspace())


@case
def workspace_version_not_an_int(lib: Any, facts: Facts) -> None:
    lib.Model.get_model_path("m", version="2", _workspace=lib.workspace())


# -- Model without a workspace --------------------------------------------------------------------


def _attributes(model: Any) -> Facts:
    """A model's public attributes (v1 sets them all, to None or {}, before it looks anything up)."""
    return {key: value for key, value in sorted(vars(model).items()) if not key.startswith("_")}


@case
def model_without_workspace(lib: Any, facts: Facts) -> None:
    model = lib.Model(None, "m")
    facts["attributes"] = _attributes(model)
    facts["repr"] = repr(model)
    facts["has_model_framework_version"] = hasattr(model, "model_framework_version")


@case
def model_without_workspace_or_name(lib: Any, facts: Facts) -> None:
    facts["attributes"] = _attributes(lib.Model(None))


@case
def model_without_workspace_every_filter(lib: Any, facts: Facts) -> None:
    model = lib.Model(None, name="m", id="m:1", tags=["a"], properties=["p"], version=2, run_id="r1",
                      model_framework="ScikitLearn", expand=False)
    facts["attributes"] = _attributes(model)


@case
def model_with_a_falsy_workspace(lib: Any, facts: Facts) -> None:
    facts["attributes"] = _attributes(lib.Model("", "m"))
