"""Generated estimator calls: output parses, a second run is a no-op, calls bind, arguments match v1."""

from __future__ import annotations

import ast

import libcst as cst
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrate.transform import migrate_source
from tests.migrate.test_signatures import EMITTED, _collect, signature

scalars = st.one_of(
    st.integers(-5, 5), st.sampled_from(["", "x", "a b", "--nested"]), st.none(), st.booleans(), st.floats(0, 1)
)
values = st.one_of(scalars, st.lists(scalars, max_size=3), st.tuples(scalars, scalars))
script_params = st.dictionaries(st.sampled_from(["--a", "--b", "-c", "--d-e", "pos"]), values, max_size=4)

FRAMEWORK_VERSIONS = {
    "PyTorch": ["1.4", "1.6"],
    "TensorFlow": ["1.13", "2.0"],
    "Chainer": ["5.1.0"],
    "SKLearn": ["0.20.3"],
}
MODULES = {"Estimator": "estimator", "PyTorch": "dnn", "TensorFlow": "dnn", "Chainer": "dnn", "SKLearn": "sklearn"}


def v1_arguments(params: dict[str, object]) -> list[object]:
    """v1's conversion, written independently: key, value; expand iterables; drop None and ''."""
    items: list[object] = []
    for key, value in params.items():
        items.append(key)
        if isinstance(value, list | tuple | set):
            items.extend(value)
        else:
            items.append(value)
    return [item for item in items if item is not None and item != ""]


@st.composite
def estimator_sources(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    cls = draw(st.sampled_from(sorted(MODULES)))
    params = draw(script_params)
    kwargs = [
        f"source_directory={draw(st.sampled_from(['.', 'src']))!r}",
        "entry_script='train.py'",
        "compute_target=ct",
        f"script_params={params!r}",
    ]
    if cls != "Estimator" and draw(st.booleans()):
        kwargs.append(f"framework_version={draw(st.sampled_from(FRAMEWORK_VERSIONS[cls]))!r}")
    if cls != "SKLearn" and draw(st.booleans()):
        kwargs.append(f"use_gpu={draw(st.booleans())}")
    if draw(st.booleans()):
        kwargs.append(f"pip_packages={draw(st.lists(st.sampled_from(['numpy', 'pandas==1.1']), max_size=2))!r}")
    if cls in ("PyTorch", "Estimator") and draw(st.booleans()):
        kwargs.append(f"node_count={draw(st.integers(1, 3))}")
        kwargs.append(f"distributed_training={draw(st.sampled_from(['Mpi(2)', 'Gloo()', 'Nccl()']))}")
    if draw(st.booleans()):
        kwargs.append("environment_variables={'K': 'V'}")
    workspace = "ws = Workspace.from_config()\n" if draw(st.booleans()) else ""
    source = (
        "from azureml.core import Workspace\n"
        f"from azureml.train.{MODULES[cls]} import {cls}\n"
        "from azureml.train.dnn import Mpi, Gloo, Nccl\n"
        f"{workspace}est = {cls}({', '.join(kwargs)})\n"
        "run = exp.submit(est)\n"
    )
    return source, params


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(estimator_sources())
def test_generated_estimators_migrate_cleanly(case: tuple[str, dict[str, object]]) -> None:
    """Whatever the combination of literal parameters, the rewrite is valid, stable and faithful."""
    source, params = case
    first = migrate_source(source)
    assert first.changed, first.findings
    compile(first.code, "<generated>", "exec")
    second = migrate_source(first.code)
    assert not second.changed and second.code == first.code
    for name, call in _collect(first.code):
        positional = [a for a in call.args if a.keyword is None]
        signature(*EMITTED[name]).bind(*positional, **{a.keyword.value: 0 for a in call.args if a.keyword})
    module = cst.parse_module(first.code)
    (src,) = [c for n, c in _collect(first.code) if n == "ScriptRunConfig"]
    arguments = [a.value for a in src.args if a.keyword and a.keyword.value == "arguments"]
    emitted = ast.literal_eval(module.code_for_node(arguments[0])) if arguments else []
    assert emitted == v1_arguments(params)
