"""Entry-script lint (what v1's _show_lint_warnings reported) and package checks on real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate import packages
from migrate.lint_script import lint_source
from migrate.runner import migrate_file

JOB = (
    "from azureml.train.estimator import Estimator\n"
    "est = Estimator(source_directory='src', entry_script='{script}', compute_target=ct,\n"
    "                pip_requirements_file='requirements.txt')\n"
)


def _codes(path: Path) -> list[str]:
    return sorted(f.code for f in migrate_file(str(path)).findings)


def test_entry_script_undefined_name_and_requirements(tmp_path: Path) -> None:
    """An undefined name in the entry script (F821), a renamed package in the requirements file (HPP302),
    and azureml-defaults, which the file lacks, added beside it as v1 did (no warning needed)."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text("import os\nprint(os.getcwd(), learning_rate)\n")
    (tmp_path / "src" / "requirements.txt").write_text("numpy==1.19\nsklearn\n# comment\n")
    job = tmp_path / "job.py"
    job.write_text(JOB.format(script="train.py"))
    result = migrate_file(str(job))
    codes = sorted(f.code for f in result.findings)
    assert codes == ["HPL204", "HPP302"]
    undefined = next(f for f in result.findings if f.code == "HPL204")
    assert "learning_rate" in undefined.message and undefined.line == 2
    assert "Environment.from_pip_requirements(" in result.new_text
    assert "'src/requirements.txt'" in result.new_text  # the file's own quote style
    assert "conda_dependencies.add_pip_package('azureml-defaults')" in result.new_text


def test_entry_script_syntax_error(tmp_path: Path) -> None:
    """A syntax error in the entry script (E999) is reported against the estimator."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "bad.py").write_text("def f(:\n")
    (tmp_path / "src" / "requirements.txt").write_text("azureml-defaults\n")
    job = tmp_path / "job.py"
    job.write_text(JOB.format(script="bad.py"))
    assert _codes(job) == ["HPL203"]


def test_lint_source_knows_scopes_builtins_and_star_imports() -> None:
    """Parameters, comprehension variables, builtins and star imports are not undefined names."""
    code = "def f(a, *b, **c):\n    return [x for x in a] + list(b) + [len(c)]\nclass K: pass\nprint(f, K)\n"
    assert lint_source(code, "ok.py") == []
    assert lint_source("from m import *\nprint(anything)\n", "star.py") == []
    assert [c[0] for c in lint_source("print(nope)\n", "bad.py")] == ["HPL204"]


def test_requirement_checks() -> None:
    """Invalid strings, renames, pins against framework_version, duplicates, horovod without MPI."""
    assert [c[0] for c in packages.check_pip(["ok==1.0", "x[y]>=2,<3", "git+https://h/r.git", "no good"])] == ["HPP301"]
    assert [c[0] for c in packages.check_pip(["tensorflow-gpu==2.1", "sklearn"])] == ["HPP302", "HPP302"]
    assert [c[0] for c in packages.check_pip(["a==1", "A==2", "b", "b"])] == ["HPP304", "HPP304"]
    assert packages.check_framework_pins("PyTorch", "1.6", ["torch==1.6.0"]) == []
    assert [c[0] for c in packages.check_framework_pins("PyTorch", "1.6", ["torch==1.4"])] == ["HPP303"]
    assert [c[0] for c in packages.check_framework_pins("SKLearn", None, ["scikit-learn==0.22"])] == ["HPP303"]
    assert [c[0] for c in packages.check_horovod(["horovod==0.19"], has_mpi=False)] == ["HPP305"]
    assert packages.check_horovod(["horovod==0.19"], has_mpi=True) == []
    assert [c[0] for c in packages.check_conda(["numpy=1.19", "conda-forge::x", "bad spec!"])] == ["HPP301"]


def _project(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_lint_script_tree_follows_local_imports_and_names_each_file(tmp_path: Path) -> None:
    """v1 linted the entry script and the local modules it imports, transitively (not other files)."""
    from migrate.lint_script import lint_script_tree

    _project(
        tmp_path,
        {
            "train.py": "import numpy\nfrom utils import helper\nimport pkg.models as models\nhelper(numpy, models)\n",
            "utils.py": "from .deep import nothing\nimport data_io\ndef helper(*a):\n    return undefined_thing\n",
            "data_io.py": "def read(:\n",
            "pkg/__init__.py": "",
            "pkg/models.py": "total = 0\ndef add(x):\n    total += x\n    return total\n",
            "unrelated.py": "print(not_imported_by_anyone)\n",
        },
    )
    checks = lint_script_tree(tmp_path / "train.py", tmp_path)
    by_code = {(code, message.split(":")[0]) for code, message, _, _, _ in checks}
    assert by_code == {("HPL204", "utils.py"), ("HPL203", "data_io.py"), ("HPL205", "pkg/models.py")}
    assert all(isinstance(line, int) and isinstance(col, int) for *_, line, col in checks)


def test_f823_local_used_before_assignment() -> None:
    """A function reading a module-level name it assigns later (UnboundLocalError at run time)."""
    code = "count = 0\ndef f():\n    print(count)\n    count = 1\ndef g():\n    global count\n    count += 1\n"
    assert [(c[0], c[3]) for c in lint_source(code, "m.py")] == [("HPL205", 3)]
    assert lint_source("x = 1\ndef f(x):\n    print(x)\n    x = 2\n", "ok.py") == []
    assert [c[0] for c in lint_source("n = 0\ndef f():\n    n += 1\n", "aug.py")] == ["HPL205"]


def test_missing_packages_maps_import_names_and_skips_stdlib_and_local(tmp_path: Path) -> None:
    """v1's package check: third-party imports of the entry script and its local modules, mapped to
    package names, compared with the environment's lists."""
    _project(
        tmp_path,
        {
            "train.py": "import os, json\nimport sklearn.svm\nimport cv2\nfrom PIL import Image\nimport helpers\n"
            "import yaml\nimport torch\nfrom azureml.core import Run\n",
            "helpers.py": "import tensorflow as tf\nimport numpy as np\n",
        },
    )
    checks = packages.missing_packages(tmp_path / "train.py", tmp_path, ["scikit-learn==0.23", "torch"], ["numpy"])
    messages = {message for _, message, _ in checks}
    fixes = {fix for _, _, fix in checks}
    assert {code for code, _, _ in checks} == {"HPP307"}
    assert any("'cv2'" in m for m in messages) and any("'opencv-python'" in f for f in fixes)
    assert any("'PIL'" in m for m in messages) and any("'pillow'" in f for f in fixes)
    assert any("'yaml'" in m for m in messages) and any("'pyyaml'" in f for f in fixes)
    assert any(m.startswith("helpers.py:") and "'tensorflow'" in m for m in messages)
    assert any("'azureml.core'" in m for m in messages)
    assert not any(name in m for m in messages for name in ("'os'", "'json'", "'sklearn'", "'torch'", "'numpy'"))
    assert not any("'helpers'" in m for m in messages)
    satisfied = packages.missing_packages(
        tmp_path / "train.py",
        tmp_path,
        ["scikit-learn", "opencv-python-headless", "Pillow", "PyYAML", "torch", "tensorflow-gpu", "azureml-defaults"],
        ["conda-forge::numpy=1.19"],
    )
    assert satisfied == []


def test_framework_estimator_reports_missing_packages_of_its_entry_script(tmp_path: Path) -> None:
    """In the codemod the check runs for framework estimators (v1 checked on its framework images)."""
    _project(tmp_path, {"src/train.py": "import torch\nimport cv2\n"})
    job = tmp_path / "job.py"
    job.write_text(
        "from azureml.train.dnn import PyTorch\n"
        "est = PyTorch(source_directory='src', entry_script='train.py', compute_target=ct, framework_version='1.6')\n"
    )
    findings = migrate_file(str(job)).findings
    assert [f.code for f in findings] == ["HPP307"] and "'cv2'" in findings[0].message


@pytest.mark.parametrize(
    "extra",
    [
        "custom_docker_image='myregistry.azurecr.io/bert:latest'",
        "custom_docker_base_image='myregistry.azurecr.io/bert:latest'",
        "compute_target='local'",
    ],
)
def test_no_package_check_on_a_custom_image_or_a_local_run(tmp_path: Path, extra: str) -> None:
    """v1's _script_validation checked packages only when the base image is a framework image and the
    target is not 'local': a custom image's packages are unknown, and warning about them is noise.
    The lint findings still come (v1 linted in every case)."""
    _project(tmp_path, {"src/train.py": "import torch\nimport cv2\nprint(undefined_name)\n"})
    job = tmp_path / "job.py"
    target = "" if "compute_target" in extra else "compute_target=ct, "
    job.write_text(
        "from azureml.train.dnn import PyTorch\n"
        f"est = PyTorch(source_directory='src', entry_script='train.py', {target}framework_version='1.6', {extra})\n"
    )
    codes = [f.code for f in migrate_file(str(job)).findings]
    assert "HPL204" in codes and "HPP307" not in codes  # (custom_docker_base_image also gets HPL202)
