"""hpcest for pipelines: submit FILE.py:pipeline (--dry-run, --param, --wait), runs, status, logs --step, cancel."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from hpc_estimator.backends import close_all
from hpc_estimator.cli import main
from tests import pipeline_graphs as graphs

PIPELINE = textwrap.dedent(
    """
    import os
    from hpc_estimator import CommandStep, Pipeline, PipelineData, PipelineParameter, PythonScriptStep, Workspace

    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.join(here, "src")
    ws = Workspace.from_config()
    raw = PipelineData("raw")
    seed = PipelineParameter("seed", default_value=4)
    produce = PythonScriptStep("produce.py", name="produce", arguments=["--seed", seed, "--out", raw],
                               outputs=[raw], compute_target="local", source_directory=src)
    copy = raw.as_download("copy")
    done = PipelineData("done")
    show = CommandStep(["python transform.py --in", copy, "--out", done], name="show", inputs=[copy],
                       outputs=[done], compute_target="local", source_directory=src)
    pipeline = Pipeline(ws, [show])
    """
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    graphs.write_scripts(tmp_path / "src")
    (tmp_path / "hpcest.toml").write_text('[workspace]\nname = "cli-pipelines"\ndefault_target = "local"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HPCEST_WORKSPACE", raising=False)
    yield tmp_path
    close_all()


def _write_pipeline(project: Path) -> None:
    (project / "pipe.py").write_text(PIPELINE)


def test_dry_run_prints_the_graph_reuse_data_paths_and_scripts(project: Path) -> None:
    _write_pipeline(project)
    result = CliRunner().invoke(main, ["submit", "pipe.py:pipeline", "--dry-run", "--param", "seed=9"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "2 of 2 step(s) would be submitted" in out and "# parameters: seed=9" in out
    graph = out.split("# data")[0]
    rows = {line.split()[0]: line.split() for line in graph.splitlines() if line.startswith(("produce ", "show "))}
    assert rows["produce"][:4] == ["produce", "PythonScriptStep", "-", "run"]
    assert rows["show"][:4] == ["show", "CommandStep", "produce", "run"]
    assert "in (download)  copy" in out and "/data/raw" in out
    assert out.count("#!/bin/bash") == 2 and "--seed 9" in out
    assert not (project / ".hpcest" / "runs").exists() or not any((project / ".hpcest" / "runs").iterdir())


def test_param_values_take_the_type_of_the_default_and_unknown_names_list_the_known(project: Path) -> None:
    _write_pipeline(project)
    bad = CliRunner().invoke(main, ["submit", "pipe.py:pipeline", "--dry-run", "--param", "seed=x"])
    assert bad.exit_code == 2 and "the default is 4, so give a int" in bad.output
    unknown = CliRunner().invoke(main, ["submit", "pipe.py:pipeline", "--dry-run", "--param", "sed=1"])
    assert unknown.exit_code == 2 and "no parameter 'sed'; its parameters: seed (default 4)" in unknown.output


def test_submit_wait_runs_status_logs_step_and_a_resubmit_reuses(project: Path) -> None:
    _write_pipeline(project)
    runner = CliRunner()
    result = runner.invoke(main, ["submit", "pipe.py:pipeline", "--wait", "--param", "seed=5"])
    assert result.exit_code == 0, result.output
    assert "2 step(s) submitted, 0 reused" in result.output
    assert "StepRun( produce ) Status:" in result.output and "PipelineRun Status: Finished" in result.output
    listed = json.loads(runner.invoke(main, ["runs", "--json"]).output)
    assert len(listed) == 1 and listed[0]["status"] == "Completed"  # steps are not top-level runs
    run_id = listed[0]["run_id"]
    table = runner.invoke(main, ["runs"]).output
    assert "  └ produce" in table and "  └ show" in table
    status = runner.invoke(main, ["status", run_id])
    assert status.exit_code == 0 and "pipeline run" in status.output
    assert [line.split()[:2] for line in status.output.splitlines()[3:]] == [["produce", "Completed"],
                                                                             ["show", "Completed"]]
    logs = runner.invoke(main, ["logs", run_id, "--step", "produce"])
    assert logs.exit_code == 0 and "produced 200000 bytes" in logs.output
    missing = runner.invoke(main, ["logs", run_id, "--step", "nope"])
    assert missing.exit_code == 2 and "its steps: produce, show" in missing.output
    again = runner.invoke(main, ["submit", "pipe.py:pipeline", "--param", "seed=5"])
    assert again.exit_code == 0 and "0 step(s) submitted, 2 reused" in again.output


def test_cancel_cancels_every_step(project: Path) -> None:
    (project / "sleep.py").write_text(textwrap.dedent(
        """
        import os
        from hpc_estimator import Workspace
        from tests import pipeline_graphs as graphs
        pipeline = graphs.sleepers(Workspace.from_config(), graphs.write_scripts(
            __import__("pathlib").Path(os.path.dirname(os.path.abspath(__file__))) / "src"), "local", 120)
        """
    ))
    runner = CliRunner()
    submitted = runner.invoke(main, ["submit", "sleep.py:pipeline", "--json"])
    assert submitted.exit_code == 0, submitted.output
    run_id = json.loads(submitted.output)["run_id"]
    result = runner.invoke(main, ["cancel", run_id])
    assert result.exit_code == 0 and "2 queued or running step(s)" in result.output
    from hpc_estimator import Run, Workspace

    run = Run.get(Workspace.from_config(), run_id)
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == "Canceled"  # type: ignore[call-arg]
