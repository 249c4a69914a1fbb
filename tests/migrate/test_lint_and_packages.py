"""Entry-script lint (what v1's _show_lint_warnings reported) and package checks on real files."""

from __future__ import annotations

from pathlib import Path

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
    """An undefined name in the entry script (F821) and a requirements file without azureml-defaults."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text("import os\nprint(os.getcwd(), learning_rate)\n")
    (tmp_path / "src" / "requirements.txt").write_text("numpy==1.19\nsklearn\n# comment\n")
    job = tmp_path / "job.py"
    job.write_text(JOB.format(script="train.py"))
    result = migrate_file(str(job))
    codes = sorted(f.code for f in result.findings)
    assert codes == ["HPL204", "HPP302", "HPP306"]
    undefined = next(f for f in result.findings if f.code == "HPL204")
    assert "learning_rate" in undefined.message and undefined.line == 2
    assert "Environment.from_pip_requirements(" in result.new_text
    assert '"src/requirements.txt"' in result.new_text


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
