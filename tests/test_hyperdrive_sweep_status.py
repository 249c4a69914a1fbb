"""A standalone sweep's submission, verdict and cancel against a stand-in scheduler, without a cluster.

The scheduler is a stand-in ``sbatch``/``squeue``/``scancel`` on PATH that answers what a test
wrote (the format is the one :func:`hpc_estimator.slurm.squeue_argv` asks for) and logs what it
was asked; everything else is real: the run store, the local transport, the graph submit script,
the sweep directory and the trials' files. The rule under test for status is "terminal only on
evidence": a verdict that rests on an inferred trial or controller stays correctable, and a sweep
whose controller is gone still gets a verdict once its trials have theirs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hpc_estimator.backends import close_all
from hpc_estimator.runs.sweep import refresh_sweep as _refresh_sweep
from hpc_estimator.runs.workspace import Workspace
from hpc_estimator.slurm.commands import FIELD_SEP
from hpc_estimator.sweep import files
from hpc_estimator.transport.local import LocalTransport

FAKE_SQUEUE = """#!/bin/sh
if [ -s "$HPCEST_FAKE/squeue.out" ]; then cat "$HPCEST_FAKE/squeue.out"; exit 0; fi
echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1
"""
FAKE_SBATCH = """#!/bin/sh
n=$(cat "$HPCEST_FAKE/sbatch.count" 2>/dev/null || echo 0); n=$((n+1)); echo "$n" > "$HPCEST_FAKE/sbatch.count"
echo "$*" >> "$HPCEST_FAKE/sbatch.log"
if [ "$n" = "$(cat "$HPCEST_FAKE/sbatch.fail_at" 2>/dev/null)" ]; then
  echo "sbatch: error: QOSMaxSubmitJobPerUserLimit" >&2; exit 1
fi
echo "$((700 + n));cluster"
"""
FAKE_SCANCEL = """#!/bin/sh
echo "$*" >> "$HPCEST_FAKE/scancel.log"
if [ -f "$HPCEST_FAKE/scancel.fail" ]; then echo "scancel: error: Unable to contact slurm controller" >&2; exit 1; fi
exit 0
"""


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return install_stand_in_scheduler(tmp_path, monkeypatch)


def install_stand_in_scheduler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """sbatch/squeue/scancel stand-ins first on PATH, answering and logging under ``tmp_path``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("squeue", FAKE_SQUEUE), ("scancel", FAKE_SCANCEL), ("sbatch", FAKE_SBATCH)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("HPCEST_FAKE", str(tmp_path))
    return tmp_path


@pytest.fixture
def workspace(tmp_path: Path, fake: Path) -> Iterator[Workspace]:
    ws = Workspace.create(tmp_path / "ws", name="sweep-status")
    ws.add_profile("cluster", {"transport": "local", "workdir": str(tmp_path / "work"), "container_runtime": "none",
                               "status_grace_seconds": 0, "max_array_size": 2})
    yield ws
    close_all()
    ws.close()


def refresh_sweep(workspace, sweep_id):
    """One poll of the sweep, then its record (the poll itself returns what went unanswered)."""
    _refresh_sweep(workspace, sweep_id)
    return workspace.run_store.get(sweep_id)


def listed(fake: Path, *jobs: tuple[str, str]) -> None:
    """What squeue lists from now on: (job id, state) pairs."""
    lines = [FIELD_SEP.join((job, job.split("_")[0], state, "None", "n1", "x")) for job, state in jobs]
    (fake / "squeue.out").write_text("".join(line + "\n" for line in lines))


def make_sweep(ws: Workspace, root: Path, *, trials: int, planned: int, controller: str | None) -> tuple[str, Path]:
    sweep_dir = root / "sweep"
    sweep_dir.mkdir()
    lines = "".join(files.trial_record(i, f"40_{i}", {"lr": i}, ["--lr", str(i)]) for i in range(trials))
    (sweep_dir / files.TRIALS_FILE).write_text(lines)
    ws.run_store.create_run(
        "exp", "cluster", "slurm", run_id="exp_1_s", remote_dir=str(sweep_dir), kind="sweep", status="Queued",
        properties={"controller_job": controller, "array_jobs": ["40"] if trials else [],
                    "hyperdrive": {"max_total_runs": planned}},
    )
    ws.run_store.set_job_id("exp_1_s", controller or "40", remote_dir=str(sweep_dir))
    return "exp_1_s", sweep_dir


def trial_files(sweep_dir: Path, index: int, exit_code: int | None = None) -> None:
    d = Path(files.trial_dir(str(sweep_dir), index))
    d.mkdir(parents=True, exist_ok=True)
    (d / "started_at").write_text("1\n")
    if exit_code is not None:
        (d / "exit_code").write_text(f"{exit_code}\n")


def test_a_sweep_failed_on_lost_trials_is_corrected_by_their_exit_codes(
    workspace: Workspace, fake: Path, tmp_path: Path
) -> None:
    sweep_id, sweep_dir = make_sweep(workspace, tmp_path, trials=2, planned=2, controller=None)
    for i in range(2):
        trial_files(sweep_dir, i)  # started, then neither listed nor finished (a filesystem hiccup)
    listed(fake)
    refresh_sweep(workspace, sweep_id)  # first unseen
    sweep = refresh_sweep(workspace, sweep_id)  # past the (zero) grace: declared lost
    assert (sweep.status, sweep.inferred) == ("Failed", True), sweep
    for i in range(2):
        trial_files(sweep_dir, i, exit_code=0)  # the files were there after all
    sweep = refresh_sweep(workspace, sweep_id)
    children = workspace.run_store.children(sweep_id)
    assert [(c.status, c.inferred) for c in children] == [("Completed", False)] * 2
    assert (sweep.status, sweep.inferred) == ("Completed", False), sweep
    # Settled on evidence: final, and not polled again.
    (fake / "squeue.out").unlink()
    assert refresh_sweep(workspace, sweep_id).status == "Completed"


def test_a_controller_that_ended_before_it_started_does_not_freeze_running_trials(
    workspace: Workspace, fake: Path, tmp_path: Path
) -> None:
    sweep_id, sweep_dir = make_sweep(workspace, tmp_path, trials=2, planned=2, controller="50")
    trial_files(sweep_dir, 0, exit_code=0)
    trial_files(sweep_dir, 1)
    listed(fake, ("50", "FAILED"), ("40_1", "RUNNING"))
    sweep = refresh_sweep(workspace, sweep_id)
    # A trial still runs: the sweep is not settled while it does.
    assert sweep.status == "Running", sweep
    trial_files(sweep_dir, 1, exit_code=0)
    listed(fake, ("50", "FAILED"))
    sweep = refresh_sweep(workspace, sweep_id)
    assert [c.status for c in workspace.run_store.children(sweep_id)] == ["Completed", "Completed"]
    assert sweep.status == "Failed" and not sweep.inferred, sweep
    assert sweep.status_detail == "the controller job 50 ended (FAILED) before it started; 2 of 2 trial(s) ran"


def test_a_bayesian_sweep_whose_controller_died_gets_a_verdict(
    workspace: Workspace, fake: Path, tmp_path: Path
) -> None:
    sweep_id, sweep_dir = make_sweep(workspace, tmp_path, trials=2, planned=4, controller="50")
    (sweep_dir / files.CONTROLLER_FILE).write_text(json.dumps({"state": "running", "trials": 2}))
    for i in range(2):
        trial_files(sweep_dir, i, exit_code=0)
    listed(fake, ("50", "OUT_OF_MEMORY"))
    sweep = refresh_sweep(workspace, sweep_id)
    assert sweep.status == "Failed" and not sweep.inferred, sweep
    assert sweep.status_detail == (
        "the controller job 50 ended (OUT_OF_MEMORY) before the sweep finished; 2 of 4 trial(s) ran"
    )


def test_a_controller_no_longer_listed_fails_the_sweep_only_after_the_grace_and_correctably(
    workspace: Workspace, fake: Path, tmp_path: Path
) -> None:
    sweep_id, sweep_dir = make_sweep(workspace, tmp_path, trials=2, planned=4, controller="50")
    (sweep_dir / files.CONTROLLER_FILE).write_text(json.dumps({"state": "running", "trials": 2}))
    for i in range(2):
        trial_files(sweep_dir, i, exit_code=0)
    listed(fake)
    assert not refresh_sweep(workspace, sweep_id).is_terminal  # first time unseen: no verdict
    sweep = refresh_sweep(workspace, sweep_id)
    assert (sweep.status, sweep.inferred) == ("Failed", True), sweep
    assert "not listed by the scheduler" in (sweep.status_detail or "")
    # The controller was alive after all and finished the sweep: the verdict is corrected.
    (sweep_dir / files.CONTROLLER_FILE).write_text(json.dumps({"state": "done", "trials": 2}))
    sweep = refresh_sweep(workspace, sweep_id)
    assert (sweep.status, sweep.inferred) == ("Completed", False), sweep


# -- cancel ---------------------------------------------------------------------------------------


def bayesian_trials_on_the_cluster(sweep_dir: Path) -> None:
    """What a Bayesian controller left: trial 0 finished, 1 running (array 71), 2 pending (array 72,
    no directory yet); the client has recorded none of them."""
    (sweep_dir / files.TRIALS_FILE).write_text(
        files.trial_record(0, "71_0", {"lr": 0.1}, ["--lr", "0.1"])
        + files.trial_record(1, "71_1", {"lr": 0.2}, ["--lr", "0.2"])
        + files.trial_record(2, "72_0", {"lr": 0.3}, ["--lr", "0.3"])
    )
    trial_files(sweep_dir, 0, exit_code=0)
    trial_files(sweep_dir, 1)


def scancels(fake: Path) -> list[str]:
    log = fake / "scancel.log"
    return log.read_text().splitlines() if log.exists() else []


def assert_trials_marked(sweep_dir: Path) -> None:
    marked = [(Path(files.trial_dir(str(sweep_dir), i)) / files.CANCEL_FILE).exists() for i in range(3)]
    assert marked == [False, True, True]  # the finished trial is left alone
    assert (sweep_dir / files.CANCEL_FILE).exists()


def test_cancel_reaches_the_arrays_the_controller_submitted(workspace: Workspace, fake: Path, tmp_path: Path) -> None:
    from hpc_estimator.runs.sweep import cancel_sweep

    sweep_id, sweep_dir = make_sweep(workspace, tmp_path, trials=0, planned=6, controller="50")
    bayesian_trials_on_the_cluster(sweep_dir)
    cancel_sweep(workspace, sweep_id)
    # The controller first (it submits nothing more), then every open trial, in one more scancel.
    assert scancels(fake) == ["50", "71_1 72_0"]
    assert_trials_marked(sweep_dir)
    assert workspace.run_store.get(sweep_id).status == "CancelRequested"


def _step(ws: Workspace, sweep_dir: Path) -> str:
    ws.run_store.create_run(
        "exp", "cluster", "slurm", run_id="exp_1_p_step0", remote_dir=str(sweep_dir), kind="step", status="Running",
        properties={"controller_job": "50", "array_jobs": [], "hyperdrive": {"max_total_runs": 6}},
    )
    ws.run_store.set_job_id("exp_1_p_step0", "60", remote_dir=str(sweep_dir))
    return "exp_1_p_step0"


def test_the_pipeline_cancel_marks_and_cancels_a_bayesian_steps_trials(
    workspace: Workspace, fake: Path, tmp_path: Path
) -> None:
    """cancel_pipeline and the failure rules cancel a step through sweep_refs and cancel_graph."""
    from hpc_estimator.backends import get_backend
    from hpc_estimator.backends.graph import graph_backend
    from hpc_estimator.runs.pipeline_sweep import sweep_refs

    sweep_dir = tmp_path / "with space"
    sweep_dir.mkdir()
    step_id = _step(workspace, sweep_dir)
    bayesian_trials_on_the_cluster(sweep_dir)
    graph_backend(get_backend(workspace, "cluster")).cancel_graph(sweep_refs(workspace.run_store.get(step_id)))
    assert scancels(fake) == ["60 50", "71_1 72_0"]
    assert_trials_marked(sweep_dir)


def test_cancel_of_a_step_is_the_same_one_command(workspace: Workspace, fake: Path, tmp_path: Path) -> None:
    from hpc_estimator.runs.sweep import cancel_sweep

    sweep_dir = tmp_path / "step"
    sweep_dir.mkdir()
    step_id = _step(workspace, sweep_dir)
    bayesian_trials_on_the_cluster(sweep_dir)
    cancel_sweep(workspace, step_id)
    assert scancels(fake) == ["60 50", "71_1 72_0"]
    assert_trials_marked(sweep_dir)


def test_the_cancel_script_reads_trials_jsonl_as_trial_record_writes_it(tmp_path: Path) -> None:
    """The shell parse of trials.jsonl and the writer agree, hostile parameter values included."""
    import subprocess

    from hpc_estimator.backends.slurm_graph import cancel_argv

    (tmp_path / files.TRIALS_FILE).write_text(
        files.trial_record(12, "345_6", {"x": '", "job_id": "9'}, ["--x", "a\nb"]) + '{"index": 1, "job_i'
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "scancel").write_text('#!/bin/sh\necho "$*" >> "$0.log"\n')
    (bin_dir / "scancel").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(cancel_argv([str(tmp_path)], [], [str(tmp_path)]), check=True, env=env)
    assert (bin_dir / "scancel.log").read_text() == "345_6\n"
    assert (tmp_path / "trials" / "12" / files.CANCEL_FILE).exists()


def test_a_cancel_the_scheduler_refused_is_not_recorded_and_says_why(
    workspace: Workspace, fake: Path, tmp_path: Path
) -> None:
    from hpc_estimator import Experiment
    from hpc_estimator.errors import TrainingException
    from hpc_estimator.runs.sweep_run import HyperDriveRun

    sweep_id, _ = make_sweep(workspace, tmp_path, trials=2, planned=2, controller="50")
    (fake / "scancel.fail").write_text("")
    run = HyperDriveRun(Experiment(workspace, "exp"), sweep_id)
    with pytest.raises(TrainingException, match=r"cancelling HyperDrive run.*Unable to contact slurm controller"):
        run.cancel()
    assert workspace.run_store.get(sweep_id).status == "Queued"  # not CancelRequested: nothing was canceled
    (fake / "scancel.fail").unlink()
    assert run.cancel() is True  # v1: True when the cancel was taken
    assert workspace.run_store.get(sweep_id).status == "CancelRequested"


def test_the_controller_retries_a_refused_cancel_before_it_ends(fake: Path, tmp_path: Path) -> None:
    from hpc_estimator.sweep.controller import Controller
    from hpc_estimator.transport.local import LocalTransport

    sweep_dir = tmp_path / "sweep"
    sweep_dir.mkdir()
    plan = {"sampling": "GridSearch", "policy": {"name": "Default"}, "deadline": 0, "max_duration_minutes": 1,
            "primary_metric_name": "acc", "primary_metric_goal": "maximize", "trial_count": 1, "max_total_runs": 1,
            "max_concurrent_runs": 1, "max_array_size": 10}
    (sweep_dir / files.SWEEP_FILE).write_text(json.dumps(plan))
    (sweep_dir / files.TRIALS_FILE).write_text(files.trial_record(0, "40_0", {"lr": 1}, ["--lr", "1"]))
    listed(fake, ("40_0", "RUNNING"))
    (fake / "scancel.fail").write_text("")
    ctl = Controller.load(sweep_dir, LocalTransport())
    # Past the deadline: the cancel is refused, so the deadline is not taken as handled.
    assert ctl.tick() is False and not ctl._deadline_hit
    (sweep_dir / files.CANCEL_FILE).write_text("")
    assert ctl.tick() is False  # the user's cancel, refused too: the controller stays to try again
    assert json.loads((sweep_dir / files.CONTROLLER_FILE).read_text())["state"] == "running"
    (fake / "scancel.fail").unlink()
    assert ctl.tick() is True
    assert json.loads((sweep_dir / files.CONTROLLER_FILE).read_text())["state"] == "canceled"
    assert scancels(fake) == ["40_0"] * 3
    assert len(files.parse_lines((sweep_dir / files.STOPS_FILE).read_text())) == 1  # recorded once


# -- submission -----------------------------------------------------------------------------------


class CountingTransport(LocalTransport):
    """The local transport, counting the commands it runs."""

    def __init__(self) -> None:
        super().__init__()
        self.commands: list[list[str]] = []

    def run(self, argv, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        self.commands.append(list(argv))
        return super().run(argv, *args, **kwargs)


def _submit_random(workspace: Workspace, tmp_path: Path, trials: int):  # type: ignore[no-untyped-def]
    import warnings

    from hpc_estimator import (
        Experiment,
        HyperDriveConfig,
        PrimaryMetricGoal,
        RandomParameterSampling,
        ScriptRunConfig,
        uniform,
    )
    from hpc_estimator.backends import get_backend

    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "train.py").write_text("print('hi')\n")
    transport = CountingTransport()
    get_backend(workspace, "cluster").transport = transport  # type: ignore[attr-defined]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = HyperDriveConfig(
            run_config=ScriptRunConfig(str(src), script="train.py", compute_target="cluster"),
            hyperparameter_sampling=RandomParameterSampling({"lr": uniform(0, 1)}, properties={"seed": 3}),
            primary_metric_name="acc", primary_metric_goal=PrimaryMetricGoal.MAXIMIZE, max_total_runs=trials,
            max_concurrent_runs=2,
        )
        return transport, lambda: Experiment(workspace, "exp").submit(config)


def test_a_sweep_is_submitted_in_one_command_after_staging(workspace: Workspace, fake: Path, tmp_path: Path) -> None:
    transport, submit = _submit_random(workspace, tmp_path, trials=5)
    run = submit()
    sweep_dir = Path(run.record.remote_dir or "")
    # MaxArraySize 2: three chunks, each after the previous one ended, in one command.
    sbatch = (fake / "sbatch.log").read_text().splitlines()
    assert [next(a for a in line.split() if a.startswith("--array=")) for line in sbatch] == [
        "--array=0-1%2", "--array=0-1%2", "--array=0%2"]
    assert "--dependency=afterany:701" in sbatch[1] and "--dependency=afterany:702" in sbatch[2]
    sbatching = [c for c in transport.commands if "submit.sh" in " ".join(c)]
    assert len(sbatching) == 1
    assert transport.commands[-1] == sbatching[0]  # nothing after it: trials.jsonl was written by the script
    props = run.record.properties
    assert props["array_jobs"] == ["701", "702", "703"] and props["array_options"] == ["0-1%2", "0-1%2", "0%2"]
    assert props["sbatch_calls"] == 3 and props["controller_job"] is None
    on_cluster = files.parse_lines((sweep_dir / files.TRIALS_FILE).read_text())
    assert [t["job_id"] for t in on_cluster] == ["701_0", "701_1", "702_0", "702_1", "703_0"]
    children = sorted(workspace.run_store.children(run.id), key=lambda c: int(c.name or 0))
    assert [c.job_id for c in children] == [t["job_id"] for t in on_cluster]
    assert run.record.status == "Queued"


def test_a_submission_refused_part_way_cancels_and_records_what_was_queued(
    workspace: Workspace, fake: Path, tmp_path: Path
) -> None:
    from hpc_estimator.errors import SchedulerError

    (fake / "sbatch.fail_at").write_text("2\n")
    _, submit = _submit_random(workspace, tmp_path, trials=5)
    with pytest.raises(SchedulerError, match=r"sbatch refused the sweep at exp_\w+_a1 \(1 of 3 job\(s\) submitted\)"):
        submit()
    assert scancels(fake)[0] == "701"  # the chunk already queued would have run every trial untracked
    (sweep,) = workspace.run_store.list("exp", top_level=True)
    assert sweep.status == "Failed" and "QOSMaxSubmitJobPerUserLimit" in (sweep.status_detail or "")
    assert sweep.properties["submitted_before_failure"] == {f"{sweep.run_id}_a0": "701"}


def test_a_refusal_whose_text_contains_tar_is_reported_as_sbatchs(
    workspace: Workspace, fake: Path, tmp_path: Path
) -> None:
    """Told by the exit status of the command, not by "tar" in the error (here in restart, target)."""
    from hpc_estimator.errors import SchedulerError

    refusal = "ERROR: job rejected by the site submit filter: restart with a shorter --time or target 'long'"
    (fake / "bin" / "sbatch").write_text(f'#!/bin/sh\necho "{refusal}" >&2\nexit 1\n')
    _, submit = _submit_random(workspace, tmp_path, trials=5)
    with pytest.raises(SchedulerError, match=r"sbatch refused the sweep at exp_\w+_a0 \(0 of 3 job\(s\) submitted\)"):
        submit()


def test_sweep_files_that_could_not_be_written_are_reported_as_such_though_tar_names_job_sbatch(
    workspace: Workspace, fake: Path, tmp_path: Path
) -> None:
    from hpc_estimator.errors import TransportError

    transport, submit = _submit_random(workspace, tmp_path, trials=5)
    real_run = transport.run

    def blocking_the_batch_script(argv, *args, **kwargs):  # type: ignore[no-untyped-def]
        if "submit.sh" in " ".join(argv):
            (Path(argv[4]) / files.SCRIPT / "x").mkdir(parents=True, exist_ok=True)  # tar cannot write it
        return real_run(argv, *args, **kwargs)

    transport.run = blocking_the_batch_script  # type: ignore[method-assign]
    with pytest.raises(TransportError, match=r"cannot write the sweep files into .*job\.sbatch"):
        submit()
    assert not (fake / "sbatch.log").exists()


def test_a_policy_stop_whose_scancel_was_refused_is_killed_later(fake: Path, tmp_path: Path) -> None:
    """A stopped trial with no job step yet is scancelled at once; refused, it is not taken as killed."""
    from hpc_estimator.sweep.controller import Controller

    sweep_dir = tmp_path / "sweep"
    sweep_dir.mkdir()
    trials = {0: {"index": 0, "job_id": "40_0"}}
    (fake / "squeue.out").write_text("\n")  # squeue --steps answers: no step
    (fake / "scancel.fail").write_text("")
    ctl = Controller(sweep_dir=sweep_dir, transport=LocalTransport(), kill_grace_s=0)
    ctl._stopped[0] = 0.0
    ctl._signal_ranks(0, "40_0")
    assert 0 not in ctl._killed
    ctl._finish_kills(trials)
    assert 0 not in ctl._killed  # still refused: tried again on the next tick
    (fake / "scancel.fail").unlink()
    ctl._finish_kills(trials)
    assert 0 in ctl._killed and scancels(fake) == ["40_0"] * 3
