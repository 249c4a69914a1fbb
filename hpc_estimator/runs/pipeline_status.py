"""A pipeline run's status: one poll for all its steps, v1's failure rules, the pipeline's own status.

Each refresh asks each compute target once about every active step of the given pipelines (the
backend's ``poll_graph``: one squeue on Slurm), then settles each pipeline:

* a step whose upstream step failed or was cancelled never runs. Slurm cancels such a job itself
  (``--kill-on-invalid-dep=yes``), the local runner skips it; here it is recorded as Canceled, saying
  which upstream step did not complete, and if it is still queued it is cancelled now;
* when a step failed and the pipeline was submitted with ``continue_on_step_failure=False`` (v1's
  default), every step still queued or running is cancelled at once (one cancel for all of them);
  with True, steps that do not depend on the failed one go on;
* the pipeline is Failed as soon as all steps have ended and one failed (the detail names the
  step and ends with the last lines of its log), Canceled when steps were cancelled, Completed
  when all completed (or were reused); before that Queued until a step has started or ended, then
  Running (also between two steps: a pipeline never goes back to Queued).

A step's failure may be *inferred* (the scheduler no longer lists its job and it wrote no exit
code within the grace period; see ``backends.status``), and evidence arriving later corrects it.
Such a failure is not acted on at once: it cancels nothing (neither its downstream nor the other
steps) until it has stood for one more grace period. A pipeline verdict that rests on inferred
failures only is recorded as inferred too, and such a pipeline is refreshed again (as
``refresh_status`` does for a single run), so an exit-code file that turns up later corrects it.
"""

from __future__ import annotations

import contextlib
import posixpath
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from ..backends import get_backend
from ..backends.base import JobRef
from ..backends.graph import graph_backend
from ..errors import ConfigError, SchedulerError, TransportError
from .store import TERMINAL_STATUSES, V1_STATUS, RunRecord

LOG_TAIL_LINES = 20
_RUNNING = ("Running", "Starting", "Finalizing")


def _ref(record: RunRecord) -> JobRef:
    from .run import job_ref

    return job_ref(record)  # with how long the scheduler has no longer listed it (the grace period)


def is_sweep_step(record: RunRecord) -> bool:
    """A HyperDriveStep's record (it keeps its sweep's settings under ``hyperdrive``)."""
    return record.kind == "step" and "hyperdrive" in record.properties


def _refs(record: RunRecord) -> list[JobRef]:
    """What cancelling a step cancels: its job, and a HyperDriveStep's arrays and controller too."""
    if not is_sweep_step(record):
        return [_ref(record)]
    from .pipeline_sweep import sweep_refs  # (compiles and renders: not needed to read a pipeline's status)

    return sweep_refs(record)


def refresh_pipelines(
    workspace: Any,
    records: Iterable[RunRecord],
    *,
    on_error: Callable[[str, Exception], None] | None = None,
) -> dict[str, str]:
    """Refresh the pipeline runs among ``records`` (and those of the steps among them).

    Returns the runs whose scheduler did not answer (run id -> why; their last state stands): the
    steps, and each pipeline with such a step."""
    store = workspace.run_store
    pipelines: dict[str, RunRecord] = {}
    for record in records:
        if record.kind == "pipeline":
            pipelines[record.run_id] = record
        elif record.kind == "step" and record.parent_id and record.parent_id not in pipelines:
            pipelines[record.parent_id] = store.get(record.parent_id)
    # Terminal but inferred: its verdict rests on a step's inferred failure, which evidence may still correct.
    active = [p for p in pipelines.values() if not p.is_terminal or p.inferred]
    if not active:
        return {}
    steps = {p.run_id: store.children(p.run_id) for p in active}
    by_target: dict[str, list[RunRecord]] = {}
    sweeps: list[RunRecord] = []
    for pipeline in active:
        for step in steps[pipeline.run_id]:
            if (not step.is_terminal or step.inferred) and step.job_id and step.remote_dir:
                # A HyperDriveStep is polled with its sweep (one squeue for its arrays, controller and
                # finish job), not in the steps' poll as well.
                (sweeps if is_sweep_step(step) else by_target.setdefault(step.target, [])).append(step)
    updates: dict[str, Any] = {}
    unreachable: set[str] = set()
    for target, active_steps in by_target.items():
        try:
            backend = graph_backend(get_backend(workspace, target))
            updates.update(backend.poll_graph([_ref(s) for s in active_steps]))
        except (TransportError, ConfigError) as exc:
            if on_error is None:
                raise
            on_error(target, exc)
            unreachable.add(target)
    if sweeps:
        from .pipeline_sweep import poll_sweep_step
    for step in sweeps:
        if step.target in unreachable:
            continue
        try:
            updates[step.run_id] = poll_sweep_step(workspace, step)
        except (TransportError, ConfigError) as exc:
            if on_error is None:
                raise
            on_error(step.target, exc)
            unreachable.add(step.target)
    unknown: dict[str, str] = {}
    for pipeline in active:
        if pipeline.target not in unreachable:
            settle(workspace, pipeline, steps[pipeline.run_id], updates)
        for step in steps[pipeline.run_id]:
            update = updates.get(step.run_id)
            if update is not None and update.unanswered:
                why = update.detail or "the scheduler did not answer"
                unknown.setdefault(pipeline.run_id, why)
                unknown[step.run_id] = why
    return unknown


def settle(workspace: Any, pipeline: RunRecord, steps: Sequence[RunRecord], updates: dict[str, Any]) -> None:
    """Record the steps' new states with the failure rules applied, then the pipeline's status."""
    store = workspace.run_store
    graph = pipeline.spec.get("steps", [])
    run_of = {s["index"]: s["run_id"] for s in graph}
    name_of = {s["run_id"]: s["name"] for s in graph}
    records = {s.run_id: s for s in steps}
    # run id -> (status, detail, exit code) as it will be recorded
    state: dict[str, tuple[str, str | None, int | None]] = {
        s.run_id: (s.status, s.status_detail, s.exit_code) for s in steps
    }
    # Steps whose state rests on inference (kept from earlier refreshes unless evidence arrives now).
    inferred = {s.run_id for s in steps if s.inferred and s.is_terminal}
    for run_id, update in updates.items():
        if run_id not in records or (records[run_id].is_terminal and not records[run_id].inferred):
            continue
        late = update.state is not None and V1_STATUS[update.state] not in TERMINAL_STATUSES
        if records[run_id].is_terminal and late:
            continue  # only a verdict corrects an inferred one (as the run store has it)
        if update.state is None:
            # No answer (or not listed, within the grace period): the last known state stands.
            if update.unseen:
                store.mark_unseen(run_id)
            continue
        if not update.unseen:
            store.mark_seen(run_id)
        if update.inferred:
            inferred.add(run_id)
        else:
            inferred.discard(run_id)
        state[run_id] = (V1_STATUS[update.state], update.detail, update.exit_code)
    unsettled = _unsettled(workspace, pipeline, records, inferred)
    cancel: dict[str, str] = {}  # run id -> why
    for entry in graph:  # the spec lists steps in dependency order
        run_id = entry["run_id"]
        blocked = [
            run_of[u] for u in entry["upstream"]
            if state[run_of[u]][0] in ("Failed", "Canceled") and run_of[u] not in unsettled
        ]
        if not blocked or state[run_id][0] == "Completed":
            continue
        word = "failed" if any(state[b][0] == "Failed" for b in blocked) else "was canceled"
        why = f"not run: upstream step {', '.join(repr(name_of[b]) for b in blocked)} {word}"
        if state[run_id][0] not in TERMINAL_STATUSES:
            cancel[run_id] = why
        state[run_id] = ("Canceled", why, state[run_id][2])
        inferred.discard(run_id)
    failed = [e["run_id"] for e in graph if state[e["run_id"]][0] == "Failed"]
    settled_failures = [f for f in failed if f not in unsettled]
    if settled_failures and not pipeline.spec.get("continue_on_step_failure", False):
        first = name_of[settled_failures[0]]
        for entry in graph:
            run_id = entry["run_id"]
            if state[run_id][0] not in TERMINAL_STATUSES:
                why = f"canceled: step {first!r} failed (continue_on_step_failure=False)"
                cancel[run_id] = why
                state[run_id] = ("Canceled", why, state[run_id][2])
    if cancel:
        refs = [ref for r in cancel if records[r].job_id and records[r].remote_dir for ref in _refs(records[r])]
        if refs:
            # Marked either way; Slurm's kill-on-invalid-dep still stops the steps that depend on the failure.
            with contextlib.suppress(TransportError, SchedulerError):
                graph_backend(get_backend(workspace, pipeline.target)).cancel_graph(refs)
    for run_id, (status, detail, exit_code) in state.items():
        record = records[run_id]
        if (status, detail, exit_code) != (record.status, record.status_detail, record.exit_code):
            store.update_status(run_id, status, detail=detail, exit_code=exit_code, inferred=run_id in inferred)
    statuses = [state[e["run_id"]][0] for e in graph]
    if all(s in TERMINAL_STATUSES for s in statuses):
        if failed:
            # Named after a failure with evidence when there is one; inferred when none has any.
            cause = next((f for f in failed if f not in inferred), failed[0])
            record = records[cause]
            tail = log_tail(workspace, record)
            detail = f"step {name_of[cause]!r} failed: {state[cause][1] or 'unknown reason'}"
            if tail:
                detail += f"\n--- last lines of its log ({record.remote_dir}/hpcest-logs/rank-0.log) ---\n{tail}"
            store.update_status(pipeline.run_id, "Failed", detail=detail, inferred=cause in inferred)
        elif "Canceled" in statuses:
            store.update_status(pipeline.run_id, "Canceled", detail=pipeline.status_detail or "steps were canceled")
        else:
            store.update_status(pipeline.run_id, "Completed")
    elif pipeline.status != "CancelRequested":
        started = pipeline.status == "Running" or any(s in _RUNNING or s in TERMINAL_STATUSES for s in statuses)
        store.update_status(pipeline.run_id, "Running" if started else "Queued")


def _unsettled(workspace: Any, pipeline: RunRecord, records: dict[str, RunRecord], inferred: set[str]) -> set[str]:
    """The inferred step verdicts not to act on yet: inferred in this refresh, or recorded less than
    one more grace period ago (evidence, the job's exit-code file, may still arrive and correct them)."""
    if not inferred:
        return set()
    try:
        grace = float(workspace.get_profile(pipeline.target).status_grace_seconds)
    except ConfigError:
        grace = 0.0
    now = datetime.now(timezone.utc)
    out: set[str] = set()
    for run_id in inferred:
        record = records[run_id]
        since = _parse_time(record.ended_at) if record.is_terminal and record.inferred else None
        if since is None or (now - since).total_seconds() < grace:
            out.add(run_id)
    return out


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def log_tail(workspace: Any, step: RunRecord, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of a step's rank-0 output (else its batch output), or '' when unreadable."""
    if not step.remote_dir:
        return ""
    logs = posixpath.join(step.remote_dir, "hpcest-logs")
    candidates = [posixpath.join(logs, "rank-0.log"), posixpath.join(logs, f"slurm-{step.job_id}.out"),
                  posixpath.join(logs, "batch.out")]
    script = 'n=$1; shift; for f in "$@"; do if [ -s "$f" ]; then tail -n "$n" "$f"; exit 0; fi; done'
    try:
        result = get_backend(workspace, step.target).transport.run(
            ["sh", "-c", script, "hpcest-tail", str(lines), *candidates]
        )
    except (TransportError, ConfigError):
        return ""
    return result.stdout.rstrip("\n") if result.ok else ""


def cancel_pipeline(workspace: Any, pipeline: RunRecord) -> int:
    """Cancel every queued or running step of ``pipeline`` with one cancel; returns how many."""
    store = workspace.run_store
    steps = [s for s in store.children(pipeline.run_id) if not s.is_terminal]
    refs = [ref for s in steps if s.job_id and s.remote_dir for ref in _refs(s)]
    if refs:
        graph_backend(get_backend(workspace, pipeline.target)).cancel_graph(refs)
    for step in steps:
        store.update_status(step.run_id, "CancelRequested", detail="cancel requested by user")
    if not pipeline.is_terminal:
        store.update_status(pipeline.run_id, "CancelRequested", detail="canceled by user")
    return len(steps)
