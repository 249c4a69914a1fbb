"""A pipeline's status when a step's failure is only inferred (its job vanished without an exit code).

The backend here is a stand-in that answers the steps' poll with scripted updates and records the
cancels asked of it; the run store, the failure rules and the refresh are the real ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from hpc_estimator import Workspace
from hpc_estimator.backends.base import JobRef
from hpc_estimator.backends.status import StatusUpdate
from hpc_estimator.job.state import JobState
from hpc_estimator.runs import pipeline_status
from hpc_estimator.runs.pipeline_status import refresh_pipelines
from hpc_estimator.transport.base import CommandResult

LOST = StatusUpdate(JobState.FAILED, "the job left the queue without writing its exit code", None,
                    unseen=True, inferred=True)
DONE = StatusUpdate(JobState.COMPLETED, None, 0)
RUNNING = StatusUpdate(JobState.RUNNING)
QUEUED = StatusUpdate(JobState.QUEUED)


class _Transport:
    def run(self, argv: Sequence[str], **kwargs: Any) -> CommandResult:
        return CommandResult(argv=tuple(argv), returncode=1, stdout="", stderr="no logs here")


class ScriptedBackend:
    """Answers each poll with the next scripted {step name: update}; records what it is asked to cancel."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names  # run id -> step name
        self.answers: list[dict[str, StatusUpdate]] = []
        self.polled: list[list[str]] = []
        self.canceled: list[str] = []
        self.transport = _Transport()
        self.current: dict[str, StatusUpdate] | None = None  # when set, the answer to every poll

    def submit_graph(self, submission: Any, *, progress: Any = None) -> Any:
        raise AssertionError("nothing is submitted here")

    def poll_graph(self, jobs: Sequence[JobRef]) -> dict[str, StatusUpdate]:
        self.polled.append(sorted(self.names[j.key] for j in jobs))
        answer = self.current if self.current is not None else self.answers.pop(0)
        return {j.key: answer[self.names[j.key]] for j in jobs if self.names[j.key] in answer}

    def cancel_graph(self, jobs: Sequence[JobRef]) -> None:
        self.canceled += [self.names[j.key] for j in jobs]

    def recorded_job_ids(self, submission: Any) -> dict[str, str]:
        return {}


@pytest.fixture
def ws(tmp_path: Path):
    workspace = Workspace.create(tmp_path / "ws", name="pipeline-status")
    try:
        yield workspace
    finally:
        workspace.close()


def _pipeline(ws: Workspace, upstream: dict[str, list[str]]) -> tuple[str, dict[str, str]]:
    """A running pipeline of running steps (name -> upstream step names), each with a job."""
    store = ws.run_store
    pipeline_id = "pipes_1"
    names = list(upstream)
    ids = {name: f"{pipeline_id}_{name}" for name in names}
    graph = [{"index": i, "run_id": ids[n], "name": n, "upstream": [names.index(u) for u in upstream[n]]}
             for i, n in enumerate(names)]
    store.create_run("pipes", "local", "local", run_id=pipeline_id, kind="pipeline", status="Running",
                     spec={"steps": graph, "continue_on_step_failure": False})
    for number, name in enumerate(names):
        store.create_run("pipes", "local", "local", run_id=ids[name], kind="step", status="Running",
                         parent_id=pipeline_id, name=name)
        store.set_job_id(ids[name], str(100 + number), remote_dir=f"/nowhere/{name}")
    return pipeline_id, ids


def _backend(monkeypatch: pytest.MonkeyPatch, ids: dict[str, str]) -> ScriptedBackend:
    backend = ScriptedBackend({run_id: name for name, run_id in ids.items()})
    monkeypatch.setattr(pipeline_status, "get_backend", lambda workspace, target: backend)
    return backend


def _refresh(ws: Workspace, pipeline_id: str) -> None:
    refresh_pipelines(ws, [ws.run_store.get(pipeline_id)])


def test_an_inferred_failure_cancels_nothing_and_a_later_exit_code_corrects_it(ws, monkeypatch) -> None:
    pipeline_id, ids = _pipeline(ws, {"a": [], "b": [], "c": ["a"]})
    backend = _backend(monkeypatch, ids)
    store = ws.run_store

    backend.answers.append({"a": LOST, "b": RUNNING, "c": QUEUED})
    _refresh(ws, pipeline_id)
    a = store.get(ids["a"])
    assert (a.status, a.inferred) == ("Failed", True)
    assert backend.canceled == []  # neither the independent step b nor a's downstream c
    assert store.get(ids["c"]).status == "Queued"
    assert not store.get(pipeline_id).is_terminal

    # The exit-code file turns up: a completed after all, and so do the others.
    backend.answers.append({"a": DONE, "b": DONE, "c": DONE})
    _refresh(ws, pipeline_id)
    assert [store.get(ids[n]).status for n in "abc"] == ["Completed"] * 3
    assert store.get(ids["a"]).inferred is False
    assert store.get(pipeline_id).status == "Completed"
    assert backend.canceled == []


def test_a_pipeline_failed_on_inference_only_is_inferred_refreshed_again_and_corrected(ws, monkeypatch) -> None:
    pipeline_id, ids = _pipeline(ws, {"a": [], "b": []})
    backend = _backend(monkeypatch, ids)
    store = ws.run_store

    backend.answers.append({"a": LOST, "b": DONE})
    _refresh(ws, pipeline_id)
    pipeline = store.get(pipeline_id)
    assert (pipeline.status, pipeline.inferred) == ("Failed", True)
    assert "step 'a' failed" in (pipeline.status_detail or "")

    backend.answers.append({"a": DONE})
    _refresh(ws, pipeline_id)  # terminal, but only by inference: polled again (only its inferred step)
    assert backend.polled[-1] == ["a"]
    pipeline = store.get(pipeline_id)
    assert (pipeline.status, pipeline.inferred) == ("Completed", False)


def test_a_failure_with_evidence_is_final_and_cancels_the_other_steps(ws, monkeypatch) -> None:
    pipeline_id, ids = _pipeline(ws, {"a": [], "b": []})
    backend = _backend(monkeypatch, ids)
    store = ws.run_store

    backend.answers.append({"a": StatusUpdate(JobState.FAILED, "exit code 3", 3), "b": RUNNING})
    _refresh(ws, pipeline_id)
    assert backend.canceled == ["b"]
    pipeline = store.get(pipeline_id)
    assert (pipeline.status, pipeline.inferred) == ("Failed", False)
    _refresh(ws, pipeline_id)  # final: nothing is polled any more
    assert len(backend.polled) == 1


def test_an_inferred_failure_standing_for_another_grace_period_cancels_the_other_steps(ws, monkeypatch) -> None:
    pipeline_id, ids = _pipeline(ws, {"a": [], "b": [], "c": ["a"]})
    backend = _backend(monkeypatch, ids)
    store = ws.run_store

    backend.answers.append({"a": LOST, "b": RUNNING, "c": QUEUED})
    _refresh(ws, pipeline_id)
    assert backend.canceled == []
    grace = ws.get_profile("local").status_grace_seconds
    long_ago = datetime.now(timezone.utc) - timedelta(seconds=grace + 1)
    store.set_times(ids["a"], ended_at=long_ago.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))  # inferred that long ago

    backend.answers.append({"a": StatusUpdate(None, "still no exit code", unseen=True), "b": RUNNING, "c": QUEUED})
    _refresh(ws, pipeline_id)
    assert sorted(backend.canceled) == ["b", "c"]
    assert "upstream step 'a' failed" in (store.get(ids["c"]).status_detail or "")
    pipeline = store.get(pipeline_id)
    assert (pipeline.status, pipeline.inferred) == ("Failed", True)


def test_pipeline_and_step_runs_get_status_refresh_an_inferred_verdict(ws, monkeypatch) -> None:
    from hpc_estimator import Experiment, PipelineRun

    pipeline_id, ids = _pipeline(ws, {"a": []})
    backend = _backend(monkeypatch, ids)
    backend.answers.append({"a": LOST})
    run = PipelineRun(Experiment(ws, "pipes"), pipeline_id)
    assert run.get_status() == "Failed"
    (step,) = run.find_step_run("a")
    backend.answers.append({"a": LOST})
    assert step.get_status() == "Failed"  # asked again: still no exit code
    backend.answers.append({"a": DONE})
    assert run.get_status() == "Finished"
    assert len(backend.polled) == 3


def test_a_pipeline_is_never_queued_in_v1s_words_and_stays_running_between_steps(ws, monkeypatch) -> None:
    """v1's pipeline status is NotStarted/Running/Failed/Finished/Canceled; "Queued" is a step's word."""
    from hpc_estimator import Experiment, PipelineRun

    pipeline_id, ids = _pipeline(ws, {"a": [], "b": ["a"]})
    ws.run_store.update_status(pipeline_id, "Queued")
    backend = _backend(monkeypatch, ids)
    run = PipelineRun(Experiment(ws, "pipes"), pipeline_id)
    seen = []
    for answer in ({"a": QUEUED, "b": QUEUED}, {"a": RUNNING, "b": QUEUED}, {"a": DONE, "b": QUEUED},
                   {"b": RUNNING}, {"b": DONE}):
        backend.current = answer
        seen.append((run.get_status(), [s.get_status() for s in run.find_step_run("a") + run.find_step_run("b")]))
    assert [pipeline for pipeline, _steps in seen] == ["NotStarted", "Running", "Running", "Running", "Finished"]
    assert seen[2][1] == ["Finished", "Queued"]  # between the steps: the step is Queued, the pipeline Running
    assert [h.status for h in ws.run_store.history(pipeline_id)].count("Queued") == 1  # never back to Queued
