"""``hpcest gc``: what goes is exactly the store's contents no recent run or staging used.

Real staging through the real LocalTransport builds the store; ages are set with os.utime, as
a month of edits would leave them.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from hpc_estimator.cli import main
from hpc_estimator.errors import UserErrorException
from hpc_estimator.snapshot.gc import collect
from hpc_estimator.snapshot.staging import build_manifest, stage
from hpc_estimator.transport.local import LocalTransport

DAY = 86400


def _stage(src: Path, runs: Path, cas: Path, run_id: str, tools: str = "python") -> None:
    stage(LocalTransport(), build_manifest(src), src, str(runs / run_id / "src"), str(cas), remote_tools=tools)


def _age(path: Path, days: float) -> None:
    then = time.time() - days * DAY
    os.utime(path, (then, then))


def _objects(cas: Path) -> set[str]:
    return {p.name for p in cas.glob("??/*")}


@pytest.fixture
def month_of_edits(tmp_path: Path):
    """A checkpoint edited once since a run 40 days ago, and a file no run uses any more."""
    src, runs, cas = tmp_path / "src", tmp_path / "runs", tmp_path / "cas"
    src.mkdir()
    (src / "train.py").write_text("print('v1')\n")
    (src / "model.ckpt").write_bytes(b"A" * 5000)
    _stage(src, runs, cas, "old")
    (src / "model.ckpt").write_bytes(b"B" * 7000)
    _stage(src, runs, cas, "new")
    # Everything of the old run is 40 days old; the current run's listing is from today.
    for obj in cas.glob("??/*"):
        _age(obj, 40)
    _age(runs / "old" / "snapshot-objects", 40)
    return src, runs, cas


def _current(run: Path) -> set[str]:
    return {line.split("/")[1] for line in (run / "snapshot-objects").read_text().split()}


def test_dry_run_counts_what_would_go_and_removes_nothing(month_of_edits) -> None:
    _src, runs, cas = month_of_edits
    before = _objects(cas)
    report = collect(LocalTransport(), str(cas), str(runs), days=30, delete=False)
    assert (report.objects, report.unused, report.unused_bytes) == (3, 1, 5000)
    assert report.runs == 2 and not report.removed
    assert _objects(cas) == before
    assert "would remove 1 (5.0 KB)" in report.summary(30) and "--yes" in report.summary(30)


def test_removes_only_what_no_recent_run_lists_and_runs_keep_their_files(month_of_edits) -> None:
    src, runs, cas = month_of_edits
    old_run_files = sorted(p.read_bytes() for p in (runs / "old" / "src").iterdir())
    report = collect(LocalTransport(), str(cas), str(runs), days=30, delete=True)
    assert (report.unused, report.removed) == (1, True)
    assert _objects(cas) == _current(runs / "new")  # the current code's contents stay
    # A run directory has its own copy: removing the store's object takes nothing from it.
    assert sorted(p.read_bytes() for p in (runs / "old" / "src").iterdir()) == old_run_files
    # Staging the old version again just sends it again.
    (src / "model.ckpt").write_bytes(b"A" * 5000)
    _stage(src, runs, cas, "again")
    assert (runs / "again" / "src" / "model.ckpt").read_bytes() == b"A" * 5000


@pytest.mark.parametrize("tools", ["python", "sh"])
def test_an_object_a_staging_just_found_present_is_kept(month_of_edits, tools: str) -> None:
    """Staging touches what it reuses, so gc never removes an object a submission counts on,
    even when no run's listing names it yet (the run directory is being built)."""
    src, runs, cas = month_of_edits
    (src / "model.ckpt").write_bytes(b"A" * 5000)  # back to the old checkpoint: reused, not sent
    _stage(src, runs, cas, "revert", tools)
    (runs / "revert" / "snapshot-objects").unlink()  # as if gc ran before the listing was written
    report = collect(LocalTransport(), str(cas), str(runs), days=30, delete=True)
    assert report.unused == 0


def test_days_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(UserErrorException, match="positive number of days"):
        collect(LocalTransport(), str(tmp_path), str(tmp_path), days=0, delete=False)


def test_cli_dry_run_then_yes(month_of_edits, tmp_path: Path, monkeypatch) -> None:
    """The command on the workspace's local target: its store is under .hpcest/."""
    _src, runs, cas = month_of_edits
    ws = tmp_path / "ws"
    ws.mkdir()
    monkeypatch.chdir(ws)
    runner = CliRunner()
    assert runner.invoke(main, ["init", "."]).exit_code == 0
    (ws / ".hpcest").mkdir(exist_ok=True)
    os.rename(cas, ws / ".hpcest" / "cas")
    os.rename(runs, ws / ".hpcest" / "runs")
    dry = runner.invoke(main, ["gc", "local"])
    assert dry.exit_code == 0, dry.output
    assert "would remove 1 (5.0 KB) not used by a run of the last 30 day(s)" in dry.output
    done = runner.invoke(main, ["gc", "local", "--yes", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["local"]["unused"] == 1
    again = runner.invoke(main, ["gc", "local"])
    assert "would remove 0" in again.output
