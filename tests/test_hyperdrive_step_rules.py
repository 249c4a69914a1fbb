"""v1's HyperDriveStep and TrainingOutput constructor rules, one test per recorded case.

Each case of ``tests/v1_reference/hyperdrive_step_cases.py`` runs on hpcest and is compared with what
the real v1 SDK did (``tests/data/v1_reference/hyperdrive_step_rules.json``, re-recorded with
``/work/v1sdk/bin/python -m tests.v1_reference.record_hyperdrive_step``): a case v1 refused must be
refused with an exception of v1's type (or a subclass) whose message contains v1's; the facts must be
equal.
"""

from __future__ import annotations

import builtins
import json
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import hpc_estimator as hpc
from tests.v1_reference.hyperdrive_step_cases import CASES
from tests.v1_reference.pipeline_cases import normalise

RECORDED = json.loads(
    (Path(__file__).parent / "data" / "v1_reference" / "hyperdrive_step_rules.json").read_text()
)["cases"]


class Hpcest:
    """The hpcest side: v1's names from hpc_estimator."""

    HyperDriveStep = hpc.HyperDriveStep
    TrainingOutput = hpc.TrainingOutput
    HyperDriveConfig = hpc.HyperDriveConfig
    GridParameterSampling = hpc.GridParameterSampling
    PrimaryMetricGoal = hpc.PrimaryMetricGoal
    PipelineData = hpc.PipelineData
    Estimator = hpc.Estimator
    ScriptRunConfig = hpc.ScriptRunConfig
    DataReference = hpc.DataReference

    def __init__(self, src: str) -> None:
        self.src = src

    @staticmethod
    def choice(*values: Any) -> Any:
        return hpc.choice(*values)

    def target(self, name: str) -> str:
        return name

    def datastore(self, name: str) -> Any:
        return hpc.Datastore(name, f"/data/{name}")


@pytest.fixture
def lib(tmp_path: Path) -> Iterator[Hpcest]:
    src = tmp_path / "src"
    src.mkdir()
    (src / "train.py").write_text("print('train')\n")
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield Hpcest(str(src))
    finally:
        os.chdir(old)


def test_every_recorded_case_is_a_case() -> None:
    assert set(RECORDED) == set(CASES), "re-record: /work/v1sdk/bin/python -m tests.v1_reference.record_hyperdrive_step"


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_matches_v1(name: str, lib: Hpcest) -> None:
    expected = RECORDED[name]
    facts: dict[str, Any] = {}
    error: BaseException | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            CASES[name](lib, facts)
        except Exception as exc:  # compared with what v1 raised
            error = exc
    if "error" in expected:
        assert error is not None, f"v1 raised {expected['error']}; hpcest accepted it (facts {facts})"
        v1_type = getattr(builtins, expected["error"]["type"])
        assert isinstance(error, v1_type), f"{type(error).__name__} is not a {v1_type.__name__}: {error}"
        assert expected["error"]["message"] in normalise(str(error), lib.src)
    else:
        assert error is None, f"v1 accepted this; hpcest raised {type(error).__name__}: {error}"
    assert json.loads(json.dumps(facts)) == expected["facts"]
