"""v1's pipeline rules, one test per rule: each case of ``tests/v1_reference/pipeline_cases.py`` run on
hpcest and compared with what the real v1 SDK did (``tests/data/v1_reference/pipeline_rules.json``,
re-recorded with ``/work/v1sdk/bin/python -m tests.v1_reference.record_pipeline``).

A case v1 refused must be refused with an exception of v1's type (or a subclass) whose message
contains v1's; the facts a case records (before the exception, or all of them) must be equal. The
deliberate differences are listed in ``DIFFERENCES`` with what hpcest does instead and why.
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
from hpc_estimator.v1.pipeline.resolved import ResolvedStep
from tests.v1_reference.pipeline_cases import CASES, normalise

RECORDED = json.loads((Path(__file__).parent / "data" / "v1_reference" / "pipeline_rules.json").read_text())["cases"]

# case -> (the facts hpcest records instead, why)
DIFFERENCES: dict[str, tuple[dict[str, Any], str]] = {
    "estimator_step_leaves_estimator": (
        {"estimator_target_cleared": False, "estimator_data_references_cleared": False},
        "v1's EstimatorStep cleared the estimator's target and data references in place, so reusing the "
        "estimator afterwards (a standalone submit) silently lost them; hpcest clears a copy",
    ),
}


class Hpcest:
    """The hpcest side of ``pipeline_cases.Lib``."""

    Pipeline: Any
    PipelineData = hpc.PipelineData
    PipelineParameter = hpc.PipelineParameter
    StepSequence = hpc.StepSequence
    PythonScriptStep = hpc.PythonScriptStep
    CommandStep = hpc.CommandStep
    EstimatorStep = hpc.EstimatorStep
    MpiStep = hpc.MpiStep
    Estimator = hpc.Estimator
    ScriptRunConfig = hpc.ScriptRunConfig
    RunConfiguration = hpc.RunConfiguration
    MpiConfiguration = hpc.MpiConfiguration
    DataReference = hpc.DataReference
    Dataset = hpc.Dataset

    def __init__(self, src: str, workspace: Any) -> None:
        self.src = src
        self._workspace = workspace
        self._pipelines: list[Any] = []

        def make(*args: Any, **kwargs: Any) -> Any:
            pipeline = hpc.Pipeline(*args, **kwargs)
            self._pipelines.append(pipeline)
            return pipeline

        self.Pipeline = make

    def workspace(self) -> Any:
        return self._workspace

    def target(self, name: str) -> str:
        return name

    def datastore(self, name: str) -> Any:
        return hpc.Datastore(name, f"/data/{name}")

    def file_dataset(self) -> Any:
        return hpc.Dataset.File.from_files("/data/images")

    # -- observers ------------------------------------------------------------------------------

    def _resolved(self, step: Any) -> ResolvedStep:
        for pipeline in reversed(self._pipelines):
            for index, candidate in enumerate(pipeline.graph.steps):
                if candidate is step:
                    return pipeline._resolved_pipeline().steps[index]
        raise AssertionError(f"step {step.name} is in no pipeline of this case")

    def predecessors(self, pipeline: Any) -> list[list[Any]]:
        graph = pipeline.graph
        return sorted(
            [s.name, sorted({graph.steps[i].name for i in graph.upstream(n)})] for n, s in enumerate(graph.steps)
        )

    def validate(self, pipeline: Any) -> list[str]:
        return [normalise(e, self.src) for e in pipeline.validate()]

    def check_parameters(self, pipeline: Any, values: dict[str, Any]) -> None:
        pipeline._resolved_pipeline(values)

    def parameters(self, pipeline: Any) -> dict[str, Any]:
        return {name: p.default_value for name, p in sorted(pipeline.graph.params.items())}

    def argv(self, step: Any) -> list[str]:
        run = self._resolved(step).run
        return [run.script, *run.arguments] if run.script is not None else list(run.arguments)

    def env_parameters(self, step: Any) -> dict[str, str]:
        return dict(sorted(self._resolved(step).parameters))

    def input_names(self, step: Any) -> list[list[str]]:
        if not any(step is s for p in self._pipelines for s in p.graph.steps):
            # Before any pipeline: the step's own input list, as v1's observer reads it.
            return [[getattr(i, "data_reference_name", None) or i.name, getattr(i, "bind_mode", None) or
                     getattr(i, "mode", None) or "mount"] for i in step._inputs]
        resolved = self._resolved(step)
        return [[i.name, i.mode] for i in resolved.inputs] + [[d.name, d.mode] for d in resolved.run.inputs]

    def counts(self, step: Any) -> dict[str, Any]:
        run = self._resolved(step).run
        return {
            "node_count": run.node_count,
            "process_count_per_node": getattr(run.distribution, "process_count_per_node", 1),
            "communicator": step._runconfig.communicator,
        }


@pytest.fixture
def lib(tmp_path: Path) -> Iterator[Hpcest]:
    src = tmp_path / "src"
    src.mkdir()
    (src / "train.py").write_text("print('train')\n")
    workspace = hpc.Workspace.create(tmp_path / "ws", name="rules")
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield Hpcest(str(src), workspace)
    finally:
        os.chdir(old)


def test_every_recorded_case_is_a_case() -> None:
    assert set(RECORDED) == set(CASES), "re-record: /work/v1sdk/bin/python -m tests.v1_reference.record_pipeline"


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
    if name in DIFFERENCES:
        ours, _why = DIFFERENCES[name]
        assert error is None and facts == ours
        assert facts != expected["facts"], "no longer a difference: remove it from DIFFERENCES"
        return
    if "error" in expected:
        assert error is not None, f"v1 raised {expected['error']}; hpcest accepted it (facts {facts})"
        v1_type = getattr(builtins, expected["error"]["type"])
        assert isinstance(error, v1_type), f"{type(error).__name__} is not a {v1_type.__name__}: {error}"
        assert expected["error"]["message"] in normalise(str(error), lib.src)
    else:
        assert error is None, f"v1 accepted this; hpcest raised {type(error).__name__}: {error}"
    assert json.loads(json.dumps(facts)) == expected["facts"]
