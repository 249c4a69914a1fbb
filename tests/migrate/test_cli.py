"""``python -m migrate`` / ``hpcest migrate`` end to end on real files in a temporary tree."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrate.cli import migrate_command
from migrate.runner import migrate_file
from tests.migrate.nbdata import ESTIMATOR_CELL, IMPORTS_CELL, notebook

ESTIMATOR_PY = (
    "from azureml.train.estimator import Estimator\n"
    "est = Estimator(source_directory='.', entry_script='train.py', compute_target=ct)\n"
)
ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migrate", *args], capture_output=True, text=True, cwd=ROOT, check=False
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "job.py").write_text(ESTIMATOR_PY)
    (tmp_path / "pkg" / "clean.py").write_text("import azureml.core\nprint('nothing to do')\n")
    (tmp_path / "nb.ipynb").write_text(notebook(("code", IMPORTS_CELL), ("code", ESTIMATOR_CELL)))
    (tmp_path / "README.md").write_text("```python\n" + ESTIMATOR_PY + "```\n")
    return tmp_path


def test_default_shows_a_diff_and_writes_nothing(tree: Path) -> None:
    """Without --write nothing on disk changes; the diff is printed."""
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    result = run_cli(str(tree))
    assert result.returncode == 0, result.stderr
    assert "+est = ScriptRunConfig(" in result.stdout
    assert {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()} == before
    assert "files scanned: 3" in result.stderr  # README.md only with --include


def test_write_then_check_is_clean(tree: Path) -> None:
    """--write applies; afterwards --check finds nothing (idempotent) and exits 0."""
    assert run_cli(str(tree), "--check").returncode == 1
    written = run_cli(str(tree), "--write", "--include", "*.md")
    assert written.returncode == 0, written.stderr
    assert "ScriptRunConfig(" in (tree / "pkg" / "job.py").read_text()
    assert "ScriptRunConfig(" in (tree / "README.md").read_text()
    assert "ScriptRunConfig(" in "".join(json.loads((tree / "nb.ipynb").read_text())["cells"][1]["source"])
    check = run_cli(str(tree), "--check", "--include", "*.md")
    assert check.returncode == 0, check.stdout + check.stderr


def test_one_broken_file_is_reported_and_the_run_goes_on(tree: Path) -> None:
    """A file that does not parse is left untouched and reported; the others are still rewritten."""
    broken = tree / "pkg" / "broken.py"
    broken.write_text("from azureml.train.estimator import Estimator\ndef oops(:\n")
    result = run_cli(str(tree), "--write")
    assert result.returncode == 2  # some files could not be processed
    assert "HPE901" in result.stderr
    assert broken.read_text() == "from azureml.train.estimator import Estimator\ndef oops(:\n"
    assert "ScriptRunConfig(" in (tree / "pkg" / "job.py").read_text()


def test_files_without_v1_names_are_not_parsed(tmp_path: Path) -> None:
    """Invalid Python that never mentions azureml is skipped before parsing (no error)."""
    (tmp_path / "other.py").write_text("def broken(:\n")
    result = CliRunner().invoke(migrate_command, [str(tmp_path), "--format", "json", "--jobs", "1"])
    summary = json.loads(result.output)["summary"]
    assert result.exit_code == 0
    assert summary["files_scanned"] == 1 and summary["files_parsed"] == 0 and summary["errors"] == 0


def test_encoding_bom_line_endings_and_mode_are_preserved(tmp_path: Path) -> None:
    """Bytes outside the rewritten call stay identical: BOM, CRLF, latin-1 cookie, permissions."""
    crlf = tmp_path / "crlf.py"
    crlf.write_bytes(b"\xef\xbb\xbf# caf\xc3\xa9\r\n" + ESTIMATOR_PY.replace("\n", "\r\n").encode())
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + ESTIMATOR_PY.encode())
    os.chmod(latin, 0o751)
    result = CliRunner().invoke(migrate_command, [str(tmp_path), "--write", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    data = crlf.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf# caf\xc3\xa9\r\n")
    assert b"ScriptRunConfig(" in data and b"\n" not in data.replace(b"\r\n", b"")
    latin_data = latin.read_bytes()
    assert latin_data.startswith(b"# -*- coding: latin-1 -*-\n# caf\xe9\n") and b"ScriptRunConfig(" in latin_data
    assert stat.S_IMODE(latin.stat().st_mode) == 0o751
    assert not [p for p in tmp_path.iterdir() if "hpcest-tmp" in p.name]


def test_include_exclude_and_gitignore(tree: Path) -> None:
    """--exclude and .gitignore remove files; --include adds Markdown."""
    (tree / ".gitignore").write_text("pkg/\n")
    result = CliRunner().invoke(
        migrate_command, [str(tree), "--format", "json", "--include", "*.md", "--exclude", "nb.ipynb", "--jobs", "1"]
    )
    paths = {Path(f["path"]).name for f in json.loads(result.output)["files"]}
    assert paths == {"README.md"}
    unignored = CliRunner().invoke(migrate_command, [str(tree), "--format", "json", "--no-gitignore", "--jobs", "1"])
    assert "job.py" in {Path(f["path"]).name for f in json.loads(unignored.output)["files"]}


def test_json_and_sarif_reports(tree: Path) -> None:
    """JSON has per-file findings and a summary; SARIF is 2.1.0 with rules, results and a fix."""
    (tree / "pkg" / "todo.py").write_text(
        "from azureml.train.estimator import Estimator\nest = Estimator('.', entry_script='t.py', vm_size='NC6')\n"
    )
    as_json = json.loads(CliRunner().invoke(migrate_command, [str(tree), "--format", "json"]).output)
    codes = [f["code"] for entry in as_json["files"] for f in entry["findings"]]
    assert codes == ["HPM109"]
    assert as_json["summary"]["warnings_by_code"] == {"HPM109": 1}
    sarif = json.loads(CliRunner().invoke(migrate_command, [str(tree), "--format", "sarif"]).output)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    assert {"HPM101", "HPP301", "HPM000"} <= {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    todo = next(r for r in run["results"] if r["ruleId"] == "HPM109")
    assert todo["locations"][0]["physicalLocation"]["region"] == {"startLine": 2, "startColumn": 7}
    fixes = [r for r in run["results"] if r.get("fixes")]
    inserted = [
        replacement["insertedContent"]["text"]
        for fix in fixes
        for change in fix["fixes"][0]["artifactChanges"]
        for replacement in change["replacements"]
    ]
    assert fixes and any("ScriptRunConfig(" in text for text in inserted)


def test_process_pool_gives_the_same_result_as_one_process(tree: Path) -> None:
    """--jobs N uses worker processes; results are identical and in input order."""
    one = CliRunner().invoke(migrate_command, [str(tree), "--format", "json", "--jobs", "1"]).output
    two = CliRunner().invoke(migrate_command, [str(tree), "--format", "json", "--jobs", "2"]).output
    assert one == two


def test_internal_error_exits_3_and_leaves_file(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug while migrating one file is reported as HPE903, the file untouched, exit status 3; the
    traceback only with --debug."""
    import migrate.transform

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(migrate.transform, "migrate_source", explode)
    before = (tree / "pkg" / "job.py").read_text()
    result = CliRunner().invoke(migrate_command, [str(tree), "--write", "--jobs", "1"])
    assert result.exit_code == 3
    assert "HPE903" in result.output and "boom" in result.output and "please report" in result.output
    assert "Traceback" not in result.output
    assert (tree / "pkg" / "job.py").read_text() == before
    debug = CliRunner().invoke(migrate_command, [str(tree), "--jobs", "1", "--debug"])
    assert debug.exit_code == 3 and "Traceback (most recent call last)" in debug.output


def test_output_that_does_not_parse_is_never_written(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If a rewrite ever produced invalid code, the file is left as it was and HPE902 is reported."""
    import migrate.transform

    def broken(module: object) -> str:
        return "def broken(:\n"

    monkeypatch.setattr(migrate.transform, "module_code", broken)
    before = (tree / "pkg" / "job.py").read_text()
    result = CliRunner().invoke(migrate_command, [str(tree / "pkg" / "job.py"), "--write", "--jobs", "1"])
    assert "HPE902" in result.output
    assert (tree / "pkg" / "job.py").read_text() == before


def test_h_works_like_help() -> None:
    """``hpcest migrate -h`` (hpc_estimator passes the arguments through) prints the help."""
    short = CliRunner().invoke(migrate_command, ["-h"])
    assert short.exit_code == 0 and "Usage:" in short.output and "--check" in short.output
    assert short.output == CliRunner().invoke(migrate_command, ["--help"]).output


def test_exit_codes(tmp_path: Path) -> None:
    """0 nothing to change, 1 --check would change, 2 bad input / files not processed, 3 internal."""
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "ok.py").write_text("import azureml.core\n")
    assert CliRunner().invoke(migrate_command, [str(clean), "--check", "--jobs", "1"]).exit_code == 0
    (clean / "job.py").write_text(ESTIMATOR_PY)
    assert CliRunner().invoke(migrate_command, [str(clean), "--check", "--jobs", "1"]).exit_code == 1
    assert CliRunner().invoke(migrate_command, [str(tmp_path / "missing")]).exit_code == 2
    assert CliRunner().invoke(migrate_command, [str(clean), "--format", "xml"]).exit_code == 2
    (clean / "broken.py").write_text("from azureml.train.estimator import Estimator\ndef f(:\n")
    for args in (["--check"], ["--write"], []):
        result = CliRunner().invoke(migrate_command, [str(clean), *args, "--jobs", "1"])
        assert result.exit_code == 2, (args, result.output)
        assert "broken.py" in result.output and "HPE901" in result.output


def test_parse_errors_are_reported_at_libcsts_position(tmp_path: Path) -> None:
    """The reported line:column is the one libcst itself gives (``Syntax Error @ L:C``)."""
    import libcst as cst

    head = "from azureml.train.estimator import Estimator\n"
    for text in (head + "def f(:\n    pass\n", head + "x = (1,\ny = 2\n", head + "\tx = 1\n"):
        path = tmp_path / "e.py"
        path.write_text(text)
        try:
            cst.parse_module(text)
        except cst.ParserSyntaxError as error:
            expected = str(error).splitlines()[0]
        result = migrate_file(str(path))
        assert result.error is not None
        assert expected == f"Syntax Error @ {result.error.line}:{result.error.col}."


def test_sarif_uris_regions_and_fixes(tmp_path: Path) -> None:
    """Percent-encoded URIs; notebook findings at their .ipynb line; fixes are the changed regions."""
    folder = tmp_path / "my project (v1)"
    folder.mkdir()
    job = folder / "job one.py"
    job.write_text("import os\n\n\n" + ESTIMATOR_PY + "print(os.sep)\n")
    cell = "from azureml.train.estimator import Estimator\nest = Estimator('.', entry_script='t.py', vm_size='NC6')"
    (folder / "nb.ipynb").write_text(notebook(("markdown", "# Title"), ("code", cell)))
    sarif = json.loads(CliRunner().invoke(migrate_command, [str(folder), "--format", "sarif", "--jobs", "1"]).output)
    results = sarif["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert all(" " not in uri and "(" not in uri for uri in uris)
    assert any(uri.endswith("my%20project%20%28v1%29/job%20one.py") for uri in uris)
    nb_finding = next(r for r in results if r["ruleId"] == "HPM109")
    region = nb_finding["locations"][0]["physicalLocation"]["region"]
    nb_lines = (folder / "nb.ipynb").read_text().splitlines()
    assert "vm_size" in nb_lines[region["startLine"] - 1]
    assert nb_finding["locations"][0]["properties"] == {"cell": 2, "cellLine": 2, "cellColumn": 7}
    fix = next(
        r
        for r in results
        if r["ruleId"] == "HPM000" and "job" in r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    )
    replacements = fix["fixes"][0]["artifactChanges"][0]["replacements"]
    old = job.read_text()
    rebuilt = old
    for replacement in sorted(replacements, key=lambda r: -r["deletedRegion"]["charOffset"]):
        region = replacement["deletedRegion"]
        start = region["charOffset"]
        rebuilt = rebuilt[:start] + replacement["insertedContent"]["text"] + rebuilt[start + region["charLength"] :]
    assert "ScriptRunConfig(" in rebuilt and rebuilt.endswith("print(os.sep)\n")
    assert all(r["deletedRegion"]["charLength"] < len(old) for r in replacements)
    assert not any("print(os.sep)" in r["insertedContent"]["text"] for r in replacements)


def test_the_command_ending_its_own_process_still_delivers_every_line(tmp_path: Path) -> None:
    """``python -m migrate`` ends its process itself (no interpreter teardown): everything it printed
    into a pipe arrives first, and the exit status is the command's."""
    for index in range(150):
        (tmp_path / f"job{index}.py").write_text(ESTIMATOR_PY)
    result = run_cli(str(tmp_path), "--check")
    assert result.returncode == 1
    assert result.stdout.count("\n--- a/") + result.stdout.startswith("--- a/") == 150
    assert result.stderr.strip().splitlines()[-1].startswith("files scanned: 150")
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "a.py").write_text("print('no v1 here')\n")
    assert run_cli(str(clean), "--check").returncode == 0
    assert run_cli(str(tmp_path / "missing")).returncode == 2  # click's usage error, through the same exit


def test_in_process_callers_get_an_ordinary_exit() -> None:
    from migrate.process import OWN_PROCESS, end_process

    assert OWN_PROCESS == [False]

    def command() -> None:
        raise SystemExit(3)

    with pytest.raises(SystemExit) as stop:
        end_process(command)
    assert stop.value.code == 3


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    """``python -m migrate TREE | head -1``: the command ends quietly when its reader has gone."""
    for index in range(300):
        (tmp_path / f"job{index}.py").write_text(ESTIMATOR_PY)
    shell = f"{sys.executable} -m migrate {tmp_path} --check | head -1"
    result = subprocess.run(["sh", "-c", shell], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.stdout.startswith("--- a/")
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    status = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {shell} > /dev/null"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert status.returncode == 141  # as a process that SIGPIPE ended
