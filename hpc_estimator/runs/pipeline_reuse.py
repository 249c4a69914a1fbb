"""allow_reuse: a content key per pipeline step, and the earlier step run it may stand in for.

A step's key is a hash of everything that decides what it computes: its snapshot (the manifest
digest of its source_directory: paths, contents, executable bits), what it runs (command, script,
arguments with their tokens, parameter values), its software (image, packages, interpreter,
environment variables, container use), its input definitions (names, modes, datastore paths) with
the keys of the steps whose outputs it reads, the keys of the steps it runs after, its resource
counts (nodes, distribution, GPUs, VM size and priority, time limit), its ``version``, and the
compute target. A step whose key equals a Completed step run's in the workspace's run store is
not submitted: its outputs are used where that run wrote them. A step only stands in when every
step it depends on does too (an upstream step that runs again writes new data). ``allow_reuse=False``
and ``regenerate_outputs=True`` always run.

The key's parts are kept per part, so a step that runs can say what changed since the last
run of a step of that name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from ..v1.pipeline.resolved import ResolvedStep
from .store import RunRecord, RunStore

KEY_SCHEME = 1
# Part name -> what it is called when it changed.
PART_NAMES = {
    "snapshot": "a file in source_directory",
    "command": "the command or its arguments",
    "software": "the image, packages or environment variables",
    "inputs": "the inputs",
    "upstream": "an upstream step",
    "resources": "the resources (nodes, processes, GPUs, VM size)",
    "version": "version",
    "target": "the compute target",
}


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def content_parts(
    step: ResolvedStep, *, snapshot: str, upstream_keys: Mapping[int, str], target: str
) -> dict[str, str]:
    """The key's parts, each a hash (``upstream_keys``: step index -> content key of the steps it reads/follows)."""
    run = asdict(step.run)
    parts = {
        "snapshot": _digest(snapshot),
        "command": _digest(
            [run["config_kind"], run["script"], run["arguments"], run["interpreter"], step.parameters, step.step_type]
        ),
        "software": _digest(
            [run[k] for k in ("image", "packages", "use_docker", "shm_size", "environment_variables", "gpu")]
        ),
        "inputs": _digest(
            [
                run["inputs"],
                [[i.name, i.mode, i.path_on_compute, i.output] for i in step.inputs],
                [o.name for o in step.outputs],
            ]
        ),
        "upstream": _digest(
            [[upstream_keys[i.producer] for i in step.inputs], [upstream_keys[a] for a in step.after]]
        ),
        "resources": _digest(
            [run["node_count"], run["distribution"], run["vm_size"], run["vm_priority"], run["time_limit_s"]]
        ),
        "version": _digest(step.version),
        "target": _digest(target),
    }
    if step.sweep is not None:
        # A HyperDriveStep: what it sweeps and what it hands on (not its notes, nor the trial: above;
        # nor policy_config_json, v1's JSON of the same policy as ``policy``: the keys of steps that
        # ran before the sweep carried it stay the same).
        excluded = ("trial", "notes", "policy_config_json")
        sweep = {k: v for k, v in asdict(step.sweep).items() if k not in excluded}
        parts["sweep"] = _digest([sweep, [[o.name, o.training_output, o.model_file] for o in step.outputs]])
    return parts


def content_key(parts: Mapping[str, str]) -> str:
    return _digest([KEY_SCHEME, sorted(parts.items())])


class CompletedSteps:
    """The completed step runs of the run store, read once per plan and indexed by content key and
    by step name, each list newest first (as the store lists runs)."""

    def __init__(self, records: Sequence[RunRecord]) -> None:
        self.by_key: dict[str, list[RunRecord]] = {}
        self.by_name: dict[str, list[RunRecord]] = {}
        for record in records:
            key = record.properties.get("content_key")
            if isinstance(key, str):
                self.by_key.setdefault(key, []).append(record)
            if record.name is not None:
                self.by_name.setdefault(record.name, []).append(record)

    @classmethod
    def load(cls, store: RunStore) -> CompletedSteps:
        return cls(store.list(status="Completed", kind="step"))


def find_reusable(completed: CompletedSteps, key: str, target: str) -> RunRecord | None:
    """The newest Completed step run with ``key`` on ``target`` whose outputs are recorded."""
    for record in completed.by_key.get(key, ()):
        if record.target == target and isinstance(record.properties.get("outputs"), dict):
            return record
    return None


def what_changed(completed: CompletedSteps, experiment: str, name: str, parts: Mapping[str, str]) -> str:
    """Why a step with these key parts is not reused, compared with the last completed run of a step of
    that name (in ``experiment`` if it has one, else in any experiment)."""
    # stable: newest first within each group
    named = sorted(completed.by_name.get(name, ()), key=lambda r: r.experiment != experiment)
    for record in named:
        before = record.properties.get("content_parts")
        if not isinstance(before, dict):
            continue
        origin = record.properties.get("reused_run_id") or record.run_id
        changed = [PART_NAMES[p] for p in PART_NAMES if before.get(p) != parts.get(p)]
        if changed:
            return f"changed since run {origin}: {', '.join(changed)}"
        return f"same content as run {origin}, whose outputs are not recorded"
    return f"no earlier completed run of step {name!r}"
