"""A single run whose submit reply is lost: its job is queued once and never recorded Failed while it
may be queued.

Protects: the submit command records the job id (or sbatch's refusal, or that it started) in the run
directory; a reply lost once is asked for again without a second sbatch; a cluster that stays
unreachable leaves the run NotResponding ("submission unknown", with the squeue command to check),
not Failed, and the first status poll once the cluster answers finds the job by its recorded id;
only a command that never reached sbatch, a refusal by sbatch, or a command provably gone before it
queued anything (killed with its sbatch on the login node) is Failed, and a submit asked again after
such a kill queues the job once; canceling a run in
doubt cancels by name and the job found later by its id; ``hpcest submit`` says so and exits 4.

The scheduler is a stand-in ``sbatch``/``squeue``/``scancel`` on PATH (as in
tests/test_hyperdrive_sweep_status.py); the run store, the local transport, the staging, the
generated batch script and submit command and the files they leave are real. The transport is a
link to the login node that a test can cut: just after the submit command ran (its reply is lost),
or just before it.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from hpc_estimator import ScriptRunConfig
from hpc_estimator.errors import SchedulerError, TransportError
from hpc_estimator.runs import submission
from hpc_estimator.runs.run import Run
from hpc_estimator.runs.workspace import Workspace
from hpc_estimator.slurm import parse_submit_outcomes, recorded_submit_argv, submission_lookup_argv
from hpc_estimator.slurm.commands import FIELD_SEP
from hpc_estimator.slurm.recorded_submit import SUBMIT_COMMAND_NAME
from hpc_estimator.transport.local import LocalTransport
from tests.cluster_workspace import cluster_workspace
from tests.test_hyperdrive_sweep_status import install_stand_in_scheduler


class Link:
    """The connection to the login node, as a test cuts it."""

    def __init__(self) -> None:
        self.up = True
        self.cut_after_submit = 0  # cut the link just after this many more submit commands ran
        self.cut_before_submit = False
        self.stay_down = True  # False: only the one reply is lost

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real_run = LocalTransport.run

        def run(transport: LocalTransport, argv: Sequence[str], **kwargs: Any) -> Any:
            submit = SUBMIT_COMMAND_NAME in argv and "submit" in argv
            if submit and self.cut_before_submit:
                self.up = False
            if not self.up:
                raise TransportError("ssh: connect to host login1 port 22: Connection timed out")
            result = real_run(transport, argv, **kwargs)
            if submit and self.cut_after_submit:
                self.cut_after_submit -= 1
                self.up = not self.stay_down
                raise TransportError("the SSH connection to login1:22 broke while running the submit command")
            return result

        monkeypatch.setattr(LocalTransport, "run", run)


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return install_stand_in_scheduler(tmp_path, monkeypatch)


@pytest.fixture
def workspace(tmp_path: Path, fake: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    monkeypatch.setattr(submission, "SUBMIT_PATIENCE_S", 0.0)  # one more try, then in doubt
    with cluster_workspace(tmp_path, "lost-reply") as ws:
        yield ws


@pytest.fixture
def link(monkeypatch: pytest.MonkeyPatch) -> Link:
    link = Link()
    link.install(monkeypatch)
    return link


def _submit(workspace: Workspace, tmp_path: Path, said: list[str]) -> Any:
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "train.py").write_text("print('training')\n")
    config = ScriptRunConfig(str(src), script="train.py", compute_target="cluster")
    return submission.submit(workspace, "exp", config, report=said.append)


def _sbatch_calls(fake: Path) -> list[str]:
    log = fake / "sbatch.log"
    return log.read_text().splitlines() if log.exists() else []


def _listed(fake: Path, run_id: str, job_id: str, state: str) -> None:
    """squeue (the stand-in) lists the job from now on."""
    (fake / "squeue.out").write_text(FIELD_SEP.join((job_id, job_id, state, "None", "", run_id)) + "\n")


def test_a_reply_lost_while_the_cluster_stays_down_leaves_the_run_in_doubt_until_a_poll_finds_its_job(
    workspace, fake, link, tmp_path
) -> None:
    link.cut_after_submit = 1
    said: list[str] = []
    record = _submit(workspace, tmp_path, said)
    assert (record.status, record.job_id) == ("NotResponding", None)  # not Failed: the job may be queued
    assert "submission unknown" in (record.status_detail or "")
    assert f"squeue --name={record.run_id}" in (record.status_detail or "")
    assert "recorded NotResponding, not Failed" in said[-1] and f"squeue --name={record.run_id}" in said[-1]
    assert "Failed" not in [h.status for h in workspace.run_store.history(record.run_id)]
    assert (Path(record.remote_dir) / "job_id").read_text() == "701\n"  # what the submit command left
    run = Run.get(workspace, record.run_id)
    with pytest.raises(TransportError):  # still unreachable: nothing is decided
        run.get_status()
    assert workspace.run_store.get(record.run_id).status == "NotResponding"
    link.up = True
    _listed(fake, record.run_id, "701", "PENDING")
    assert run.get_status() == "Queued"
    assert workspace.run_store.get(record.run_id).job_id == "701"
    assert len(_sbatch_calls(fake)) == 1


def test_a_reply_lost_once_is_asked_for_again_and_the_job_is_queued_once(workspace, fake, link, tmp_path) -> None:
    link.cut_after_submit, link.stay_down = 1, False
    record = _submit(workspace, tmp_path, [])
    assert (record.status, record.job_id) == ("Queued", "701")
    assert len(_sbatch_calls(fake)) == 1  # the repeated command read the recorded id: not submitted twice


def test_a_submit_command_that_never_reached_the_cluster_is_failed_once_the_cluster_answers(
    workspace, fake, link, tmp_path
) -> None:
    link.cut_before_submit = True
    record = _submit(workspace, tmp_path, [])
    assert record.status == "NotResponding"  # from here it cannot be told whether the command ran
    link.up, link.cut_before_submit = True, False
    assert Run.get(workspace, record.run_id).get_status() == "Failed"
    detail = workspace.run_store.get(record.run_id).status_detail or ""
    assert "no submit command ever ran" in detail and "nothing was queued" in detail
    assert _sbatch_calls(fake) == []


def test_a_refusal_whose_reply_was_lost_is_failed_with_sbatchs_words(workspace, fake, link, tmp_path) -> None:
    (fake / "sbatch.fail_at").write_text("1\n")
    link.cut_after_submit, link.stay_down = 1, False
    with pytest.raises(SchedulerError, match="QOSMaxSubmitJobPerUserLimit"):
        _submit(workspace, tmp_path, [])
    (record,) = workspace.run_store.list()
    assert record.status == "Failed" and "QOSMaxSubmitJobPerUserLimit" in (record.status_detail or "")
    assert len(_sbatch_calls(fake)) == 1  # the refusal was read back, not asked of sbatch again


def test_canceling_a_run_in_doubt_cancels_by_name_and_the_job_found_later_by_its_id(
    workspace, fake, link, tmp_path
) -> None:
    link.cut_after_submit = 1
    record = _submit(workspace, tmp_path, [])
    link.up = True
    run = Run.get(workspace, record.run_id)
    run.cancel()
    assert workspace.run_store.get(record.run_id).status == "CancelRequested"
    _listed(fake, record.run_id, "701", "CANCELLED")
    assert run.get_status() == "Canceled"
    canceled = (fake / "scancel.log").read_text().split()
    assert f"--name={record.run_id}" in canceled and "701" in canceled


def test_an_interrupt_while_the_submit_command_runs_leaves_the_run_in_doubt(
    workspace, fake, monkeypatch, tmp_path
) -> None:
    real_run = LocalTransport.run

    def interrupted(transport: LocalTransport, argv: Sequence[str], **kwargs: Any) -> Any:
        result = real_run(transport, argv, **kwargs)
        if SUBMIT_COMMAND_NAME in argv and "submit" in argv:
            raise KeyboardInterrupt
        return result

    monkeypatch.setattr(LocalTransport, "run", interrupted)
    said: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        _submit(workspace, tmp_path, said)
    (record,) = workspace.run_store.list()
    assert record.status == "NotResponding" and "interrupted" in said[-1]
    monkeypatch.setattr(LocalTransport, "run", real_run)
    _listed(fake, record.run_id, "701", "RUNNING")
    assert Run.get(workspace, record.run_id).get_status() == "Running"


def test_hpcest_submit_says_the_submission_is_unknown_and_exits_4(workspace, fake, link, tmp_path, capsys) -> None:
    from hpc_estimator.cli.submit import submit_and_report

    link.cut_after_submit = 1
    src = tmp_path / "src"
    src.mkdir()
    (src / "train.py").write_text("print('training')\n")
    config = ScriptRunConfig(str(src), script="train.py", compute_target="cluster")
    with pytest.raises(SystemExit) as exited:
        submit_and_report(workspace, config, "exp", None, wait=False, as_json=False)
    assert exited.value.code == 4
    out, err = capsys.readouterr()
    (record,) = workspace.run_store.list()
    assert f"run {record.run_id} on cluster: submission unknown, its job may be queued" in out
    assert f"squeue --name={record.run_id}" in err and "not Failed" in err


# -- the submit command itself, through sh -----------------------------------------------------


def _sh(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def test_the_submit_command_run_again_answers_from_what_the_first_left(fake, tmp_path) -> None:
    run_dir = tmp_path / "runs" / "r_1"
    run_dir.mkdir(parents=True)
    argv = recorded_submit_argv("r_1", str(run_dir), str(run_dir / "job.sbatch"), extra=[f"--chdir={run_dir}"])
    first = parse_submit_outcomes(_sh(argv).stdout)["r_1"]
    again = parse_submit_outcomes(_sh(argv).stdout)["r_1"]
    assert (first.how, first.job_id) == ("submitted", "701")
    assert (again.how, again.job_id) == ("recorded", "701")
    assert _sbatch_calls(fake) == [f"--parsable --chdir={run_dir} {run_dir}/job.sbatch"]


def test_a_lookup_tells_never_refused_found_and_unknown_apart_and_submits_nothing(fake, tmp_path) -> None:
    dirs = {name: tmp_path / name for name in ("never", "refused", "found", "unknown", "recorded")}
    for d in dirs.values():
        d.mkdir()
    (dirs["refused"] / "submitting").write_text("1\n")
    (dirs["refused"] / "submit_refused").write_text("sbatch: error: Batch job submission failed:\nInvalid account\n")
    (dirs["found"] / "submitting").write_text("1\n")
    # Started a minute ago on another login node: from here it cannot be seen whether it still runs.
    (dirs["unknown"] / "submitting").write_text(f"{int(time.time()) - 60} 4242 login2.elsewhere\n")
    (dirs["recorded"] / "job_id").write_text("812\n")
    (fake / "squeue.out").write_text(f"found{FIELD_SEP}733\nother{FIELD_SEP}734\n")
    out = parse_submit_outcomes(_sh(submission_lookup_argv([(n, str(d)) for n, d in dirs.items()])).stdout)
    assert {n: (o.how, o.job_id) for n, o in out.items()} == {
        "never": ("never", None), "refused": ("refused", None), "found": ("found", "733"),
        "unknown": ("unknown", None), "recorded": ("recorded", "812"),
    }  # fmt: skip
    assert out["refused"].why == "sbatch: error: Batch job submission failed: Invalid account"
    assert "squeue lists no job named unknown" in out["unknown"].why
    assert (dirs["found"] / "job_id").read_text() == "733\n"  # found by name: recorded for next time
    assert _sbatch_calls(fake) == []


def test_the_batch_log_of_a_run_in_doubt_says_the_job_id_comes_first(
    workspace, fake, link, tmp_path, monkeypatch
) -> None:
    """Slurm names the batch log after the job id: without one, `hpcest logs --batch` says so (and what
    settles it) instead of looking for slurm-None.out."""
    from click.testing import CliRunner

    from hpc_estimator.cli import main

    link.cut_after_submit = 1
    record = _submit(workspace, tmp_path, [])
    monkeypatch.chdir(workspace.path)
    monkeypatch.delenv("HPCEST_WORKSPACE", raising=False)
    result = CliRunner().invoke(main, ["logs", record.run_id, "--batch"])
    assert result.exit_code == 2
    assert f"run {record.run_id} has no Slurm job id yet (NotResponding: submission unknown" in result.output
    assert f"`hpcest status {record.run_id}` asks the cluster for it first" in result.output
    assert "slurm-None" not in result.output


# -- a submit command that is gone: killed before sbatch queued anything ----------------------------


def _marker(run_dir: Path, *, age_s: int = 5, pid: int | None = None, host: str | None = None) -> None:
    """The ``submitting`` marker as the submit command writes it: start time, its pid, its host."""
    pid = _dead_pid() if pid is None else pid
    host = os.uname().nodename if host is None else host
    (run_dir / "submitting").write_text(f"{int(time.time()) - age_s} {pid} {host}\n")


def _dead_pid() -> int:
    done = subprocess.run(["sh", "-c", "echo $$"], capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_a_submit_command_gone_before_queueing_anything_is_told_apart_from_one_that_may_still_queue(
    fake, tmp_path
) -> None:
    """``never`` only when nothing can still queue the job: on the command's host neither it nor any
    process naming the run directory runs, squeue lists no job of its name and no job wrote there;
    from another host, once the command started longer ago than sbatch could still be retrying."""
    names = ("killed", "running", "orphan", "ran", "elsewhere_old", "elsewhere_recent", "listed")
    dirs = {name: tmp_path / name for name in names}
    for d in dirs.values():
        d.mkdir()
    holding: list[subprocess.Popen[bytes]] = []
    try:
        # Still running: the submit command's own process (its $0 is hpcest-submit).
        command = subprocess.Popen(["sh", "-c", "sleep 60; :", SUBMIT_COMMAND_NAME, "submit", "running"])
        holding.append(command)
        _marker(dirs["running"], pid=command.pid)
        # The command was killed but the sbatch it started still runs (its arguments name the directory).
        orphan = subprocess.Popen(["sh", "-c", "sleep 60; :", "sbatch", f"--chdir={dirs['orphan']}"])
        holding.append(orphan)
        _marker(dirs["orphan"])
        _marker(dirs["killed"])
        _marker(dirs["ran"])
        (dirs["ran"] / "started_at").write_text("1\n")  # a job did run: it was queued after all
        _marker(dirs["elsewhere_old"], age_s=2 * 3600, pid=4242, host="login2.elsewhere")
        _marker(dirs["elsewhere_recent"], age_s=600, pid=4242, host="login2.elsewhere")
        _marker(dirs["listed"])
        (fake / "squeue.out").write_text(f"listed{FIELD_SEP}744\n")
        out = parse_submit_outcomes(_sh(submission_lookup_argv([(n, str(d)) for n, d in dirs.items()])).stdout)
    finally:
        for process in holding:
            process.kill()
            process.wait()
    assert {n: o.how for n, o in out.items()} == {
        "killed": "never", "running": "unknown", "orphan": "unknown", "ran": "unknown",
        "elsewhere_old": "never", "elsewhere_recent": "unknown", "listed": "found",
    }  # fmt: skip
    assert "no process there runs it" in out["killed"].why and "nothing was queued" in out["killed"].why
    assert "longer than sbatch retries" in out["elsewhere_old"].why
    assert _sbatch_calls(fake) == []


def test_how_long_another_host_s_command_is_given_is_the_lookup_s_to_say(fake, tmp_path) -> None:
    run_dir = tmp_path / "r_2"
    run_dir.mkdir()
    _marker(run_dir, age_s=120, pid=4242, host="login2.elsewhere")
    _others_listed(fake)
    lookup = [("r_2", str(run_dir))]
    assert parse_submit_outcomes(_sh(submission_lookup_argv(lookup)).stdout)["r_2"].how == "unknown"
    assert parse_submit_outcomes(_sh(submission_lookup_argv(lookup, lost_after_s=60)).stdout)["r_2"].how == "never"


# The stand-in sbatch is killed with its submit command on its first call, before it queued anything
# (as when the login node's OOM killer or an admin ends the user's processes); later calls queue.
_KILLED_FIRST_SBATCH = """#!/bin/sh
n=$(cat "$HPCEST_FAKE/sbatch.count" 2>/dev/null || echo 0); n=$((n+1)); echo "$n" > "$HPCEST_FAKE/sbatch.count"
echo "$*" >> "$HPCEST_FAKE/sbatch.log"
for last; do :; done
if [ "$n" = 1 ]; then read -r t pid host < "$(dirname "$last")/submitting"; kill -9 "$pid"; exit 137; fi
echo "$((700 + n));cluster"
"""


def _kill_the_first_submit_command(fake: Path) -> None:
    (fake / "bin" / "sbatch").write_text(_KILLED_FIRST_SBATCH)
    _others_listed(fake)


def _others_listed(fake: Path) -> None:
    """squeue answers, listing only other users' jobs (the stand-in fails when it has nothing to list)."""
    (fake / "squeue.out").write_text(FIELD_SEP.join(("690", "690", "RUNNING", "None", "", "someone_else")) + "\n")


def test_a_submit_command_killed_before_queueing_is_run_again_and_queues_the_job_once(
    workspace, fake, tmp_path
) -> None:
    _kill_the_first_submit_command(fake)
    record = _submit(workspace, tmp_path, [])
    assert (record.status, record.job_id) == ("Queued", "702")
    assert len(_sbatch_calls(fake)) == 2  # the first sbatch was killed before it queued anything


def test_a_run_in_doubt_whose_command_was_killed_is_failed_once_the_cluster_answers(
    workspace, fake, link, tmp_path
) -> None:
    """Not NotResponding for ever: wait_for_completion ends, and the detail says to submit again."""
    _kill_the_first_submit_command(fake)
    link.cut_after_submit = 1
    record = _submit(workspace, tmp_path, [])
    assert record.status == "NotResponding"  # the link broke: from here nothing can be told
    link.up = True
    run = Run.get(workspace, record.run_id)
    with pytest.raises(Exception, match="submit it again"):
        run.wait_for_completion(show_output=False)
    after = workspace.run_store.get(record.run_id)
    assert after.status == "Failed" and "nothing was queued" in (after.status_detail or "")
    assert len(_sbatch_calls(fake)) == 1  # a poll submits nothing
