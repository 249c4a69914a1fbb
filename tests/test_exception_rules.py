"""v1's exception classes: how they are built and what code reads from them, one test per recorded case.

Each case of ``tests/v1_reference/exception_cases.py`` runs on hpcest's classes and is compared with
what the real v1 SDK did (``tests/data/v1_reference/exception_rules.json``, re-recorded with
``/work/v1sdk/bin/python -m tests.v1_reference.record_exceptions``): the same facts (``e.message``,
``e.inner_exception``, ``e.args``, the base classes ...), and where v1 refused a construction, the
same exception and message. Then what hpcest keeps of its own: ``str(e)`` is the message alone.
"""

from __future__ import annotations

import importlib
import json
import pickle
from pathlib import Path

import pytest

import hpc_estimator.errors as errors
import hpc_estimator.v1.exceptions as v1_exceptions
from tests.v1_reference.exception_cases import CASES, NAMES
from tests.v1_reference.replay import assert_raised_as_v1, run_case

RECORDED = json.loads((Path(__file__).parent / "data" / "v1_reference" / "exception_rules.json").read_text())["cases"]


class Hpcest:
    def __init__(self) -> None:
        for name in NAMES:
            setattr(self, name, getattr(errors, name, None) or getattr(v1_exceptions, name))


def test_every_recorded_case_is_a_case() -> None:
    assert set(RECORDED) == set(CASES), "re-record: /work/v1sdk/bin/python -m tests.v1_reference.record_exceptions"


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_matches_v1(name: str) -> None:
    expected = RECORDED[name]
    facts, error = run_case(CASES[name], Hpcest())
    if "error" in expected:
        assert_raised_as_v1(error, expected["error"])
    else:
        assert error is None, f"v1 accepted this; hpcest raised {type(error).__name__}: {error}"
    assert json.loads(json.dumps(facts)) == expected["facts"]


def test_str_is_the_message() -> None:
    """hpcest's own: the message alone (v1 added the class name and an error-response JSON)."""
    error = errors.UserErrorException("boom", inner_exception=ValueError("cause"))
    assert str(error) == "boom"
    error.message = "changed"
    assert str(error) == "changed"
    assert repr(errors.ComputeTargetException("x")) == "ComputeTargetException('x')"


def test_hpcest_subclasses_read_as_v1s() -> None:
    """The refusals and errors hpcest raises under v1's base classes carry .message too."""
    from hpc_estimator.compat.notebook import NotebookError
    from hpc_estimator.runtime.context import MetricTypeError

    refusal = v1_exceptions.AzureOnlyError("Webservice(...)", "an Azure web service", "serve it yourself")
    assert refusal.message == str(refusal) and refusal.args == (refusal.message,)
    assert refusal.message.startswith("Webservice(...): an Azure web service has no meaning")
    metric = MetricTypeError("a list")
    assert isinstance(metric, TypeError) and metric.message == "a list" and metric.inner_exception is None
    assert NotebookError("bad notebook").message == "bad notebook"


def test_made_while_handling_another_still_pickles() -> None:
    try:
        raise KeyError("k")
    except KeyError:
        error = errors.UserErrorException("boom")
    again = pickle.loads(pickle.dumps(error))
    assert again.message == "boom" and type(again) is errors.UserErrorException


@pytest.mark.parametrize(("module", "names"), [
    ("azureml.exceptions", ("AzureMLException", "UserErrorException", "WebserviceException",
                            "AuthenticationException")),
    ("azureml.train.hyperdrive.exceptions", ("HyperDriveException", "HyperDriveConfigException",
                                             "HyperDriveScenarioNotSupportedException",
                                             "HyperDriveNotImplementedException")),
])
def test_served_under_v1_names(module: str, names: tuple[str, ...]) -> None:
    from hpc_estimator.compat import importer

    importer.activate()
    try:
        served = importlib.import_module(module)
        for name in names:
            assert getattr(served, name) is getattr(Hpcest(), name), name
    finally:
        importer.deactivate()
