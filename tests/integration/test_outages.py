"""What a real site does to a run, on a real Slurm cluster of its own (MinJobAge=5, no accounting).

slurmctld stops and comes back while a run is waited on; SSH drops for half a minute; a job is
requeued; jobs end by time limit or scancel and are purged before anyone asks; a job edits its
snapshot; a site prologue reads unset variables; an image arrives as a tarball and is converted on
the login node at submission. In each case the status is terminal only on evidence, nothing is
lost, and no run changes another's files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from hpc_estimator import Estimator, Experiment, Run, Workspace
from hpc_estimator.backends import close_all
from hpc_estimator.errors import SchedulerError, TransportError
from hpc_estimator.runs.run import refresh_status
from hpc_estimator.testing import local_cluster as lc
from hpc_estimator.testing.ch_image import build_test_image, ch_run_missing_reason

from .conftest import cluster_unavailable

SLEEP = (
    "import sys, time\nprint('started', flush=True)\n"
    "time.sleep(float(sys.argv[sys.argv.index('--seconds') + 1]))\nprint('slept', flush=True)\n"
)


@pytest.fixture(scope="module")
def site() -> Iterator[lc.LocalCluster]:
    """A cluster of this module's own: outages here must not disturb the session cluster."""
    problems = lc.missing_requirements(ssh=True)
    if problems:
        cluster_unavailable("; ".join(problems))
    state = Path(tempfile.mkdtemp(prefix="hpcest-outage-"))
    cluster = lc.start(state, nodes=2, min_job_age=5)
    try:
        yield cluster
    finally:
        close_all()
        lc.stop(cluster)
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="module")
def ws(site: lc.LocalCluster) -> Iterator[Workspace]:
    assert site.ssh is not None
    root = Path(tempfile.mkdtemp(prefix="hpcest-outage-ws-"))
    workspace = Workspace.create(root, name="outages")
    common = {
        "workdir": str(root / "work"),
        "partition": site.partition,
        "container_runtime": "none",
        "python": sys.executable,
        "status_grace_seconds": 30,
        "client_env": {"SLURM_CONF": site.env["SLURM_CONF"]},
    }
    workspace.add_profile("site", {"transport": "local", **common})
    workspace.add_profile("site-ssh", {"transport": "ssh", "host": site.ssh.alias,
                                       "ssh_config": str(site.ssh.ssh_config), **common})  # fmt: skip
    src = root / "project"
    src.mkdir()
    (src / "sleep.py").write_text(SLEEP)
    try:
        yield workspace
    finally:
        close_all()
        workspace.close()
        shutil.rmtree(root, ignore_errors=True)


def _src(ws: Workspace) -> str:
    return str(ws.path / "project")


def _submit(ws: Workspace, target: str, script: str = "sleep.py", seconds: float | None = None,
            source: str | None = None, **kwargs: object) -> Run:  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params = {"--seconds": seconds} if seconds is not None else {}
        est = Estimator(source or _src(ws), compute_target=target, entry_script=script, script_params=params,
                        **kwargs)  # fmt: skip
        return Experiment(ws, "outages").submit(est)


def _until(what: str, check, timeout: float = 120.0, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def _squeue_lists(site: lc.LocalCluster, job_id: str) -> bool:
    out = subprocess.run(["squeue", "--noheader", "-j", job_id, "-o", "%i"], capture_output=True, text=True,
                         env=site.client_env())  # fmt: skip
    return job_id in out.stdout.split()


def _squeue_state(site: lc.LocalCluster, job_id: str) -> str:
    out = subprocess.run(["squeue", "--noheader", "-j", job_id, "-o", "%T"], capture_output=True, text=True,
                         env=site.client_env())  # fmt: skip
    return out.stdout.strip()


def _job_log(site: lc.LocalCluster, job_id: str) -> str:
    """What the cluster's daemons logged about one job, for a failure message."""
    lines = []
    for log in sorted((site.state_dir / "log").glob("*.log")):
        lines += [f"{log.name}: {line}" for line in log.read_text(errors="replace").splitlines()
                  if re.search(rf"(JobId={job_id}|job {job_id}|StepId={job_id}\.\d+)\b", line)]  # fmt: skip
    return "\n".join(lines[-40:])


def _nodes_completing(site: lc.LocalCluster) -> bool:
    out = subprocess.run(["sinfo", "--noheader", "-N", "-o", "%T"], capture_output=True, text=True,
                         env=site.client_env())  # fmt: skip
    return any(state.startswith("comp") for state in out.stdout.split())


def _begin_now(site: lc.LocalCluster, job_id: str) -> bool:
    result = subprocess.run(["scontrol", "update", f"JobId={job_id}", "StartTime=now"], capture_output=True,
                            text=True, env=site.client_env())  # fmt: skip
    return result.returncode == 0


def _wait_through(run: Run, outage) -> dict:
    """wait_for_completion() while ``outage`` runs in another thread, as a site's outage would."""
    thread = threading.Thread(target=outage)
    thread.start()
    try:
        return run.wait_for_completion(raise_on_error=False)
    finally:
        thread.join()


def _running(run: Run) -> bool:
    return run.get_status() == "Running"


# --------------------------------------------------------------------------- scheduler outage


def test_slurmctld_outage_during_a_wait_is_not_a_failure(site, ws, capfd) -> None:
    """Before: the run turned Failed ('the scheduler no longer knows the job') and the wait ended.
    After: the wait says once that contact is lost and once that it is back, `hpcest runs`
    during the outage keeps the run Running, and the run ends Completed."""
    run = _submit(ws, "site", seconds=60)
    _until("the run to start", lambda: _running(run))
    seen_during: dict[str, object] = {}

    def outage() -> None:
        lc.stop_controller(site)
        try:
            time.sleep(3)
            other = Run.get(ws, run.id)
            refresh = refresh_status(ws, [other.record])
            seen_during["status"] = Run.get(ws, run.id).status
            seen_during["unknown"] = refresh.unknown.get(run.id)
            hpcest = [sys.executable, "-c", "from hpc_estimator.cli import main; main()"]
            cli = subprocess.run([*hpcest, "runs"], cwd=ws.path, capture_output=True, text=True, timeout=120)
            seen_during["cli"] = cli.stdout + cli.stderr
            seen_during["job_still_running"] = not (Path(run.record.remote_dir or "") / "exit_code").exists()
            time.sleep(5)
        finally:
            lc.start_controller(site)

    details = _wait_through(run, outage)
    assert details["status"] == "Completed", details
    assert seen_during["status"] == "Running" and seen_during["job_still_running"]
    assert "slurm" in str(seen_during["unknown"]).lower() or "controller" in str(seen_during["unknown"]).lower()
    rows = [line for line in str(seen_during["cli"]).splitlines() if run.id in line]
    assert rows, seen_during["cli"]
    row = rows[0]
    assert "Running" in row and "Failed" not in row
    err = capfd.readouterr().err
    assert err.count("contact lost while waiting for") == 1, err
    assert err.count("contact back after") == 1, err
    assert "Failed" not in [change.status for change in ws.run_store.history(run.id)]


def test_ssh_outage_during_a_wait_reconnects(site, ws, capfd) -> None:
    """SSH away for ~20 s (sshd and its sessions killed): the wait backs off, reconnects, completes."""
    run = _submit(ws, "site-ssh", seconds=30)
    _until("the run to start", lambda: _running(run))

    def outage() -> None:
        lc.cut_ssh(site)
        try:
            time.sleep(20)
        finally:
            lc.restore_ssh(site)

    details = _wait_through(run, outage)
    assert details["status"] == "Completed", details
    err = capfd.readouterr().err
    assert err.count("contact lost while waiting for") == 1 and "cannot reach 'site-ssh'" in err, err
    assert err.count("contact back after") == 1, err


# --------------------------------------------------------------------------- ends nobody watched


def test_time_limit_and_scancel_are_told_apart_after_the_jobs_are_purged(site, ws) -> None:
    """No accounting, MinJobAge=5: when the client first asks, Slurm has forgotten both jobs. The
    job's own files say which one reached its time limit and which one was cancelled."""
    limited = _submit(ws, "site", seconds=600, max_run_duration_seconds=60)
    cancelled = _submit(ws, "site", seconds=600)
    _until("both runs to start", lambda: _running(limited) and _running(cancelled))
    job_id = cancelled.record.job_id or ""
    subprocess.run(["scancel", job_id], check=True, env=site.client_env())  # as a user or admin would
    _until("Slurm to purge both jobs",
           lambda: not _squeue_lists(site, job_id) and not _squeue_lists(site, limited.record.job_id or ""),
           timeout=240, every=2)  # fmt: skip
    assert Run.get(ws, limited.id).get_status() == "Failed"
    assert "time limit" in (Run.get(ws, limited.id).record.status_detail or "")
    assert Run.get(ws, cancelled.id).get_status() == "Canceled"


def test_a_requeued_job_keeps_its_first_attempts_logs_and_starts_clean(site, ws) -> None:
    """scontrol requeue (node failure, preemption): the second attempt's exit code decides, and
    the first attempt's rank log stays readable under hpcest-logs/attempt-1/."""
    src = ws.path / "requeue"
    src.mkdir()
    (src / "attempt.py").write_text(textwrap.dedent(
        """
        import os, sys, time
        restarts = int(os.environ.get("SLURM_RESTART_COUNT", "0"))
        print("attempt", restarts + 1, flush=True)
        if restarts == 0:
            time.sleep(600)  # requeued before it ends
            sys.exit(9)
        """
    ))  # fmt: skip
    # v1's low-priority VMs could be pre-empted and the run restarted: such jobs are requeue-able.
    run = _submit(ws, "site", script="attempt.py", source=str(src), vm_priority="lowpriority")
    _until("the first attempt to start", lambda: _running(run))
    rank_log = Path(run.record.remote_dir or "") / "hpcest-logs" / "rank-0.log"
    _until("the first attempt's output", lambda: rank_log.is_file() and "attempt 1" in rank_log.read_text())
    job_id = run.record.job_id or ""
    subprocess.run(["scontrol", "requeue", job_id], check=True, env=site.client_env())
    requeued_at = int(time.time())
    # Slurm holds a requeued job back (BeginTime, ~2 min) so the node can finish the first attempt's
    # clean-up; start it as soon as that is over instead, never earlier: the node must have finished
    # the first attempt, and slurmd refuses ("Job credential revoked") a credential issued in the
    # same second as the revocation or before (whole seconds), so wait for a later second too.
    _until("the job to be pending again", lambda: _squeue_state(site, job_id) == "PENDING")
    _until("the node to finish the first attempt", lambda: not _nodes_completing(site), timeout=60)
    _until("a second after the revocation", lambda: time.time() >= requeued_at + 2)
    assert _begin_now(site, job_id)
    details = run.wait_for_completion(raise_on_error=False)
    if details["status"] != "Completed":
        history = [(h.status, h.detail) for h in ws.run_store.history(run.id)]
        pytest.fail(f"{details['status']}: {history}\n{_job_log(site, job_id)}")
    run_dir = Path(run.record.remote_dir or "")
    assert "attempt 2" in (run_dir / "hpcest-logs" / "rank-0.log").read_text()
    assert "attempt 1" in (run_dir / "hpcest-logs" / "attempt-1" / "rank-0.log").read_text()
    assert (run_dir / "exit_code").read_text().strip() == "0"


# --------------------------------------------------------------------------- files


def test_a_job_that_edits_its_snapshot_changes_no_other_run(site, ws) -> None:
    """v1 jobs could write to their working directory; here each run's src/ is its own copy, and
    the shared content store stays as it was."""
    src = ws.path / "mutating"
    src.mkdir()
    (src / "config.json").write_text('{"lr": 0.1}\n')
    (src / "edit.py").write_text(textwrap.dedent(
        """
        import json, os
        seen = json.load(open("config.json"))
        with open("config.json", "w") as fh:
            json.dump({"lr": 99}, fh)
        open("new_file.txt", "w").write("made by the job")
        os.makedirs("outputs", exist_ok=True)
        json.dump(seen, open("outputs/seen.json", "w"))
        """
    ))  # fmt: skip
    first = _submit(ws, "site", script="edit.py", source=str(src))
    assert first.wait_for_completion(raise_on_error=False)["status"] == "Completed"
    second = _submit(ws, "site", script="edit.py", source=str(src))
    assert second.wait_for_completion(raise_on_error=False)["status"] == "Completed"
    for run in (first, second):
        seen = json.loads((Path(run.record.remote_dir or "") / "outputs" / "seen.json").read_text())
        assert seen == {"lr": 0.1}  # each run saw the snapshot as submitted
    assert not (src / "new_file.txt").exists()
    cas = Path(ws.get_profile("site").workdir) / "cas"
    for obj in cas.glob("??/*"):
        assert hashlib.sha256(obj.read_bytes()).hexdigest() == obj.name
        assert not obj.stat().st_mode & 0o222  # read-only


def test_site_prologue_with_unset_variables_and_pythonpath_prepend(site, ws) -> None:
    """A module-style prologue that reads unset variables does not trip the script's `set -u`, and
    hpcest's runtime is prepended to PYTHONPATH without dropping the site's (or adding '' when unset)."""
    src = ws.path / "prologue"
    src.mkdir()
    (src / "env.py").write_text(
        "import json, os, sys\nos.makedirs('outputs', exist_ok=True)\n"
        "json.dump({'pythonpath': os.environ.get('PYTHONPATH'), 'site': os.environ.get('SITE_LOADED')},"
        " open('outputs/env.json', 'w'))\n"
    )
    ws.add_profile("site-prologue", {
        "transport": "local", "workdir": str(ws.path / "work"), "partition": site.partition,
        "container_runtime": "none", "python": sys.executable, "client_env": {"SLURM_CONF": site.env["SLURM_CONF"]},
        "prologue": ['if [ -n "$MODULEPATH_UNSET_BY_SITE" ]; then :; fi', "export SITE_LOADED=${SITE_FLAG}yes"],
        "env": {"PYTHONPATH": "/opt/site/lib"},
    }, replace=True)  # fmt: skip
    run = _submit(ws, "site-prologue", script="env.py", source=str(src))
    details = run.wait_for_completion(raise_on_error=False)
    assert details["status"] == "Completed", details
    seen = json.loads((Path(run.record.remote_dir or "") / "outputs" / "env.json").read_text())
    assert seen["site"] == "yes"
    parts = seen["pythonpath"].split(":")
    assert parts[-1] == "/opt/site/lib" and parts[0].endswith(".hpcest/pylib") and "" not in parts


def test_a_rank_launch_during_a_slurmctld_outage_is_tried_again(site, ws) -> None:
    """srun needs slurmctld to create the job step; a launch that falls in a controller restart
    fails before any rank starts. The job launches again once the controller is back, and the run
    completes instead of failing with "Unable to confirm allocation"."""
    gate = ws.path / "launch-gate"
    ws.add_profile("site-gated", {
        "transport": "local", "workdir": str(ws.path / "work"), "partition": site.partition,
        "container_runtime": "none", "python": sys.executable, "client_env": {"SLURM_CONF": site.env["SLURM_CONF"]},
        # The batch script waits here until the test has stopped slurmctld: srun then runs in the outage.
        "prologue": [f"until [ -e {gate} ]; do sleep 0.2; done"],
    }, replace=True)  # fmt: skip
    run = _submit(ws, "site-gated", seconds=1)
    _until("the job to start", lambda: _running(run))
    lc.stop_controller(site)
    try:
        gate.touch()
        # srun retries the controller for about 10 s by itself; a longer outage makes it give up.
        time.sleep(25)
    finally:
        lc.start_controller(site)
    details = run.wait_for_completion(raise_on_error=False)
    batch = (Path(run.record.remote_dir or "") / "hpcest-logs" / f"slurm-{run.record.job_id}.out").read_text()
    assert details["status"] == "Completed", (details, batch)
    assert "srun could not reach slurmctld (launch 1); trying again once it answers" in batch, batch
    assert (Path(run.record.remote_dir or "") / "hpcest-logs" / "rank-0.log").read_text().count("started") == 1


# --------------------------------------------------------------------------- images


@pytest.fixture(scope="module")
def image_tarball(tmp_path_factory) -> Path:
    reason = ch_run_missing_reason()
    if reason:
        cluster_unavailable(f"ch-run: {reason}")
    image = build_test_image()
    tarball = tmp_path_factory.mktemp("images") / "site-python.tar.gz"
    subprocess.run(["tar", "-C", str(image), "-czf", str(tarball), "."], check=True)
    return tarball


def test_an_image_tarball_is_converted_on_the_login_node_at_submission(site, ws, image_tarball, capfd) -> None:
    """Compute nodes of most sites have no internet and no fakeroot: the image is made on the
    login node before the job is queued (reported as it goes), once; the job only checks it."""
    ws.add_profile("site-ch", {
        "transport": "local", "workdir": str(ws.path / "work"), "partition": site.partition,
        "container_runtime": "charliecloud", "python": sys.executable, "image_fetch": "login",
        "client_env": {"SLURM_CONF": site.env["SLURM_CONF"]},
    }, replace=True)  # fmt: skip
    src = ws.path / "in-image"
    src.mkdir()
    (src / "where.py").write_text("import sys\nprint('python', sys.version.split()[0], 'in', sys.prefix)\n")
    run = _submit(ws, "site-ch", script="where.py", source=str(src), custom_docker_image=str(image_tarball))
    cache = Path(ws.get_profile("site-ch").image_cache)
    converted = [p for p in cache.iterdir() if p.is_dir() and (p / "usr" / "bin" / "python3").exists()]
    assert len(converted) == 1  # there before the job could have started
    err = capfd.readouterr().err
    assert str(image_tarball) in err  # the fetch was reported
    details = run.wait_for_completion(raise_on_error=False)
    assert details["status"] == "Completed", details
    log = (Path(run.record.remote_dir or "") / "hpcest-logs" / "rank-0.log").read_text()
    assert "python 3." in log and "in /usr" in log  # the image's own interpreter
    again = _submit(ws, "site-ch", script="where.py", source=str(src), custom_docker_image=str(image_tarball))
    assert str(image_tarball) not in capfd.readouterr().err  # cached: nothing fetched the second time
    assert again.wait_for_completion(raise_on_error=False)["status"] == "Completed"


def _ch_profile(site: lc.LocalCluster, ws: Workspace, name: str) -> None:
    ws.add_profile(name, {
        "transport": "local", "workdir": str(ws.path / f"work-{name}"), "partition": site.partition,
        "container_runtime": "charliecloud", "python": sys.executable, "image_fetch": "login",
        "client_env": {"SLURM_CONF": site.env["SLURM_CONF"]},
    }, replace=True)  # fmt: skip


def _converted_images(ws: Workspace, profile: str) -> list[Path]:
    cache = Path(ws.get_profile(profile).image_cache)
    return [p for p in cache.iterdir() if p.is_dir() and (p / "usr" / "bin" / "python3").exists()]


def test_a_pipelines_image_is_provided_at_submission(site, ws, image_tarball, capfd) -> None:
    """A pipeline whose steps run a container image: the image is made on the login node once,
    before the first step is queued (a step that found it missing could only fail)."""
    from hpc_estimator import Pipeline, PipelineData, PythonScriptStep, RunConfiguration

    _ch_profile(site, ws, "site-ch-pipe")
    src = ws.path / "pipe-in-image"
    src.mkdir()
    (src / "make.py").write_text(
        "import os, sys\nout = sys.argv[sys.argv.index('--out') + 1]\nos.makedirs(out, exist_ok=True)\n"
        "open(os.path.join(out, 'prefix.txt'), 'w').write(sys.prefix)\n"
    )
    (src / "read.py").write_text(
        "import sys\nprint('first step ran in', open(sys.argv[sys.argv.index('--data') + 1] + '/prefix.txt').read())\n"
    )
    config = RunConfiguration()
    config.environment.docker.base_image = str(image_tarball)
    data = PipelineData("made")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make = PythonScriptStep("make.py", arguments=["--out", data], outputs=[data], source_directory=str(src),
                                compute_target="site-ch-pipe", runconfig=config, allow_reuse=False)
        read = PythonScriptStep("read.py", arguments=["--data", data], inputs=[data], source_directory=str(src),
                                compute_target="site-ch-pipe", runconfig=config, allow_reuse=False)
        run = Experiment(ws, "pipe-image").submit(Pipeline(ws, [make, read]))
    assert len(_converted_images(ws, "site-ch-pipe")) == 1  # there before any step could start
    assert str(image_tarball) in capfd.readouterr().err  # the fetch was reported
    run.wait_for_completion(show_output=False, raise_on_error=False)
    assert run.get_status() == "Finished", [(s.name, s.get_status()) for s in run.get_steps()]
    log = Path(run.find_step_run("read.py")[0].record.remote_dir or "") / "hpcest-logs" / "rank-0.log"
    assert "first step ran in /usr" in log.read_text()  # the image's own interpreter wrote it


def test_a_sweeps_image_is_provided_at_submission(site, ws, image_tarball, capfd) -> None:
    """A sweep's trials run a container image: made on the login node once, before the array is queued."""
    from hpc_estimator import GridParameterSampling, HyperDriveConfig, PrimaryMetricGoal, ScriptRunConfig
    from hpc_estimator import choice as hd_choice

    _ch_profile(site, ws, "site-ch-sweep")
    src = ws.path / "sweep-in-image"
    src.mkdir()
    (src / "train.py").write_text(
        "import sys\nfrom azureml.core import Run\nlr = float(sys.argv[sys.argv.index('--lr') + 1])\n"
        "print('trial in', sys.prefix)\nRun.get_context().log('accuracy', lr)\n"
    )
    trial = ScriptRunConfig(str(src), script="train.py", compute_target="site-ch-sweep")
    trial.run_config.environment.docker.base_image = str(image_tarball)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = HyperDriveConfig(
            run_config=trial, hyperparameter_sampling=GridParameterSampling({"lr": hd_choice(0.1, 0.2)}),
            primary_metric_name="accuracy", primary_metric_goal=PrimaryMetricGoal.MAXIMIZE, max_total_runs=2,
        )
        run = Experiment(ws, "sweep-image").submit(config)
    assert len(_converted_images(ws, "site-ch-sweep")) == 1
    assert str(image_tarball) in capfd.readouterr().err
    details = run.wait_for_completion(raise_on_error=False)
    assert details["status"] == "Completed", [(c.id, c.record.status_detail) for c in run.get_children()]
    for child in run.get_children():
        log = Path(child.record.remote_dir or "") / "hpcest-logs" / "rank-0.log"
        assert "trial in /usr" in log.read_text(), child.id


def _gc(ws: Workspace, *args: str) -> tuple[int, str, dict]:
    """``hpcest gc ARGS --json`` on the workspace (exit code, stderr, parsed report)."""
    from click.testing import CliRunner

    from hpc_estimator.cli import main

    here = Path.cwd()
    os.chdir(ws.path)
    try:
        result = CliRunner().invoke(main, ["gc", *args, "--json"])
    finally:
        os.chdir(here)
    return result.exit_code, result.stderr, json.loads(result.stdout or "{}")


def _age(path: Path, days: float) -> None:
    then = time.time() - days * 86400
    os.utime(path, (then, then))


def test_gc_keeps_the_image_of_a_job_still_queued_and_leaves_images_alone_without_slurm(
    site, ws, image_tarball
) -> None:
    """A run queued for longer than --older-than (its script and image both 40 days old here) keeps
    its image while Slurm lists its job; while slurmctld does not answer, images are left as they are
    (exit 4) and the snapshot store is still collected; once the job has ended the image goes, and
    the run's own files stay."""
    _ch_profile(site, ws, "site-gc")
    blocker = _occupy_every_node(site)
    try:
        run = _submit(ws, "site-gc", seconds=1, custom_docker_image=str(image_tarball))
        job_id = run.record.job_id or ""
        _until("the run to wait in the queue", lambda: _squeue_state(site, job_id) == "PENDING")
        (image,) = _converted_images(ws, "site-gc")
        script = Path(run.record.remote_dir or "") / "job.sbatch"
        _age(image, 40)
        _age(script, 40)
        code, err, report = _gc(ws, "site-gc", "--older-than", "30", "--yes")
        assert code == 0, err
        images = report["site-gc"]["images"]
        assert (images["images"], images["unused"]) == (1, 0) and image.exists(), images

        lc.stop_controller(site)
        try:
            code, err, report = _gc(ws, "site-gc", "--older-than", "30", "--yes")
        finally:
            lc.start_controller(site)
        assert code == 4, err
        assert "images left as they are" in err and image.exists()
        assert report["site-gc"]["images"] is None and report["site-gc"]["objects"] > 0  # the store was collected
        run.cancel()
    finally:
        subprocess.run(["scancel", blocker], env=site.client_env(), check=False)
    _until("the run's job to end", lambda: _squeue_state(site, job_id) in ("", "CANCELLED"))
    dry_code, _, dry = _gc(ws, "site-gc", "--older-than", "30")
    assert dry_code == 0 and dry["site-gc"]["images"]["unused"] == 1 and image.exists()
    code, err, report = _gc(ws, "site-gc", "--older-than", "30", "--yes")
    assert code == 0, err
    assert report["site-gc"]["images"]["unused"] == 1 and not image.exists()
    assert script.exists()  # run directories are never touched


def _build_job_profile(site: lc.LocalCluster, ws: Workspace, name: str) -> None:
    """image_fetch = "build-job": the image is made by a Slurm job of its own that the run waits for
    (sites whose compute nodes can fetch and whose login node may not)."""
    ws.add_profile(name, {
        "transport": "local", "workdir": str(ws.path / f"work-{name}"), "partition": site.partition,
        "container_runtime": "charliecloud", "python": sys.executable, "image_fetch": "build-job",
        "client_env": {"SLURM_CONF": site.env["SLURM_CONF"]},
    }, replace=True)  # fmt: skip


def _image_build_jobs(site: lc.LocalCluster) -> dict[str, str]:
    """Job id -> name of every image build job slurmctld knows (finished ones included)."""
    out = subprocess.run(["squeue", "--noheader", "--states=all", "-o", "%i %j"], capture_output=True, text=True,
                         env=site.client_env(), check=True).stdout  # fmt: skip
    return {i: n for i, n in (line.split(" ", 1) for line in out.splitlines() if line.strip())
            if n.startswith("hpcest-image-")}


def _occupy_every_node(site: lc.LocalCluster) -> str:
    blocker = subprocess.run(
        ["sbatch", "--parsable", f"--partition={site.partition}", "--nodes=2", "--exclusive",
         "--job-name=blocker", "--output=/dev/null", "--wrap=sleep 600"],
        capture_output=True, text=True, env=site.client_env(), check=True,
    ).stdout.strip()
    _until("the blocker to hold every node", lambda: _squeue_state(site, blocker) == "RUNNING")
    return blocker


def _dependency(site: lc.LocalCluster, job_id: str) -> str:
    shown = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True,
                           env=site.client_env(), check=True).stdout  # fmt: skip
    found = re.search(r"Dependency=(\S+)", shown)
    return found.group(1) if found else ""


def _in_image(run: Run) -> bool:
    log = (Path(run.record.remote_dir or "") / "hpcest-logs" / "rank-0.log").read_text()
    return "python 3." in log and "in /usr" in log


def test_runs_submitted_while_their_image_builds_wait_for_the_one_build_job(site, ws, image_tarball, capfd) -> None:
    """image_fetch = "build-job": the first run queues the build job and waits for it (afterok); a run
    submitted while that job is still queued finds it by its name and waits for the same one instead
    of queueing a second build; both then run in the image, which was made once."""
    _build_job_profile(site, ws, "site-build")
    src = ws.path / "built-image"
    src.mkdir()
    (src / "where.py").write_text("import sys\nprint('python', sys.version.split()[0], 'in', sys.prefix)\n")
    before = _image_build_jobs(site)
    capfd.readouterr()
    blocker = _occupy_every_node(site)  # the build job stays queued while both runs are submitted
    try:
        first = _submit(ws, "site-build", script="where.py", source=str(src), custom_docker_image=str(image_tarball))
        said = capfd.readouterr().err
        queued = re.search(r"queued build job (\d+) for image", said)
        assert queued, said
        build = queued.group(1)
        second = _submit(ws, "site-build", script="where.py", source=str(src), custom_docker_image=str(image_tarball))
        assert f"is being built by job {build}; the run waits for it" in capfd.readouterr().err
        assert set(_image_build_jobs(site)) - set(before) == {build}
        for run in (first, second):
            assert _dependency(site, run.record.job_id or "").startswith(f"afterok:{build}")
    finally:
        subprocess.run(["scancel", blocker], env=site.client_env(), check=True)
    for run in (first, second):
        details = run.wait_for_completion(raise_on_error=False)
        assert details["status"] == "Completed", details
        assert _in_image(run)
    assert len(_converted_images(ws, "site-build")) == 1
    log = Path(ws.get_profile("site-build").workdir).glob(f"image-builds/*/*/build-{build}.out")
    assert list(log)  # the build job's own log, in its attempt's directory


def test_a_build_job_whose_sbatch_reply_is_lost_is_asked_for_again_not_queued_twice(
    site, ws, image_tarball, tmp_path, monkeypatch
) -> None:
    """The reply of the build job's submit command is lost (the command ran: the job is queued):
    asking again answers from what the command recorded, so one build job is queued and the run
    waits for it."""
    from hpc_estimator.slurm.recorded_submit import SUBMIT_COMMAND_NAME
    from hpc_estimator.transport.local import LocalTransport

    _build_job_profile(site, ws, "site-build-lost")
    other = tmp_path / "another-image.tar.gz"  # another image: not in any cache yet
    shutil.copy(image_tarball, other)
    src = ws.path / "built-image-lost"
    src.mkdir()
    (src / "where.py").write_text("import sys\nprint('python', sys.version.split()[0], 'in', sys.prefix)\n")
    real_run = LocalTransport.run
    lost: list[str] = []

    def reply_lost_once(transport: LocalTransport, argv, **kwargs):  # type: ignore[no-untyped-def]
        result = real_run(transport, argv, **kwargs)
        building = any(str(a).startswith("hpcest-image-") for a in argv)
        if SUBMIT_COMMAND_NAME in argv and "submit" in argv and building and not lost:
            lost.append(result.stdout)
            raise TransportError("connection to the login node dropped (the reply is lost)")
        return result

    before = _image_build_jobs(site)
    monkeypatch.setattr(LocalTransport, "run", reply_lost_once)
    run = _submit(ws, "site-build-lost", script="where.py", source=str(src), custom_docker_image=str(other))
    monkeypatch.undo()
    assert lost and " submitted " in lost[0]  # the first command did queue the build job
    new = set(_image_build_jobs(site)) - set(before)
    assert len(new) == 1, new
    (build,) = new
    assert lost[0].split()[2] == build
    assert _dependency(site, run.record.job_id or "").startswith(f"afterok:{build}")
    details = run.wait_for_completion(raise_on_error=False)
    assert details["status"] == "Completed", details
    assert _in_image(run)


def test_a_failed_image_fetch_queues_nothing_and_records_nothing(site, ws, tmp_path) -> None:
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not a tarball")
    ws.add_profile("site-ch", {
        "transport": "local", "workdir": str(ws.path / "work"), "partition": site.partition,
        "container_runtime": "charliecloud", "python": sys.executable, "image_fetch": "login",
        "client_env": {"SLURM_CONF": site.env["SLURM_CONF"]},
    }, replace=True)  # fmt: skip
    before = {r.run_id for r in ws.run_store.list()}
    queued_before = subprocess.run(["squeue", "--noheader", "-o", "%i"], capture_output=True, text=True,
                                   env=site.client_env()).stdout.split()  # fmt: skip
    with pytest.raises((TransportError, SchedulerError)) as info:
        _submit(ws, "site-ch", custom_docker_image=str(broken))
    message = str(info.value)
    assert str(broken) in message and "gzip" in message  # the tool's own words, and which image
    after = {r.run_id for r in ws.run_store.list()}
    assert after == before
    queued_after = subprocess.run(["squeue", "--noheader", "-o", "%i"], capture_output=True, text=True,
                                  env=site.client_env()).stdout.split()  # fmt: skip
    assert set(queued_after) <= set(queued_before)
    assert not list(Path(ws.get_profile("site-ch").image_cache).glob("*.tmp.*"))  # no half image left


# --------------------------------------------------------------------------- a sweep through an outage


SWEEP_TRAIN = (
    "import sys, time\nfrom azureml.core import Run\n"
    "lr = float(sys.argv[sys.argv.index('--lr') + 1])\nrun = Run.get_context()\nprint('started', flush=True)\n"
    "for epoch in range(5):\n    time.sleep(6)\n    run.log('accuracy', lr * (epoch + 1))\n"
)


@pytest.mark.parametrize("controller", [False, True], ids=["array-only", "with-controller"])
def test_a_sweep_survives_a_slurmctld_outage(site, ws, controller: bool) -> None:
    """slurmctld down for 15 s while the trials run: no trial and not the sweep turns Failed (their
    status is kept while the scheduler does not answer), and the sweep completes once it is back."""
    from hpc_estimator import BanditPolicy, GridParameterSampling, HyperDriveConfig, PrimaryMetricGoal, ScriptRunConfig
    from hpc_estimator import choice as hd_choice

    src = ws.path / "sweep-project"
    src.mkdir(exist_ok=True)
    (src / "train.py").write_text(SWEEP_TRAIN)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = HyperDriveConfig(
            run_config=ScriptRunConfig(str(src), script="train.py", compute_target="site"),
            hyperparameter_sampling=GridParameterSampling({"lr": hd_choice(0.1, 0.2)}),
            primary_metric_name="accuracy",
            primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
            max_total_runs=2,
            max_concurrent_runs=2,
            # A policy that never stops anyone (slack 100): it only makes the sweep need its controller.
            policy=BanditPolicy(slack_amount=100.0, evaluation_interval=1) if controller else None,
        )
        run = Experiment(ws, "sweep-outage").submit(config)
    assert bool(run.record.properties["controller_job"]) is controller
    def both_running() -> bool:
        run.get_status()
        children = run.get_children()
        # Running, and past srun's step launch (srun itself needs slurmctld to start the step).
        logs = [Path(c.record.remote_dir or "") / "hpcest-logs" / "rank-0.log" for c in children]
        return (
            len(children) == 2
            and all(c.get_status() == "Running" for c in children)
            and all(log.exists() and "started" in log.read_text() for log in logs)
        )

    _until("both trials to run", both_running)
    seen: dict[str, object] = {}

    def outage() -> None:
        lc.stop_controller(site)
        try:
            time.sleep(3)
            refresh_status(ws, [Run.get(ws, run.id).record])
            seen["sweep"] = Run.get(ws, run.id).status
            seen["trials"] = sorted(c.status for c in ws.run_store.children(run.id))
            time.sleep(12)
        finally:
            lc.start_controller(site)

    details = _wait_through(run, outage)
    # Mid-run when the scheduler stopped answering: nothing may have turned Failed or Canceled.
    assert seen["sweep"] == "Running" and seen["trials"] == ["Running", "Running"], seen
    assert details["status"] == "Completed", details
    for child in ws.run_store.children(run.id):
        assert child.status == "Completed", (child.run_id, child.status, child.status_detail)
        assert "Failed" not in [h.status for h in ws.run_store.history(child.run_id)]
    assert "Failed" not in [h.status for h in ws.run_store.history(run.id)]
