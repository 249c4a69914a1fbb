"""Issue 9 items that involve Slurm, on the real local cluster (2 nodes, 4 CPUs and 4 fake GPUs each):
what cluster check learns and the warnings and queue explanations built on it (7), the failing
non-zero rank's traceback on --wait and in logs (12), true start times and durations (13), cancel
of a finished run (15), and cluster check's defaults and runtime advice (16).

Everything goes through the hpcest command line, in-process (CliRunner) or, for --wait that has to
be interrupted, as a real subprocess.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from hpc_estimator.backends import close_all
from hpc_estimator.cli import main
from hpc_estimator.cli.errors import EXIT_BAD_INPUT, EXIT_RUN_FAILED, EXIT_UNREACHABLE
from hpc_estimator.runs.store import utc_from_epoch
from hpc_estimator.testing import local_cluster as lc

ROOT = Path(__file__).resolve().parents[2]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def project(local_cluster: lc.LocalCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A workspace with one cluster profile, 'here', for the session cluster (no container)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HPCEST_WORKSPACE", raising=False)
    assert invoke("init", ".").exit_code == 0
    added = invoke("cluster", "add", "here", "--partition", local_cluster.partition, "--runtime", "none",
                   "--python", sys.executable, "--workdir", str(tmp_path / "work"),
                   "--gpus-per-node", str(local_cluster.gpus_per_node))
    assert added.exit_code == 0, added.output
    (tmp_path / "train.py").write_text(textwrap.dedent(
        """
        import os, sys, time
        rank = int(os.environ.get("RANK", os.environ.get("SLURM_PROCID", "0")))
        print("rank", rank, "on", os.environ.get("SLURMD_NODENAME"), flush=True)
        os.makedirs("outputs", exist_ok=True)
        open(f"outputs/started-{rank}", "w").close()
        if "--fail-rank" in sys.argv and rank == int(sys.argv[sys.argv.index("--fail-rank") + 1]):
            # Fail once rank 0 has printed its line: the failure stops the other ranks.
            deadline = time.time() + 30
            while not os.path.exists("outputs/started-0") and time.time() < deadline:
                time.sleep(0.05)
            raise ValueError(f"rank {rank} cannot go on")
        time.sleep(float(os.environ.get("SLEEP", "0")))
        """
    ))
    yield tmp_path
    close_all()


def _run_id(result: Result) -> str:
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("submitted run "))
    return line.split()[2]


def _wait_for(predicate, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


# -- 16: check without NAME, what it keeps, and which runtime works ---------------------------------


def test_cluster_check_defaults_to_the_only_cluster_and_keeps_what_it_learned(project: Path) -> None:
    result = invoke("cluster", "check")  # 'here' is the only cluster
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("cluster here: OK")
    facts = json.loads((project / ".hpcest" / "clusters" / "here.json").read_text())
    debug = facts["partitions"]["debug"]
    assert debug["nodes"] == 2 and debug["cpus_per_node"] == 4 and debug["gpus_per_node"] == 4 and debug["default"]


def test_cluster_check_says_which_runtime_works_here(project: Path) -> None:
    """The profile says apptainer (the default); this cluster has Charliecloud's ch-run only."""
    added = invoke("cluster", "add", "appt", "--partition", "debug")
    assert added.exit_code == 0 and "container runtime:  apptainer (default)" in added.stdout
    result = invoke("cluster", "check", "appt")
    assert result.exit_code == EXIT_RUN_FAILED
    assert "container_runtime = 'apptainer' but apptainer is not on PATH of the login node" in result.stdout
    assert 'ch-run (' in result.stdout and 'set container_runtime = "charliecloud" in [clusters.appt]' in result.stdout


def test_cluster_check_of_a_scheduler_that_does_not_answer_exits_4(project: Path, tmp_path: Path) -> None:
    added = invoke("cluster", "add", "gone", "--client-env", f"SLURM_CONF={tmp_path / 'no-such-slurm.conf'}")
    assert added.exit_code == 0, added.output
    result = invoke("cluster", "check", "gone")
    assert result.exit_code == EXIT_UNREACHABLE
    assert "sinfo failed" in result.stdout
    assert not (project / ".hpcest" / "clusters" / "gone.json").exists()


def _ctrl_c_as_at_a_terminal() -> None:
    """In the child before exec: SIGINT back to its default action, as for a command typed at a
    terminal. A shell without job control starts background commands (`nohup pytest &`, some CI
    runners) with SIGINT ignored, that is inherited through fork and exec, and Python then keeps
    ignoring it: Ctrl-C could not reach the command under test."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


# -- 7: more than the partition has: warned at submit, explained while queued ---------------------------


def test_too_many_nodes_warns_at_submit_and_is_explained_while_queued(project: Path) -> None:
    assert invoke("cluster", "check", "here").exit_code == 0
    dry = invoke("submit", "train.py", "--target", "here", "--nodes", "3", "--distribution", "mpi", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "the job asks for 3 nodes but partition 'debug' has 2" in dry.stderr
    assert "PartitionNodeLimit" in dry.stderr and "Use node_count <= 2" in dry.stderr
    cpus = invoke("submit", "train.py", "--target", "here", "--processes-per-node", "6", "--distribution", "mpi",
                  "--dry-run")
    assert "the job puts 6 rank(s) x 1 CPU(s) = 6 CPUs on one node but the nodes of partition 'debug' have 4" in (
        cpus.stderr)
    fits = invoke("submit", "train.py", "--target", "here", "--nodes", "2", "--distribution", "mpi", "--dry-run")
    assert "never start" not in fits.stderr

    submitted = invoke("submit", "train.py", "--target", "here", "--nodes", "3", "--distribution", "mpi")
    assert submitted.exit_code == 0, submitted.output
    assert "asks for 3 nodes but partition 'debug' has 2" in submitted.stderr
    run_id = _run_id(submitted)
    try:
        def explained() -> Result | None:
            status = invoke("status", run_id)
            return status if "will not start" in status.stderr else None

        status = _wait_for(explained)
        assert status is not None, invoke("status", run_id).output
        assert status.exit_code == 0  # still queued: nothing failed yet
        assert f"run {run_id} will not start as submitted (PartitionNodeLimit" in status.stderr
        assert f"cancel it (hpcest cancel {run_id})" in status.stderr and "hpcest cluster check here" in status.stderr

        # --wait says so too (once), and keeps waiting until interrupted.
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        # -X faulthandler: should Ctrl-C not stop it, SIGABRT makes it print where it is stuck.
        proc = subprocess.Popen([sys.executable, "-X", "faulthandler", "-m", "hpc_estimator", "submit", "train.py",
                                 "--target", "here",
                                 "--nodes", "3", "--distribution", "mpi", "--wait"], cwd=project, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                preexec_fn=_ctrl_c_as_at_a_terminal)
        seen = []
        deadline = time.monotonic() + 60
        assert proc.stderr is not None
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            seen.append(line)
            if "will not start" in line:
                break
        proc.send_signal(signal.SIGINT)
        try:
            _, rest = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)
            _, stack = proc.communicate(timeout=30)
            pytest.fail(f"submit --wait did not stop within 30 s of Ctrl-C; its stderr:\n{''.join(seen)}{stack}")
        assert any("will not start as submitted (PartitionNodeLimit" in s for s in seen), "".join(seen) + rest
        assert proc.returncode == 130 and "stopped waiting; the run goes on" in rest
    finally:
        for rec in json.loads(invoke("runs", "--json").stdout):
            if rec["status"] not in ("Completed", "Failed", "Canceled"):
                invoke("cancel", rec["run_id"])


# -- 12, 13, 15: a failing non-zero rank, true times, cancel of a finished run ------------------------


def test_failing_non_zero_rank_shows_its_traceback_and_names_the_option(project: Path) -> None:
    result = invoke("submit", "train.py", "--target", "here", "--nodes", "2", "--processes-per-node", "2",
                    "--distribution", "gloo", "--wait", "--", "--fail-rank", "3")
    assert result.exit_code == EXIT_RUN_FAILED, result.output
    run_id = _run_id(result)
    err = result.stderr
    assert "---- rank 3 (node2) exited with code 1: last lines of hpcest-logs/rank-3.log ----" in err
    assert "ValueError: rank 3 cannot go on" in err and 'raise ValueError(f"rank {rank} cannot go on")' in err
    assert f"---- all of it: hpcest logs {run_id} --rank 3 ----" in err
    assert "rank 0 on node1" in result.stdout  # rank 0 was streamed as it ran

    logs = invoke("logs", run_id)
    assert logs.exit_code == 0 and "rank 0 on node1" in logs.stdout
    assert "ValueError: rank 3 cannot go on" in logs.stderr
    assert "ValueError" in invoke("logs", run_id, "--rank", "3").stdout
    no_rank = invoke("logs", run_id, "--rank", "4")
    assert no_rank.exit_code == EXIT_BAD_INPUT and "has 4 rank(s) (0-3); there is no rank 4" in no_rank.stderr
    assert "srun: error: node2: task 3: Exited with exit code 1" in invoke("logs", run_id, "--batch").stdout

    cancel = invoke("cancel", run_id)
    assert cancel.exit_code == EXIT_BAD_INPUT and f"run {run_id} has already finished (Failed)" in cancel.stderr
    status = invoke("status", run_id)
    assert status.exit_code == EXIT_RUN_FAILED and f"hpcest logs {run_id}" in status.stderr


def test_a_job_whose_prologue_fails_shows_the_batch_log(project: Path, tmp_path: Path) -> None:
    added = invoke("cluster", "add", "broken", "--partition", "debug", "--runtime", "none", "--python", sys.executable,
                   "--workdir", str(tmp_path / "work"), "--prologue", "echo 'module: cuda/99 not found' >&2; exit 7")
    assert added.exit_code == 0, added.output
    result = invoke("submit", "train.py", "--target", "broken", "--wait")
    assert result.exit_code == EXIT_RUN_FAILED, result.output
    run_id = _run_id(result)
    assert "---- no rank started; the batch script's output: last lines of hpcest-logs/slurm-" in result.stderr
    assert "module: cuda/99 not found" in result.stderr and f"hpcest logs {run_id} --batch" in result.stderr
    logs = invoke("logs", run_id)
    assert logs.exit_code == 0 and "does not exist: no rank started" in logs.stderr


def test_started_comes_from_the_jobs_own_file_and_runs_show_durations(project: Path) -> None:
    result = CliRunner().invoke(main, ["submit", "train.py", "--target", "here", "--env", "SLEEP=2", "--wait"])
    assert result.exit_code == 0, result.output
    run_id = _run_id(result)
    (rec,) = [r for r in json.loads(invoke("runs", "--json").stdout) if r["run_id"] == run_id]
    started_file = Path(rec["run_dir"], "started_at").read_text().strip()
    assert rec["started"] == utc_from_epoch(int(started_file))
    assert 2.0 <= rec["duration_s"] < 60
    table = invoke("runs").stdout.splitlines()
    assert table[0].split()[-1] == "DURATION"
    row = next(line for line in table if line.startswith(run_id))
    assert row.split()[-1].endswith("s")
