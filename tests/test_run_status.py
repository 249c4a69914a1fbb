"""Run.get_status: a verdict resting on evidence is final, one that was only inferred is asked again."""

from __future__ import annotations

from pathlib import Path

from hpc_estimator import Experiment, Workspace
from hpc_estimator.runs.run import Run


def test_get_status_asks_again_about_an_inferred_verdict_and_the_exit_code_corrects_it(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", name="w")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    store = ws.run_store
    record = store.create_run("e", "local", "local", remote_dir=str(run_dir), status="Running")
    store.set_job_id(record.run_id, "2147483646")  # no such process: the job is gone
    # Declared lost without an exit code (what the grace period leads to).
    store.update_status(record.run_id, "Failed", detail="lost", inferred=True)
    run = Run(Experiment(ws, "e"), record.run_id)
    (run_dir / "exit_code").write_text("0\n")  # the job's own file, arriving late (a slow shared disk)
    assert run.get_status() == "Completed"
    assert not store.get(record.run_id).inferred
    (run_dir / "exit_code").write_text("1\n")
    assert run.get_status() == "Completed"  # now on evidence: final
