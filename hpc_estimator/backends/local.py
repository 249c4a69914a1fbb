"""compute_target="local": the same batch script, run on this machine without Slurm.

The script is started detached (its own session) under bash, with a directory first on PATH
whose ``srun`` is :mod:`hpc_estimator.backends.local_srun`. So the job runs exactly the code Slurm would
run: same rank set-up, same container command, same exit-code file. The job id is the PID of
the batch shell; status comes from the exit-code file the job writes and from /proc.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..cluster.profile import ClusterProfile
from ..errors import ConfigError, SchedulerError
from ..job.spec import JobSpec
from ..job.state import JobState
from ..transport.base import Progress
from ..transport.local import LocalTransport
from ..util.atomic import write_atomic
from .base import SCRIPT_NAME, JobRef, Report, Submitted, fetch_image_here, prepare_run_dir
from .local_graph import pid_runs, read_if_present
from .status import StatusUpdate, from_exit_code, parse_exit_file

if TYPE_CHECKING:
    from .graph import GraphSubmission, GraphSubmitted

# The stand-in is run by its file path, not with -m: the job sets its own PYTHONPATH, and the
# file must be this installation's, whichever hpc_estimator that PYTHONPATH would find.
_SRUN_SHIM = """#!/bin/sh
# hpcest local backend: run job steps as local processes (see hpc_estimator/backends/local_srun.py).
exec {python} {script} "$@"
"""
_LOCAL_SRUN = Path(__file__).with_name("local_srun.py")


def _pid_is_our_job(pid: int, run_dir: str) -> bool:
    """True if ``pid`` is alive and is the batch shell of this run (never act on a reused PID)."""
    return pid_runs(pid, posixpath.join(run_dir, SCRIPT_NAME))


class LocalBackend:
    name = "local"

    def __init__(self, runs_root: Path, cas_root: Path) -> None:
        self.runs_root = runs_root.resolve()
        self.cas_root = cas_root.resolve()
        # The srun stand-in runs hpc_estimator.backends.local_srun, so it needs the Python that has hpcest
        # (the profile's ``python`` is what runs the training script, which may be another one).
        self.python = sys.executable
        self.transport = LocalTransport()
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self.runtime_note: str | None = None

    def resolved_profile(self, profile: ClusterProfile) -> ClusterProfile:
        profile, self.runtime_note = profile.with_runtime_detected(shutil.which)
        return profile.with_home(os.path.expanduser("~"))

    def run_dir_for(self, run_id: str) -> str:
        return str(self.runs_root / run_id)

    def snapshot_store(self) -> tuple[str, str]:
        return str(self.cas_root), str(self.runs_root)

    def image_store(self) -> None:
        return None  # this machine's jobs are its own processes: no scheduler says which runs still need theirs

    def active_workdirs(self) -> frozenset[str]:
        # Never an empty answer: "nothing is in use" would be a verdict nobody asked anyone for.
        raise SchedulerError("the local target has no scheduler to say which runs are still in use")

    def _shim_dir(self) -> Path:
        shim_dir = self.runs_root.parent / "local-bin"
        shim = shim_dir / "srun"
        text = _SRUN_SHIM.format(python=shlex.quote(self.python), script=shlex.quote(str(_LOCAL_SRUN)))
        if not shim.exists() or shim.read_text() != text:
            # Several submitting processes may get here at once: each writes its own temporary
            # file and renames it into place, so every reader sees a whole script.
            write_atomic(shim, text.encode(), 0o755)
        return shim_dir

    def provide_image(self, spec: JobSpec, *, report: Report | None = None) -> str | None:
        fetch_image_here(self.transport, spec, report=report)  # "login" and "build-job" are here alike
        return None

    def submit(
        self,
        run_id: str,
        spec: JobSpec,
        script: str,
        source_directory: str,
        *,
        progress: Progress | None = None,
        after: Sequence[str] = (),
    ) -> Submitted:
        run_dir = self.run_dir_for(run_id)
        stats = prepare_run_dir(
            self.transport, run_dir, str(self.cas_root), spec, script, source_directory, progress=progress
        )
        script_path = posixpath.join(run_dir, SCRIPT_NAME)
        env = self._job_env()
        with open(Path(run_dir, "hpcest-logs", "batch.out"), "ab") as out:
            proc = subprocess.Popen(
                ["bash", script_path],
                cwd=run_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._children[str(proc.pid)] = proc
        return Submitted(
            job_id=str(proc.pid), run_dir=run_dir, files_sent=stats.files_sent, bytes_sent=stats.bytes_sent
        )

    def poll(self, jobs: Sequence[JobRef]) -> dict[str, StatusUpdate]:
        updates: dict[str, StatusUpdate] = {}
        for job in jobs:
            child = self._children.get(job.job_id)
            run_dir = Path(job.run_dir)
            cancel = (run_dir / "cancel_requested").exists()
            code = parse_exit_file(read_if_present(run_dir / "exit_code"))
            if child is not None:
                # Our own child: its Popen object knows (and reaps it, so no zombie lingers).
                alive = code is None and child.poll() is None
            else:
                alive = code is None and _pid_is_our_job(int(job.job_id), job.run_dir)
            if code is None and not alive:
                # The job may have written its exit code and ended between the two looks.
                code = parse_exit_file(read_if_present(run_dir / "exit_code"))
            if code is not None:
                updates[job.key] = from_exit_code(code, cancel)
            elif alive:
                started = (run_dir / "started_at").exists()
                updates[job.key] = StatusUpdate(JobState.RUNNING if started else JobState.STARTING)
            elif cancel:
                updates[job.key] = StatusUpdate(JobState.CANCELED, "canceled by user")
            else:
                updates[job.key] = StatusUpdate(
                    JobState.FAILED, "the local job process ended without writing its exit code (killed?)"
                )
        return updates

    def cancel(self, job: JobRef) -> None:
        Path(job.run_dir, "cancel_requested").write_text("1\n")
        pid = int(job.job_id)
        if _pid_is_our_job(pid, job.run_dir):
            # The batch shell leads its own session: signal the whole group, ranks included.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)

    def close(self) -> None:
        self.transport.close()


    # -- pipelines (hpc_estimator.backends.local_graph) ----------------------------------------

    def _job_env(self) -> dict[str, str]:
        """The environment of a local job: the srun stand-in first on PATH, and no SLURM_* variables
        (a job started from inside a Slurm allocation must not think it is one)."""
        env = dict(os.environ)
        env["PATH"] = f"{self._shim_dir()}{os.pathsep}{env.get('PATH', '')}"
        env["HPCEST_MASTER_ADDR"] = "127.0.0.1"
        for key in [k for k in env if k.startswith("SLURM_") and k != "SLURM_CONF"]:
            del env[key]
        return env

    def submit_graph(self, submission: GraphSubmission, *, progress: Progress | None = None) -> GraphSubmitted:
        """Stage the steps as on a cluster and start the detached runner that runs them in order."""
        from . import graph, local_graph

        missing = [d for d in submission.require_dirs if not os.path.isdir(d)]
        if missing:
            raise graph.missing_data_error(missing)
        if not submission.steps:
            return graph.GraphSubmitted(job_ids={})
        with_side_jobs = [s.name or s.key for s in submission.steps if s.side_jobs]
        if with_side_jobs:
            # Submission refuses these earlier (HyperDrive steps need a cluster); never run half a step.
            raise ConfigError(f"steps {', '.join(with_side_jobs)} need a Slurm cluster (job arrays); not run locally")
        pipeline_dir = submission.pipeline_dir
        stats = graph.stage_steps(self.transport, submission, str(self.cas_root), progress=progress)
        document = local_graph.graph_document(pipeline_dir, submission.steps)
        archive = graph.job_files(submission, {local_graph.GRAPH_FILE: (document, 0o644)})
        argv = graph.write_files_command(pipeline_dir, graph.submission_umask(submission))
        result = self.transport.run(argv, stdin=archive)
        graph.check_written(result, pipeline_dir)
        env = self._job_env()
        # The runner must run this very hpc_estimator (a checkout, not whatever is installed).
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        with open(Path(pipeline_dir, local_graph.RUNNER_LOG), "ab") as out:
            proc = subprocess.Popen(
                [self.python, "-m", "hpc_estimator.backends.local_graph",
                 os.path.join(pipeline_dir, local_graph.GRAPH_FILE)],
                cwd=pipeline_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._children[str(proc.pid)] = proc
        return graph.GraphSubmitted(
            job_ids={step.key: str(proc.pid) for step in submission.steps},
            files_sent=stats.files_sent if stats else 0,
            bytes_sent=stats.bytes_sent if stats else 0,
        )

    def poll_graph(self, jobs: Sequence[JobRef]) -> dict[str, StatusUpdate]:
        from .local_graph import poll_step

        for child in self._children.values():
            child.poll()  # reap a finished runner, so it is not mistaken for a live one
        return {job.key: poll_step(job.job_id, job.run_dir) for job in jobs}

    def recorded_job_ids(self, submission: GraphSubmission) -> dict[str, str]:
        """Nothing to find: the runner is started last, by this process, so a submission that did not
        return started no step."""
        return {}

    def cancel_graph(self, jobs: Sequence[JobRef]) -> None:
        """Cancel these steps: a running one's process group is stopped, a pending one is never started
        (the runner reads the cancel marker); the runner goes on with the other steps."""
        from .local_graph import PID_FILE

        for job in jobs:
            run_dir = Path(job.run_dir)
            (run_dir / "cancel_requested").write_text("1\n")
            pid = (read_if_present(run_dir / PID_FILE) or "").strip()
            if pid.isdigit() and pid_runs(int(pid), str(run_dir / SCRIPT_NAME)):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(int(pid), signal.SIGTERM)
