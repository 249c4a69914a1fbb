"""``Estimator(**common)`` with ``common`` known statically rewrites exactly as the same call with the
keywords written out (the rule cases in cases/estimator/keywords_dict_* show the shapes and the ones
left marked)."""

from __future__ import annotations

import pytest

from migrate.transform import migrate_source

HEAD = (
    "from azureml.core import Workspace\n"
    "from azureml.train.dnn import PyTorch, TensorFlow, Mpi\n"
    "ws = Workspace.from_config()\n"
)

SPREAD = [
    (
        'common = dict(source_directory="src", compute_target="gpu", framework_version="1.6", use_gpu=True)\n'
        'est = PyTorch(entry_script="train.py", **common)\n',
        'est = PyTorch(entry_script="train.py", source_directory="src", compute_target="gpu", '
        'framework_version="1.6", use_gpu=True)\n',
    ),
    (
        'cfg = {"source_directory": ".", "compute_target": "gpu", "node_count": 4,\n'
        '       "distributed_training": Mpi(process_count_per_node=2), "pip_packages": ["pillow"]}\n'
        'est = TensorFlow(entry_script="t.py", script_params={"--lr": 0.1}, **cfg)\n',
        'est = TensorFlow(entry_script="t.py", script_params={"--lr": 0.1}, source_directory=".", '
        'compute_target="gpu", node_count=4,\n'
        '                 distributed_training=Mpi(process_count_per_node=2), pip_packages=["pillow"])\n',
    ),
    (
        'def build(ct):\n'
        '    kwargs = dict(source_directory="src", compute_target=ct)\n'
        '    return PyTorch(entry_script="train.py", **kwargs)\n',
        'def build(ct):\n'
        '    return PyTorch(entry_script="train.py", source_directory="src", compute_target=ct)\n',
    ),
]


@pytest.mark.parametrize(("spread", "written_out"), SPREAD)
def test_a_known_keywords_dict_rewrites_as_the_keywords_written_out(spread: str, written_out: str) -> None:
    from_spread = migrate_source(HEAD + spread)
    from_keywords = migrate_source(HEAD + written_out)
    assert from_spread.changed and not from_spread.findings
    assert from_spread.code == from_keywords.code
    assert [f.code for f in from_spread.findings] == [f.code for f in from_keywords.findings]
