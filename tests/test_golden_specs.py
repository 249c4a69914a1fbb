"""Golden JobSpecs: what representative v1 configurations compile to (the v1 side of the seam).

Each case (``tests/golden_cases.py``) is compiled for a cluster profile and its JobSpec written as
readable JSON, with the warnings the user would see. A template change does not touch these; a
change in what a v1 configuration means does. Regenerate after an intended change with
``HPCEST_UPDATE_GOLDEN=1 python -m pytest tests/test_golden_specs.py`` and review ``git diff tests/golden``.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import pytest

from hpc_estimator.compile import compile_job
from hpc_estimator.job.spec import spec_as_dict
from tests.golden_cases import CASES, EXPERIMENT, RUN_DIR, RUN_ID, build

GOLDEN = Path(__file__).parent / "golden" / "specs"


@pytest.mark.parametrize("name", sorted(CASES))
def test_compiled_spec_matches_golden(name: str) -> None:
    config, profile = build(name)
    compiled = compile_job(config, profile=profile, run_id=RUN_ID, run_dir=RUN_DIR, experiment=EXPERIMENT)
    text = json.dumps({"spec": spec_as_dict(compiled.spec), "warnings": list(compiled.warnings)}, indent=2) + "\n"
    path = GOLDEN / f"{name}.json"
    if os.environ.get("HPCEST_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no golden file {path}; create it with HPCEST_UPDATE_GOLDEN=1"
    expected = path.read_text()
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), str(path), "compiled"))
        pytest.fail(f"compiled JobSpec differs from {path}:\n{diff}")
