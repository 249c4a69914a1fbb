"""compute_target="local" pipelines: the same steps, run on this machine in dependency order, no Slurm.

``LocalBackend.submit_graph`` stages the steps exactly as on a cluster (``<pipeline>/steps/<key>``),
writes ``graph.json`` and starts this module detached (its own session) as the pipeline's runner::

    python -m hpc_estimator.backends.local_graph <pipeline dir>/graph.json

The runner plays the part of Slurm's dependency handling: it starts a step's batch script (with
the srun stand-in first on PATH, as for a single local run) once every step it waits for has
completed successfully, runs independent steps side by side (at most ``HPCEST_LOCAL_PARALLEL`` at
once, default: the number of CPUs), and never starts a step whose upstream step failed or was
cancelled: it writes ``hpcest-skipped`` with the reason into that step's run directory, as Slurm
cancels a job whose dependency can never be satisfied. A pending step with a ``cancel_requested``
marker (``cancel_graph``) is skipped too; ``cancel_graph`` stops running steps' process groups
itself. SIGTERM to the runner stops every running step and skips the rest.

State, per step run directory: ``hpcest-local-pid`` (the batch shell, once started), the job's own
``started_at`` and ``exit_code``, ``hpcest-skipped``; ``poll_graph`` reads them.

Standard library only; the runner outlives the process that submitted the pipeline.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..job.state import JobState
from ..util.atomic import write_atomic
from .base import SCRIPT_NAME
from .status import StatusUpdate, from_exit_code, parse_exit_file

GRAPH_FILE = "graph.json"
PID_FILE = "hpcest-local-pid"
SKIPPED_FILE = "hpcest-skipped"
RUNNER_LOG = "runner.log"
TICK_S = 0.2


def read_if_present(path: Path) -> str | None:
    """The file's text, or None when it (or its directory) is not there (yet)."""
    try:
        return path.read_text()
    except (FileNotFoundError, NotADirectoryError):
        return None


def pid_runs(pid: int, needle: str) -> bool:
    """True if process ``pid`` is alive (not a zombie) and ``needle`` is one of its arguments."""
    for _attempt in range(50):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return False
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmdline = fh.read()
        except (FileNotFoundError, ProcessLookupError, IndexError, PermissionError):
            return False
        if cmdline:
            return os.fsencode(needle) in cmdline.split(b"\0")
        # An empty command line: the process is in the middle of exec. Look again shortly.
        time.sleep(0.005)
    return False


# -- the runner --------------------------------------------------------------------------------


class Runner:
    def __init__(self, graph: dict[str, Any]) -> None:
        self.steps: list[dict[str, Any]] = graph["steps"]
        self.by_key = {s["key"]: s for s in self.steps}
        self.state = {s["key"]: "pending" for s in self.steps}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.parallel = max(1, int(os.environ.get("HPCEST_LOCAL_PARALLEL") or os.cpu_count() or 1))
        self.stopping = False

    def _stop(self, *_: Any) -> None:
        self.stopping = True

    def _skip(self, key: str, reason: str) -> None:
        write_atomic(Path(self.by_key[key]["run_dir"], SKIPPED_FILE), (reason + "\n").encode())
        self.state[key] = "skipped"

    def _start(self, key: str) -> None:
        step = self.by_key[key]
        run_dir = Path(step["run_dir"])
        with open(run_dir / "hpcest-logs" / "batch.out", "ab") as out:
            proc = subprocess.Popen(
                ["bash", step["script"]],
                cwd=run_dir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        write_atomic(run_dir / PID_FILE, f"{proc.pid}\n".encode())
        self.procs[key] = proc
        self.state[key] = "running"

    def _reap(self) -> None:
        for key, proc in list(self.procs.items()):
            if proc.poll() is None:
                continue
            del self.procs[key]
            code = parse_exit_file(read_if_present(Path(self.by_key[key]["run_dir"], "exit_code")))
            self.state[key] = "ok" if (code if code is not None else proc.returncode) == 0 else "failed"

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._stop)
        while True:
            self._reap()
            if self.stopping:
                for proc in self.procs.values():
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGTERM)
                for key, state in self.state.items():
                    if state == "pending":
                        self._skip(key, "canceled before it started")
                deadline = time.monotonic() + 30
                while self.procs and time.monotonic() < deadline:
                    time.sleep(TICK_S)
                    self._reap()
                return 0
            for step in self.steps:
                key = step["key"]
                if self.state[key] != "pending":
                    continue
                blocked = [u for u in step["after"] if self.state[u] in ("failed", "skipped")]
                if Path(step["run_dir"], "cancel_requested").exists():
                    self._skip(key, "canceled before it started")
                elif blocked:
                    names = ", ".join(self.by_key[u]["name"] for u in blocked)
                    self._skip(key, f"not started: upstream step {names} did not complete")
                elif all(self.state[u] == "ok" for u in step["after"]) and len(self.procs) < self.parallel:
                    self._start(key)
            if not self.procs and "pending" not in self.state.values():
                return 0
            time.sleep(TICK_S)


# -- the backend side ----------------------------------------------------------------------------


def graph_document(pipeline_dir: str, steps: Sequence[Any]) -> str:
    """graph.json: each step's key, name, run directory, batch script and the keys it waits for."""
    from .graph import step_run_dir

    rows = []
    for step in steps:
        run_dir = step_run_dir(pipeline_dir, step.key)
        rows.append(
            {"key": step.key, "name": step.name or step.key, "run_dir": run_dir,
             "script": os.path.join(run_dir, SCRIPT_NAME), "after": list(step.after)}
        )
    return json.dumps({"steps": rows}, indent=1)


def poll_step(job_id: str, run_dir: str) -> StatusUpdate:
    """One local pipeline step's state from its run directory and its runner (``job_id`` = runner pid)."""
    path = Path(run_dir)
    graph = str(path.parent.parent / GRAPH_FILE)
    cancel = (path / "cancel_requested").exists()
    code = parse_exit_file(read_if_present(path / "exit_code"))
    if code is not None:
        return from_exit_code(code, cancel)
    skipped = read_if_present(path / SKIPPED_FILE)
    if skipped is not None:
        return StatusUpdate(JobState.CANCELED, skipped.strip())
    pid_text = (read_if_present(path / PID_FILE) or "").strip()
    if pid_text.isdigit() and pid_runs(int(pid_text), str(path / SCRIPT_NAME)):
        return StatusUpdate(JobState.RUNNING if (path / "started_at").exists() else JobState.STARTING)
    runner_alive = job_id.isdigit() and pid_runs(int(job_id), graph)
    code = parse_exit_file(read_if_present(path / "exit_code"))  # it may have ended between the looks
    if code is not None:
        return from_exit_code(code, cancel)
    if runner_alive:
        return StatusUpdate(JobState.QUEUED, "waiting for the steps it depends on")
    if cancel:
        return StatusUpdate(JobState.CANCELED, "canceled by user")
    return StatusUpdate(JobState.FAILED, "the local pipeline runner ended before this step finished (killed?)")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m hpc_estimator.backends.local_graph <pipeline dir>/graph.json", file=sys.stderr)
        return 2
    return Runner(json.loads(Path(argv[0]).read_text())).run()


if __name__ == "__main__":  # pragma: no cover - run as the detached runner
    sys.exit(main(sys.argv[1:]))
