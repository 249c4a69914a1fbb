"""A real Azure ML SDK installed beside hpcest is unaffected outside ``hpcest run``.

A fresh virtual environment (no system site packages) gets the real ``azureml-core`` from PyPI and
hpcest from this checkout. Outside ``hpcest run`` every ``azureml`` import is the real SDK's, with
hpc_estimator imported or not; inside ``python -m hpc_estimator.compat`` the same script sees the
served names; and a process that imported the real SDK before the hook was activated gets it back
when the hook is removed. About a minute (marker ``venv``); skipped only when PyPI cannot be reached.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The release the recorded v1 surface (tests/data/azureml_v1_run_surface.json) comes from.
AZUREML_CORE = "azureml-core==1.61.0.post4"

pytestmark = pytest.mark.venv


def _run(*argv: str | Path, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("real-sdk")
    created = _run(sys.executable, "-m", "venv", root / "venv")
    assert created.returncode == 0, created.stderr
    python = root / "venv" / "bin" / "python"
    reach = _run(python, "-m", "pip", "download", "--no-deps", "--dest", root / "probe", AZUREML_CORE, timeout=180)
    if reach.returncode != 0:
        pytest.skip(f"PyPI is not reachable, cannot install {AZUREML_CORE}: {reach.stderr.strip()[-300:]}")
    installed = _run(python, "-m", "pip", "install", "--quiet", AZUREML_CORE, str(ROOT))
    assert installed.returncode == 0, installed.stderr[-2000:]
    return python


PROBE = """\
import sys
import azureml.core
from azureml.core import Workspace
from azureml.core.compute import AmlCompute
print(Workspace.__module__, AmlCompute.__module__, azureml.core.VERSION, sep="|")
"""


def test_outside_hpcest_run_azureml_is_the_real_sdk(venv_python: Path, tmp_path: Path) -> None:
    (tmp_path / "probe.py").write_text(PROBE)
    plain = _run(venv_python, tmp_path / "probe.py")
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.strip() == "azureml.core.workspace|azureml.core.compute.amlcompute|1.61.0"
    with_hpcest = _run(venv_python, "-c", "import hpc_estimator, hpc_estimator.compat, hpc_estimator.cli.main\n"
                       + PROBE)
    assert with_hpcest.stdout.strip() == plain.stdout.strip(), with_hpcest.stderr


def test_inside_hpcest_run_the_same_script_gets_the_served_names(venv_python: Path, tmp_path: Path) -> None:
    (tmp_path / "probe.py").write_text(PROBE)
    (tmp_path / "hpcest.toml").write_text('[workspace]\nname = "beside"\ndefault_target = "local"\n')
    served = _run(venv_python, "-m", "hpc_estimator.compat", "probe.py", cwd=tmp_path)
    assert served.returncode == 0, served.stderr
    workspace, compute, version = served.stdout.strip().split("|")
    assert (workspace, compute) == ("hpc_estimator.compat.workspace", "hpc_estimator.v1.amlcompute")
    assert version.startswith("1.61.0+hpcest.")


def test_the_real_sdk_imported_before_the_hook_comes_back_after_it(venv_python: Path) -> None:
    code = textwrap.dedent("""
        import azureml.core as real
        from hpc_estimator import compat
        compat.activate()
        import azureml.core as served
        assert served is not real and served.Workspace.__module__ == "hpc_estimator.compat.workspace"
        compat.deactivate()
        import azureml.core as again
        from azureml.core import Workspace
        assert again is real and Workspace.__module__ == "azureml.core.workspace"
        print("ok")
    """)
    result = _run(venv_python, "-c", code)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
