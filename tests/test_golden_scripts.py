"""Golden sbatch scripts: the exact text hand-written JobSpecs render to (the Slurm side of the seam).

Protects every line of the generated scripts (directives, environment, image handling, rank
set-up, launch line) against unintended change, without any v1 configuration involved. A failing
case shows a unified diff; after an intended change regenerate with
``HPCEST_UPDATE_GOLDEN=1 python -m pytest tests/test_golden_scripts.py`` and review ``git diff tests/golden``.
"""

from __future__ import annotations

import difflib
import os
import subprocess
from pathlib import Path

import pytest

from hpc_estimator.job import containers
from hpc_estimator.job.render import render_sbatch
from hpc_estimator.job.spec import ARRAY_ARGS, ARRAY_TASK, JobSpec
from hpc_estimator.testing.cli_spec import load_spec, validate_argv
from tests.golden_cases import CASES, EXPERIMENT, RUN_DIR, RUN_ID, build
from tests.golden_specs import SPECS

GOLDEN = Path(__file__).parent / "golden" / "scripts"


def _check_golden(path: Path, text: str) -> None:
    if os.environ.get("HPCEST_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no golden file {path}; create it with HPCEST_UPDATE_GOLDEN=1"
    expected = path.read_text()
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), str(path), "rendered"))
        pytest.fail(f"rendered script differs from {path}:\n{diff}")


@pytest.mark.parametrize("name", sorted(SPECS))
def test_script_matches_golden(name: str) -> None:
    _check_golden(GOLDEN / f"{name}.sh", render_sbatch(SPECS[name], description=f"golden case {name}"))


def _compiled_specs() -> dict[str, JobSpec]:
    from hpc_estimator.compile import compile_job

    specs = {}
    for name in CASES:
        config, profile = build(name)
        specs[f"config:{name}"] = compile_job(
            config, profile=profile, run_id=RUN_ID, run_dir=RUN_DIR, experiment=EXPERIMENT
        ).spec
    return specs


ALL = {**{f"spec:{k}": v for k, v in SPECS.items()}, **_compiled_specs()}


@pytest.mark.parametrize("name", sorted(ALL))
def test_script_is_valid_bash(name: str) -> None:
    text = render_sbatch(ALL[name])
    result = subprocess.run(["bash", "-n"], input=text, text=True, capture_output=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", sorted(ALL))
def test_container_lines_follow_documented_cli(name: str) -> None:
    """Every apptainer/singularity/ch-run line hpcest emits parses under the runtime's documented CLI."""
    spec = ALL[name]
    runtime = spec.container.runtime
    if runtime == "none":
        return
    assert spec.container.image is not None
    lines = [containers.exec_prefix(spec.container, spec.container.image) + list(spec.argv)]
    if spec.container.image_source:
        lines += containers.pull_argv(runtime, spec.container.image_source, spec.container.image + ".tmp")
    for argv in lines:
        # An array task sees its own number and arguments where the markers stand.
        argv = [a.replace(ARRAY_TASK, "7") for a in argv if a != ARRAY_ARGS]
        tool = {"apptainer": "apptainer", "singularity": "singularity"}.get(argv[0], argv[0])
        problems = validate_argv(argv, load_spec(tool))
        assert problems == [], f"{argv}: {problems}"


def test_local_size_helper_only_where_a_rank_uses_it() -> None:
    """A single CPU process needs no task count per node; torch (LOCAL_WORLD_SIZE) and GPU slicing do."""
    assert "hpcest_local_size" not in render_sbatch(SPECS["single_bare"])
    assert "hpcest_local_size()" in render_sbatch(SPECS["torch_cpu_bare"])
    assert "hpcest_local_size()" in render_sbatch(SPECS["single_gpu_apptainer"])


def test_forwarded_names_are_the_specs_own() -> None:
    script = render_sbatch(SPECS["single_gpu_apptainer"])
    case_line = next(line.strip() for line in script.splitlines() if line.strip().startswith("SLURM_*|"))
    assert case_line == "|".join(SPECS["single_gpu_apptainer"].container.forward_env) + ")"
    assert case_line.count("PYTHONPATH") == 1
