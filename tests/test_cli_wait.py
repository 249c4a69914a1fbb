"""`--wait --timeout` on the command line: a distinct exit code, the run goes on, and waiting
again with `hpcest status RUN --wait` follows it to its end (real local runs, no Slurm)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hpc_estimator.backends import close_all
from hpc_estimator.cli import main


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "slow.py").write_text("import time\nprint('working', flush=True)\ntime.sleep(6)\nprint('done')\n")
    (tmp_path / "hpcest.toml").write_text('[workspace]\nname = "wait"\ndefault_target = "local"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HPCEST_WORKSPACE", raising=False)
    yield tmp_path
    close_all()


def test_timeout_exits_5_and_the_run_goes_on_until_status_wait_sees_it_end(project: Path) -> None:
    runner = CliRunner()
    waited = runner.invoke(main, ["submit", "slow.py", "--wait", "--timeout", "1"])
    assert waited.exit_code == 5, waited.output
    assert "is still" in waited.output and "after 1s; it keeps running" in waited.output
    (run,) = json.loads(runner.invoke(main, ["runs", "--json"]).output)
    assert run["status"] in ("Queued", "Starting", "Running")
    followed = runner.invoke(main, ["status", run["run_id"], "--wait"])
    assert followed.exit_code == 0, followed.output
    assert "done" in followed.output and "Completed" in followed.output


def test_timeout_without_wait_is_a_usage_error(project: Path) -> None:
    result = CliRunner().invoke(main, ["submit", "slow.py", "--timeout", "10"])
    assert result.exit_code == 2 and "--timeout is for --wait" in result.output
