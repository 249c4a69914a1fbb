"""Golden sbatch scripts: the exact text hpcest submits for representative estimators.

Protects every line of the generated scripts (directives, environment, image handling, rank
set-up, launch line) against unintended change. A failing case shows a unified diff; after an
intended change regenerate with ``HPCEST_UPDATE_GOLDEN=1 python -m pytest tests/test_golden_scripts.py``.
"""

from __future__ import annotations

import difflib
import os
import subprocess
from pathlib import Path

import pytest

from hpc_estimator.compile import compile_job
from hpc_estimator.job import containers
from hpc_estimator.job.render import render_sbatch
from hpc_estimator.testing.cli_spec import load_spec, validate_argv
from tests.golden_cases import CASES, EXPERIMENT, RUN_DIR, RUN_ID, build

GOLDEN = Path(__file__).parent / "golden"


def _render(name: str) -> tuple[str, object]:
    config, profile = build(name)
    compiled = compile_job(config, profile=profile, run_id=RUN_ID, run_dir=RUN_DIR, experiment=EXPERIMENT)
    # Warnings are pinned too, after the script (they are what the user sees on submission).
    trailer = "".join(f"# compile warning: {w}\n" for w in compiled.warnings)
    return render_sbatch(compiled.spec, description=f"golden case {name}") + trailer, compiled


@pytest.mark.parametrize("name", sorted(CASES))
def test_script_matches_golden(name: str) -> None:
    text, _ = _render(name)
    path = GOLDEN / f"{name}.sh"
    if os.environ.get("HPCEST_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert path.exists(), f"no golden file {path}; create it with HPCEST_UPDATE_GOLDEN=1"
    expected = path.read_text()
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), str(path), "rendered"))
        pytest.fail(f"rendered script differs from {path}:\n{diff}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_script_is_valid_bash(name: str) -> None:
    text, _ = _render(name)
    result = subprocess.run(["bash", "-n"], input=text, text=True, capture_output=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", sorted(CASES))
def test_container_lines_follow_documented_cli(name: str) -> None:
    """Every apptainer/singularity/ch-run line hpcest emits parses under the runtime's documented CLI."""
    _, compiled = _render(name)
    spec = compiled.spec  # type: ignore[attr-defined]
    runtime = spec.container.runtime
    if runtime == "none":
        return
    lines = [containers.exec_prefix(spec.container, spec.container.image) + list(spec.argv)]
    if spec.container.image_source:
        lines += containers.pull_argv(runtime, spec.container.image_source, spec.container.image + ".tmp")
    for argv in lines:
        tool = {"apptainer": "apptainer", "singularity": "singularity"}.get(argv[0], argv[0])
        problems = validate_argv(argv, load_spec(tool))
        assert problems == [], f"{argv}: {problems}"
