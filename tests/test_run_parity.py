"""hpc_estimator.Run and Experiment methods keep the v1 parameter names, order and defaults."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

from hpc_estimator.runs.experiment import Experiment
from hpc_estimator.runs.run import Run

SIGS = json.loads((Path(__file__).parent / "data" / "azureml_v1_signatures.json").read_text())


def _v1(cls_key: str, method: str) -> list[tuple[str, str | None]]:
    params = SIGS["classes"][cls_key]["methods"][method]["params"]
    return [(p["name"], None if p.get("required") or p["kind"].startswith("VAR") else p["default"]) for p in params]


def _ours(func: object) -> list[tuple[str, str | None]]:
    out = []
    for p in inspect.signature(func).parameters.values():  # type: ignore[arg-type]
        if p.name in ("self", "cls"):
            continue
        default = None if p.default is inspect.Parameter.empty or p.kind is p.VAR_KEYWORD else repr(p.default)
        out.append((p.name, default))
    return out


RUN_METHODS = [m for m in SIGS["classes"]["azureml.core.Run"]["methods"]
               if callable(getattr(Run, m, None)) and not isinstance(inspect.getattr_static(Run, m), property)]


@pytest.mark.parametrize("method", RUN_METHODS)
def test_run_method_matches_v1(method: str) -> None:
    assert _ours(getattr(Run, method)) == _v1("azureml.core.Run", method)


@pytest.mark.parametrize("method", ["submit", "get_runs", "list"])
def test_experiment_method_matches_v1(method: str) -> None:
    assert _ours(getattr(Experiment, method)) == _v1("azureml.core.Experiment", method)


def test_the_methods_users_call_most_are_covered() -> None:
    for name in ("get_status", "wait_for_completion", "get_details", "get_metrics", "get_file_names",
                 "download_file", "download_files", "cancel", "tag", "get_portal_url", "get_context"):
        assert name in RUN_METHODS
