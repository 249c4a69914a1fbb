"""compute_target="local" pipelines: the same graph run on this machine in dependency order, no Slurm.

Real processes throughout: the steps' batch scripts run under the detached local runner, with the
srun stand-in. Checked: bytes passed between steps exactly, fan-out/fan-in, reuse (a second
submission starts nothing) and partial reuse after a one-file change, the downstream of a failure
never started, continue_on_step_failure, cancel, and a cycle refused with nothing recorded.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import pytest

from hpc_estimator import Experiment, PipelineRun, Workspace
from hpc_estimator.backends import close_all
from hpc_estimator.errors import ActivityFailedException
from tests import pipeline_graphs as graphs


@pytest.fixture
def ws(tmp_path: Path):
    workspace = Workspace.create(tmp_path / "ws", name="local-pipelines")
    try:
        yield workspace
    finally:
        close_all()
        workspace.close()


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return graphs.write_scripts(tmp_path / "src")


def _submit(ws: Workspace, pipeline: object, **kwargs: object) -> PipelineRun:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Experiment(ws, "pipes").submit(pipeline, **kwargs)


def _output(run: PipelineRun, step: str, name: str, tmp_path: Path) -> bytes:
    (step_run,) = run.find_step_run(step)
    local = step_run.get_output_data(name).download(str(tmp_path / run.id / step))
    return (Path(local) / "blob.bin").read_bytes()


def test_chain_passes_bytes_exactly_and_a_second_submit_reuses_every_step(ws, src, tmp_path) -> None:
    run = _submit(ws, graphs.chain(ws, src, "local"))
    assert run.wait_for_completion(show_output=False) == "Finished"
    produced = graphs.blob(7)
    assert _output(run, "produce", "raw", tmp_path) == produced
    assert _output(run, "transform", "changed", tmp_path) == graphs.transformed(produced)
    assert _output(run, "finish", "final", tmp_path) == graphs.transformed(produced)
    assert [s.name for s in run.get_steps()] == ["produce", "transform", "finish"]

    again = _submit(ws, graphs.chain(ws, src, "local"))
    assert again.record.status == "Completed"  # nothing to run: no runner was started
    steps = again.get_steps()
    assert all(s.is_reused for s in steps)
    assert {s.record.properties["reused_run_id"] for s in steps} == {s.id for s in run.get_steps()}
    assert not (Path(again.record.remote_dir or "") / "steps").exists()
    # Reused outputs are read where the first run wrote them.
    assert _output(again, "finish", "final", tmp_path / "again") == graphs.transformed(produced)


def test_steps_sharing_a_source_directory_all_rerun_when_a_file_in_it_changes(ws, src) -> None:
    first = _submit(ws, graphs.chain(ws, src, "local"))
    assert first.wait_for_completion(show_output=False) == "Finished"
    (src / "transform.py").write_text((src / "transform.py").read_text() + "\n# changed\n")
    second = _submit(ws, graphs.chain(ws, src, "local"))
    steps = {s.name: s for s in second.get_steps()}
    assert not any(s.is_reused for s in steps.values())  # the snapshot is a step's whole source_directory
    assert "a file in source_directory" in steps["produce"].record.spec["reason"]
    assert second.wait_for_completion(show_output=False) == "Finished"


def test_partial_reuse_with_one_source_directory_per_step(ws, tmp_path) -> None:
    dirs = {name: graphs.write_scripts(tmp_path / name) for name in ("p", "t", "f")}
    from hpc_estimator import CommandStep, Pipeline, PipelineData, PythonScriptStep

    def build() -> Pipeline:
        raw, changed, final = PipelineData("raw"), PipelineData("changed"), PipelineData("final")
        produce = PythonScriptStep("produce.py", name="produce", arguments=["--seed", 5, "--out", raw],
                                   outputs=[raw], compute_target="local", source_directory=str(dirs["p"]))
        transform = PythonScriptStep("transform.py", name="transform", arguments=["--in", raw, "--out", changed],
                                     inputs=[raw], outputs=[changed], compute_target="local",
                                     source_directory=str(dirs["t"]))
        finish = CommandStep(["python join.py", final, changed], name="finish", inputs=[changed], outputs=[final],
                             compute_target="local", source_directory=str(dirs["f"]))
        return Pipeline(ws, [produce, transform, finish])

    first = _submit(ws, build())
    assert first.wait_for_completion(show_output=False) == "Finished"
    (dirs["t"] / "transform.py").write_text((dirs["t"] / "transform.py").read_text() + "\n# one more line\n")
    second = _submit(ws, build())
    steps = {s.name: s for s in second.get_steps()}
    assert steps["produce"].is_reused
    assert not steps["transform"].is_reused and not steps["finish"].is_reused
    assert "a file in source_directory" in steps["transform"].record.spec["reason"]
    assert steps["finish"].record.spec["reason"] == "upstream step transform runs"
    assert second.wait_for_completion(show_output=False) == "Finished"
    assert _output(second, "finish", "final", tmp_path) == graphs.transformed(graphs.blob(5))
    # The reused producer's output was read in place, from the first run's directory.
    (first_produce,) = first.find_step_run("produce")
    assert steps["produce"].get_output_data("raw").path == first_produce.get_output_data("raw").path


def test_fan_out_and_fan_in(ws, src, tmp_path) -> None:
    run = _submit(ws, graphs.fan(ws, src, "local", width=3))
    assert run.wait_for_completion(show_output=False) == "Finished"
    part = graphs.transformed(graphs.blob(11))
    assert _output(run, "join", "joined", tmp_path) == part * 3
    graph = {s["name"]: s["upstream"] for s in run.get_graph()["steps"]}
    assert len(graph["join"]) == 3 and all(len(graph[f"transform{i}"]) == 1 for i in range(3))


def test_a_failed_step_stops_its_downstream_and_the_pipeline_fails_naming_it(ws, src) -> None:
    run = _submit(ws, graphs.failing(ws, src, "local", independent_seconds=60))
    started = time.monotonic()
    with pytest.raises(ActivityFailedException, match="step 'first' failed"):
        run.wait_for_completion(show_output=False)
    assert time.monotonic() - started < 30  # the 60 s independent step was cancelled, not waited for
    steps = {s.name: s.record for s in run.get_steps()}
    assert steps["first"].status == "Failed"
    assert {steps[n].status for n in ("second", "third", "independent")} == {"Canceled"}
    assert "upstream step 'first' failed" in (steps["second"].status_detail or "")
    for name in ("second", "third"):
        assert not Path(steps[name].remote_dir or "", "started_at").exists(), f"{name} must never start"
    assert "failing on purpose" in (run.record.status_detail or "")  # the failed step's log tail


def test_continue_on_step_failure_lets_independent_steps_finish(ws, src) -> None:
    run = _submit(ws, graphs.failing(ws, src, "local", independent_seconds=1), continue_on_step_failure=True)
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == "Failed"
    steps = {s.name: s.record.status for s in run.get_steps()}
    assert steps == {"first": "Failed", "second": "Canceled", "third": "Canceled", "independent": "Completed"}


def test_cancel_stops_running_and_queued_steps(ws, src) -> None:
    run = _submit(ws, graphs.sleepers(ws, src, "local", seconds=120))
    deadline = time.monotonic() + 30
    while run.find_step_run("long")[0].get_status() != "Running":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    run.cancel()
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == "Canceled"
    assert {s.record.status for s in run.get_steps()} == {"Canceled"}
    (after,) = run.find_step_run("after")
    assert not Path(after.record.remote_dir or "", "started_at").exists()


def test_a_cycle_is_refused_before_anything_is_recorded(ws, src) -> None:
    pipeline = graphs.cycle(ws, src, "local")
    assert pipeline.validate() and pipeline.validate()[0].startswith("Cycle detected including node two(")
    with pytest.raises(ValueError, match="Cycle detected including node two"):
        _submit(ws, pipeline)
    assert ws.run_store.count() == 0


def test_wait_for_completion_streams_each_step_under_its_header(ws, src, capsys) -> None:
    run = _submit(ws, graphs.chain(ws, src, "local"))
    assert run.wait_for_completion(show_output=True) == "Finished"
    out = capsys.readouterr().out
    for name, text in (("produce", "produced 200000 bytes"), ("transform", "transformed 200000 bytes"),
                       ("finish", "joined 1 inputs")):
        header = out.index(f"StepRun( {name} ) Status:")
        assert out.index(text, header) > header
    assert out.rstrip().endswith("PipelineRun Status: Finished")


def test_experiment_lists_pipeline_runs_and_their_steps_only_with_include_children(ws, src) -> None:
    run = _submit(ws, graphs.chain(ws, src, "local"))
    assert run.wait_for_completion(show_output=False) == "Finished"
    experiment = Experiment(ws, "pipes")
    top = list(experiment.get_runs())
    assert [type(r).__name__ for r in top] == ["PipelineRun"] and top[0].id == run.id
    everything = list(experiment.get_runs(include_children=True))
    assert sorted(type(r).__name__ for r in everything) == ["PipelineRun", "StepRun", "StepRun", "StepRun"]
    from hpc_estimator import Run

    assert type(Run.get(ws, run.id)).__name__ == "PipelineRun"
    step = Run.get(ws, run.get_steps()[0].id)
    assert type(step).__name__ == "StepRun" and step.parent.id == run.id  # type: ignore[attr-defined]



def test_the_pipeline_run_dir_is_created_under_the_profiles_umask(ws, src) -> None:
    """The local profile's umask is 0077: the pipeline dir, each step's dir, batch script, in-job
    library and log dir are private to the user whatever umask the submitting shell has (as a
    single run's directory is)."""
    import os
    import stat

    from hpc_estimator.runtime.jobshim import PYLIB

    run = _submit(ws, graphs.chain(ws, src, "local"))
    assert run.wait_for_completion(show_output=False) == "Finished"
    pipeline_dir = Path(run.record.remote_dir or "")
    checked = [pipeline_dir, pipeline_dir / "steps"]
    for step in run.get_steps():
        step_dir = Path(step.record.remote_dir or "")
        assert step_dir.parent == pipeline_dir / "steps"
        checked += [step_dir, step_dir / "job.sbatch", step_dir / "hpcest-logs", step_dir / "src"]
        library = [Path(root, name) for root, dirs, files in os.walk(step_dir / PYLIB) for name in dirs + files]
        assert library
        checked += library
    modes = {str(p.relative_to(pipeline_dir)): oct(stat.S_IMODE(p.stat().st_mode)) for p in checked}
    assert all(int(mode, 8) & 0o077 == 0 for mode in modes.values()), modes
    assert modes[str(Path("steps", run.get_steps()[0].id, "job.sbatch"))] == "0o700"


def test_a_shared_source_directory_is_hashed_once_per_submission(ws, src, monkeypatch) -> None:
    """Three steps share one source_directory: one walk gives their reuse keys and what is staged."""
    from hpc_estimator.backends import graph as graph_module
    from hpc_estimator.runs import pipeline_submission
    from hpc_estimator.snapshot.staging import build_manifest

    walked: list[str] = []

    def counting(source: object) -> object:
        walked.append(str(source))
        return build_manifest(source)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline_submission, "build_manifest", counting)
    monkeypatch.setattr(graph_module, "build_manifest", counting)
    run = _submit(ws, graphs.chain(ws, src, "local"))
    assert len(run.get_steps()) == 3
    assert walked == [str(src)]
    assert run.wait_for_completion(show_output=False) == "Finished"


def test_the_reuse_lookup_reads_the_completed_runs_once_per_plan(ws, src, monkeypatch) -> None:
    """Every step of an unchanged pipeline looks for a reusable run, and a changed step also for what
    changed; the completed step runs are read once per plan all the same."""
    from hpc_estimator.runs.pipeline_submission import dry_run_pipeline

    first = _submit(ws, graphs.chain(ws, src, "local"))
    assert first.wait_for_completion(show_output=False) == "Finished"
    store = ws.run_store
    reads: list[dict[str, object]] = []
    real_list = store.list

    def counting(*args: object, **kwargs: object) -> object:
        reads.append(dict(kwargs))
        return real_list(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "list", counting)
    unchanged = dry_run_pipeline(ws, "pipes", graphs.chain(ws, src, "local"))
    assert [s.origin for s in unchanged.steps] == [s.id for s in first.get_steps()]
    assert len(reads) == 1
    (src / "produce.py").write_text((src / "produce.py").read_text() + "\n# changed\n")
    changed = dry_run_pipeline(ws, "pipes", graphs.chain(ws, src, "local"))
    assert [s.reused is None for s in changed.steps] == [True, True, True]
    assert "a file in source_directory" in changed.steps[0].reason  # what_changed, from the same read
    assert reads == [{"status": "Completed", "kind": "step"}] * 2
