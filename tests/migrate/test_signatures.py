"""Every call the codemod emits binds to the real v1 signature (built from the recorded JSON)."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import libcst as cst
import pytest

from tests.migrate.case_files import load_cases

SIGNATURES = json.loads((Path(__file__).parents[1] / "data" / "azureml_v1_signatures.json").read_text())

# Emitted callee (as written in the output) -> (class key in the JSON, method name or None for __init__)
EMITTED = {
    "ScriptRunConfig": ("azureml.core.ScriptRunConfig", None),
    "Environment": ("azureml.core.Environment", None),
    "Environment.get": ("azureml.core.Environment", "get"),
    "Environment.from_conda_specification": ("azureml.core.Environment", "from_conda_specification"),
    "Environment.from_pip_requirements": ("azureml.core.Environment", "from_pip_requirements"),
    "CondaDependencies.create": ("azureml.core.conda_dependencies.CondaDependencies", "create"),
    "CommandStep": ("azureml.pipeline.steps.CommandStep", None),
    "MpiConfiguration": ("azureml.core.runconfig.MpiConfiguration", None),
    "PyTorchConfiguration": ("azureml.core.runconfig.PyTorchConfiguration", None),
    "TensorflowConfiguration": ("azureml.core.runconfig.TensorflowConfiguration", None),
    "DockerConfiguration": ("azureml.core.runconfig.DockerConfiguration", None),
    "HyperDriveConfig": ("azureml.train.hyperdrive.HyperDriveConfig", None),
}


def signature(class_key: str, method: str | None) -> inspect.Signature:
    """An inspect.Signature from the JSON's params (see its 'conventions' key)."""
    entry = SIGNATURES["classes"][class_key]
    params = entry["params"] if method is None else entry["methods"][method]["params"]
    built = []
    for param in params:
        kind = getattr(inspect.Parameter, param["kind"])
        default = inspect.Parameter.empty
        if kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD) and not param.get(
            "required", False
        ):
            default = param["default"]
        built.append(inspect.Parameter(param["name"], kind, default=default))
    return inspect.Signature(built)


class _EmittedCalls(cst.CSTVisitor):
    def __init__(self) -> None:
        self.calls: list[tuple[str, cst.Call]] = []

    def visit_Call(self, node: cst.Call) -> None:
        name = cst.helpers.get_full_name_for_node(node.func)
        if name in EMITTED:
            self.calls.append((name, node))


CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_emitted_calls_bind_to_v1_signatures(case) -> None:  # type: ignore[no-untyped-def]
    """A rewritten call with a misspelt or extra keyword (or a positional too many) would fail here."""
    visitor = _EmittedCalls()
    cst.parse_module(case.after).visit(visitor)
    before_calls = {cst.Module([]).code_for_node(c) for _, c in _collect(case.before)}
    for name, call in visitor.calls:
        if cst.Module([]).code_for_node(call) in before_calls:
            continue  # present in the input already (e.g. a user's own ScriptRunConfig); not emitted
        positional = [a for a in call.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: object() for a in call.args if a.keyword is not None}
        assert not any(a.star for a in call.args), f"{name}: emitted call uses * or **"
        signature(*EMITTED[name]).bind(*[object() for _ in positional], **keywords)


def _collect(code: str) -> list[tuple[str, cst.Call]]:
    visitor = _EmittedCalls()
    cst.parse_module(code).visit(visitor)
    return visitor.calls


def test_binding_check_catches_a_wrong_keyword() -> None:
    """The check itself can fail: an unknown keyword does not bind."""
    with pytest.raises(TypeError):
        signature("azureml.core.ScriptRunConfig", None).bind(".", entry_script="train.py")
    with pytest.raises(TypeError):
        signature("azureml.core.runconfig.MpiConfiguration", None).bind(process_count=2)


def test_most_cases_emit_a_script_run_config() -> None:
    """Guard against the binding test silently checking nothing."""
    emitted = sum(1 for case in CASES if any(n == "ScriptRunConfig" for n, _ in _collect(case.after)))
    assert emitted >= 40
