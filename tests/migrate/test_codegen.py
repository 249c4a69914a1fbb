"""migrate.codegen writes exactly the text libcst's ``Module.code`` writes.

Every rewritten file's text comes from ``module_code``; a difference would change files the rewrite
never meant to touch. Checked on hand-made corner cases (the same as for the positions) and on every
Python file of this project's packages, parsed and also after a rewrite that builds new nodes.
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from migrate.codegen import module_code
from migrate.transform import migrate_source
from tests.migrate.test_positions import SOURCES

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("source", SOURCES.values(), ids=SOURCES.keys())
def test_corner_cases_come_out_as_libcst_writes_them(source: str) -> None:
    module = cst.parse_module(source)
    assert module_code(module) == module.code == source


def test_every_file_of_this_repository_round_trips() -> None:
    files = sorted(p for package in ("migrate", "hpc_estimator", "bench") for p in (REPO / package).glob("**/*.py"))
    assert len(files) > 100
    for path in files:
        text = path.read_text(encoding="utf-8")
        module = cst.parse_module(text)
        assert module_code(module) == module.code, path


def test_built_nodes_come_out_as_libcst_writes_them() -> None:
    # A rewrite builds calls, keywords, lists and comments that were never parsed.
    source = (
        "from azureml.train.dnn import PyTorch\n"
        "est = PyTorch(source_directory='src',  # code\n"
        "              entry_script='train.py', node_count=2,\n"
        "              pip_packages=['pillow'], script_params={'--lr': 0.1, '--flag': ''})\n"
    )
    migrated = migrate_source(source)
    assert migrated.changed
    rebuilt = cst.parse_module(migrated.code)
    assert module_code(rebuilt) == rebuilt.code == migrated.code
