"""Record what the real Azure ML SDK v1 does for the ``Model`` lookup and ``get_model_path`` cases.

Runs under the real SDK's interpreter only (never a project dependency, never in CI)::

    /work/v1sdk/bin/python -m tests.v1_reference.record_model      # from the worktree root

writes ``tests/data/v1_reference/model_rules.json``: per lookup of ``model_cases.LOOKUPS`` the request
v1's ``Model(ws, ...)`` sent its model service and the exception it raised; per call of
``model_cases.LISTS`` the query ``Model.list(ws, ...)`` sent, or the exception it raised; per case of
``model_cases.CASES`` the facts it observed and the exception it raised, if any (class, v1 base
classes, one-line message). No Azure service is contacted: ``ModelsClient`` talks to a stand-in
that records each request and answers it as the service answered a registry without that model
(404 for an id, an empty page for a query); everything else is v1's own code.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any
from unittest import mock

from .model_cases import CASES, LISTS, LOOKUPS, normalise
from .recording import error_record, quiet, recorded, write_json

HERE = os.path.dirname(__file__)
OUT = os.path.join(HERE, "..", "data", "v1_reference", "model_rules.json")


@contextlib.contextmanager
def empty_model_service(requests: list[Any]) -> Iterator[None]:
    from azureml._restclient.models import ModelErrorResponseException
    from azureml._restclient.models_client import ModelsClient

    def query_by_id(model_id: str, **_: Any) -> Any:
        requests.append(["get_by_id", model_id])
        error = ModelErrorResponseException.__new__(ModelErrorResponseException)
        error.error = SimpleNamespace(status_code=404, correlation=None, details=None)
        raise error

    def list_query(**kwargs: Any) -> Any:
        kwargs.pop("is_paginated", None)
        kwargs.pop("custom_headers", None)
        requests.append(["query", dict(sorted(kwargs.items()))])
        return iter([])

    client = SimpleNamespace(ml_models=SimpleNamespace(query_by_id=query_by_id, list_query=list_query))
    with mock.patch.object(ModelsClient, "__init__", lambda self, *a, **k: None), \
            mock.patch.object(ModelsClient, "_client", client, create=True), \
            mock.patch.object(ModelsClient, "_execute_with_workspace_arguments",
                              lambda self, func, *args, **kwargs: func(*args, **kwargs)):
        yield


class V1:
    def __init__(self) -> None:
        from azureml.core import Model, Workspace

        self.Model = Model
        self._Workspace = Workspace

    def workspace(self) -> Any:
        ws = object.__new__(self._Workspace)
        ws._service_context = mock.MagicMock()
        return ws


def main() -> None:
    quiet()
    lib = V1()
    lookups: dict[str, Any] = {}
    for name, kwargs in LOOKUPS.items():
        requests: list[Any] = []
        record: dict[str, Any] = {"requests": requests}
        with empty_model_service(requests):
            try:
                lib.Model(lib.workspace(), **kwargs)
                record["found"] = True  # the stand-in never finds one
            except Exception as exc:  # every exception is a recorded fact
                record["error"] = error_record(exc)
        lookups[name] = record
    lists: dict[str, Any] = {}
    for name, kwargs in LISTS.items():
        requests = []
        record = {"requests": requests}
        with empty_model_service(requests):
            try:
                record["models"] = [model.id for model in lib.Model.list(lib.workspace(), **kwargs)]
            except Exception as exc:  # every exception is a recorded fact
                record["error"] = error_record(exc)
        lists[name] = record
    cases: dict[str, Any] = {}
    old = os.getcwd()
    for name, func in CASES.items():
        facts: dict[str, Any] = {}
        record = {"facts": facts}
        with tempfile.TemporaryDirectory(prefix="hpcest-v1-model-") as tmp, empty_model_service([]):
            os.chdir(tmp)
            try:
                func(lib, facts)
            except Exception as exc:
                record["error"] = error_record(exc)
                record["error"]["message"] = normalise(record["error"]["message"], os.getcwd())
            finally:
                os.chdir(old)
        cases[name] = record
    data = recorded("tests/v1_reference/record_model.py", ("azureml-core",), lookups=lookups, lists=lists, cases=cases)
    write_json(OUT, data, f"{len(lookups)} lookups, {len(lists)} lists and {len(cases)} cases to ")


if __name__ == "__main__":
    main()
