"""migrate/framework_tables.json is generated from hpc_estimator.v1.frameworks and must stay current."""

from __future__ import annotations

import json
import subprocess
import sys

from migrate import framework_data


def test_tables_file_matches_hpc_estimator_v1():
    on_disk = json.loads(framework_data.TABLES_PATH.read_text(encoding="utf-8"))
    assert on_disk == framework_data.compute_tables(), (
        "migrate/framework_tables.json is stale: regenerate it with `python -m migrate.framework_data`"
    )


def test_codemod_does_not_import_hpc_estimator():
    """The tables are read from the file: a worker never pays for importing the v1 package."""
    code = (
        "import sys, migrate.transform, migrate.rules, migrate.cli\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'hpc_estimator'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
