"""Slurm argv builders and output parsers, checked against outputs recorded from a real Slurm 22.05.

The recorded files and how they were made: tests/data/slurm/README.md.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpc_estimator import slurm
from hpc_estimator.errors import SchedulerError
from hpc_estimator.job.state import JobState
from hpc_estimator.runs.store import V1_STATUS
from hpc_estimator.transport.base import CommandResult

DATA = Path(__file__).parent / "data" / "slurm"
JOBS = json.loads((DATA / "jobs.json").read_text())


def recorded(name: str) -> str:
    return (DATA / name).read_text()


# ------------------------------------------------------------------------------------------ builders


def test_sbatch_argv_puts_options_before_the_script():
    """Options after the script path would become the script's own arguments."""
    argv = slurm.sbatch_argv("/runs/r1/job.sh", extra=["--job-name=hpcest-r1", "--dependency=afterok:12"])
    assert argv == ["sbatch", "--parsable", "--job-name=hpcest-r1", "--dependency=afterok:12", "/runs/r1/job.sh"]
    assert slurm.sbatch_argv("x.sh", parsable=False) == ["sbatch", "x.sh"]


def test_squeue_argv_batches_all_jobs_in_one_call_with_separator_format():
    """One poll for many jobs; fields separated by a character Slurm never prints in them."""
    argv = slurm.squeue_argv(["12", 13, "14_2"])
    assert argv[0] == "squeue"
    assert "--jobs=12,13,14_2" in argv
    assert "--states=all" in argv and "--array" in argv and "--noheader" in argv
    fmt = next(a for a in argv if a.startswith("--format="))
    assert fmt.count(slurm.FIELD_SEP) == len(slurm.SQUEUE_FIELDS) - 1
    assert fmt.endswith("%j")  # free-text name last


@pytest.mark.parametrize("bad", ["", "12,13", "12 --uid=0", "-1", "abc", "12;rm"])
def test_builders_reject_things_that_are_not_job_ids(bad):
    """A job id is interpolated into a comma list: anything else could widen the request."""
    with pytest.raises(ValueError, match="job id"):
        slurm.squeue_argv([bad])
    with pytest.raises(ValueError):
        slurm.scancel_argv([bad])


def test_empty_job_list_is_an_error_not_a_query_for_everything():
    """``squeue --jobs=`` with nothing would list every job on the cluster."""
    with pytest.raises(ValueError, match="no job ids"):
        slurm.squeue_argv([])
    with pytest.raises(ValueError, match="no job ids"):
        slurm.sacct_argv([])


def test_sacct_argv_is_parsable_allocations_only():
    argv = slurm.sacct_argv(["5", "9_1"])
    assert argv[:5] == ["sacct", "--parsable2", "--noheader", "-X", "--jobs=5,9_1"]
    assert argv[5] == "--format=" + ",".join(slurm.SACCT_FIELDS)
    assert slurm.SACCT_FIELDS[-1] == "Reason"


def test_scancel_argv_signal_reaches_batch_shell():
    """A graceful stop must reach the training script, which runs in the batch shell's tree."""
    assert slurm.scancel_argv(["7", "8"]) == ["scancel", "7", "8"]
    assert slurm.scancel_argv(["7"], signal="USR1") == ["scancel", "--signal=USR1", "--full", "7"]
    assert slurm.scancel_argv(["7"], signal=15, full=False) == ["scancel", "--signal=15", "7"]


def test_task_steps_are_signalled_one_by_one():
    """A policy stop signals the ranks' steps by name: neither the batch step (its srun would SIGKILL
    them) nor the whole array task (scancel retries for 5 s while the array has pending tasks); the
    confirmation answers let each step's signal go out once (scancel repeats it otherwise)."""
    assert slurm.squeue_steps_argv(["41_0", "42"]) == [
        "squeue", "--noheader", "--steps", "--jobs=41_0,42", "--format=%i"
    ]
    steps = slurm.parse_task_steps(recorded("squeue_steps.txt"))
    assert steps == ["42.0", "41_0.0", "41_1.0"]
    assert slurm.scancel_steps_argv(steps, "TERM") == [
        "scancel", "--interactive", "--signal=TERM", "42.0", "41_0.0", "41_1.0"
    ]
    answers = slurm.scancel_steps_stdin(3).decode().splitlines()
    assert answers[:3] == ["y"] * 3 and set(answers[3:]) == {"n"} and len(answers) >= 3 + 3
    for bad in ("41_0", "41_0.batch", "1.0,2.0", "--full"):
        with pytest.raises(ValueError, match="not a Slurm step id"):
            slurm.scancel_steps_argv([bad], "TERM")
    with pytest.raises(ValueError, match="no step ids"):
        slurm.scancel_steps_argv([], "TERM")


def test_other_builders():
    assert slurm.scontrol_show_job_argv(8) == ["scontrol", "--oneliner", "show", "job", "8"]
    assert slurm.scontrol_show_config_argv() == ["scontrol", "show", "config"]
    assert slurm.sinfo_argv()[:3] == ["sinfo", "--noheader", "--Node"]
    argv = slurm.squeue_by_name_argv("hpcest-abc123", user="alice")
    assert "--name=hpcest-abc123" in argv and "--user=alice" in argv
    with pytest.raises(ValueError):
        slurm.squeue_by_name_argv("a,b")


@given(st.text(min_size=1).filter(lambda s: "," not in s and "\n" not in s and "\x00" not in s))
def test_job_name_stays_one_argument_through_shell_quoting(name):
    """The name reaches squeue as one argv word even after the SSH transport joins the argv."""
    argv = slurm.squeue_by_name_argv(name)
    assert shlex.split(shlex.join(argv)) == argv


# ------------------------------------------------------------------------------------------ sbatch


def test_parse_sbatch_parsable_recorded_and_cluster_suffix():
    assert slurm.parse_sbatch_parsable(recorded("sbatch_parsable.txt")) == slurm.SubmitResult("2", None)
    assert slurm.parse_sbatch_parsable("123;cluster-a\n") == slurm.SubmitResult("123", "cluster-a")


@pytest.mark.parametrize("text", ["", "\n", "Submitted batch job 12\n", "abc;x"])
def test_parse_sbatch_parsable_refuses_non_ids(text):
    with pytest.raises(SchedulerError):
        slurm.parse_sbatch_parsable(text)


def test_check_keeps_slurm_stderr_verbatim():
    """Users search for Slurm's own words; the error must carry them unchanged."""
    stderr = recorded("sbatch_invalid_partition.stderr.txt")
    result = CommandResult(("sbatch", "--parsable", "job.sh"), 1, "", stderr)
    with pytest.raises(SchedulerError) as info:
        slurm.check(result)
    assert "sbatch: error: Batch job submission failed: Invalid partition name specified" in str(info.value)
    assert info.value.stderr == stderr
    assert info.value.returncode == 1
    ok = CommandResult(("true",), 0, "", "")
    assert slurm.check(ok) is ok


def test_check_classifies_accounting_disabled_and_unknown_job():
    disabled = CommandResult(("sacct",), 1, "", recorded("sacct_accounting_disabled.stderr.txt"))
    with pytest.raises(slurm.AccountingDisabledError, match="accounting storage is disabled"):
        slurm.check(disabled)
    assert slurm.is_accounting_disabled(recorded("sacct_accounting_disabled.stderr.txt"))
    unknown = CommandResult(("squeue",), 1, "", recorded("squeue_invalid_job.stderr.txt"))
    with pytest.raises(slurm.InvalidJobIdError):
        slurm.check(unknown)
    silent = CommandResult(("squeue",), 2, "", "")
    with pytest.raises(slurm.SlurmCommandError, match="exited with status 2"):
        slurm.check(silent)


# ------------------------------------------------------------------------------------------ squeue


def test_parse_squeue_recorded_states_and_reasons():
    jobs = slurm.parse_squeue(recorded("squeue.txt"))
    by_id = {v: jobs[v] for v in JOBS.values() if v in jobs}
    assert jobs[JOBS["pending_dependency"]].state == "PENDING"
    assert jobs[JOBS["pending_dependency"]].reason == "Dependency"
    assert jobs[JOBS["pending_dependency"]].job_state is JobState.QUEUED
    assert jobs[JOBS["pending_resources"]].reason == "Resources"
    assert jobs[JOBS["held"]].reason == "JobHeldUser"
    assert jobs[JOBS["running"]].job_state is JobState.RUNNING
    assert jobs[JOBS["running"]].nodes == "node2"
    assert jobs[JOBS["completed"]].job_state is JobState.COMPLETED
    assert jobs[JOBS["failed_exit3"]].reason == "NonZeroExitCode"
    assert jobs[JOBS["failed_exit3"]].job_state is JobState.FAILED
    assert jobs[JOBS["timeout"]].state == "TIMEOUT" and jobs[JOBS["timeout"]].job_state is JobState.FAILED
    assert jobs[JOBS["cancelled"]].job_state is JobState.CANCELED
    assert jobs[JOBS["dep_never"]].reason == "DependencyNeverSatisfied"
    assert jobs[JOBS["requeued"]].job_state is JobState.QUEUED
    assert jobs[JOBS["odd_name"]].name == "rec odd|name;x"
    assert jobs[JOBS["pending_dependency"]].nodes is None
    assert all(j.exit_code is None for j in by_id.values())  # squeue has no exit codes


def test_parse_squeue_array_tasks_one_per_line():
    """With --array every task has its own line, keyed 9_N, with its own unique id."""
    array = JOBS["array"]
    jobs = slurm.parse_squeue(recorded("squeue.txt"))
    tasks = sorted((k for k in jobs if k.startswith(f"{array}_")), key=lambda k: int(k.split("_")[1]))
    assert tasks == [f"{array}_{i}" for i in range(6)]
    assert jobs[f"{array}_0"].job_state is JobState.RUNNING and jobs[f"{array}_0"].raw_job_id != array
    assert jobs[f"{array}_3"].reason == "JobArrayTaskLimit"
    assert jobs[f"{array}_3"].array_job_id == array and jobs[f"{array}_3"].array_task_id == 3
    by_name = slurm.parse_squeue(recorded("squeue_by_name.txt"))
    assert set(by_name) == set(tasks)


def test_parse_squeue_unknown_ids_are_just_absent():
    """squeue prints known jobs and silently drops unknown ones (unless all are unknown)."""
    jobs = slurm.parse_squeue(recorded("squeue_partly_unknown.txt"))
    assert list(jobs) == [JOBS["completed"]]
    assert slurm.parse_squeue("") == {}


def test_parse_squeue_rejects_other_formats():
    """Output of a different --format must not be half-parsed into wrong fields."""
    with pytest.raises(SchedulerError, match="unexpected squeue line"):
        slurm.parse_squeue("12 RUNNING None\n")


def test_squeue_workdirs_asks_for_the_users_jobs_in_every_state_with_the_directory_last():
    argv = slurm.squeue_workdirs_argv()
    assert argv[:2] == ["sh", "-c"] and '--user="$(id -un)"' in argv[2] and "--states=all" in argv[2]
    assert argv[-1].split(slurm.FIELD_SEP) == ["%i", "%T", "%Z"]


def test_parse_active_workdirs_recorded_leaves_out_ended_jobs():
    """Recorded: a completed job (still listed), a running one, a held one in a directory with a
    space, and an array with one task running and three pending (tests/data/slurm/README.md)."""
    dirs = slurm.parse_active_workdirs(recorded("squeue_workdirs.txt"))
    assert dirs == {"/tmp/rec/work/runs/r1", "/tmp/rec/work/runs/held run", "/tmp/rec/work/runs/sweep1"}
    assert slurm.parse_active_workdirs("") == frozenset()
    with pytest.raises(SchedulerError, match="unexpected squeue line"):
        slurm.parse_active_workdirs("12\x1fRUNNING\n")
    with pytest.raises(SchedulerError, match="unexpected squeue line"):
        slurm.parse_active_workdirs("12 RUNNING /tmp/x\n")


def test_parse_squeue_json_recorded():
    jobs = slurm.parse_squeue_json(recorded("squeue_json.txt"))
    assert jobs[JOBS["failed_exit3"]].exit_code == 3 and jobs[JOBS["failed_exit3"]].signal == 0
    assert jobs[JOBS["timeout"]].signal == 15
    assert jobs[JOBS["killed_by_signal"]].signal == 9
    assert jobs[f"{JOBS['array']}_1"].job_state is JobState.RUNNING
    assert jobs[f"{JOBS['array']}_[2-5%2]"].reason == "JobArrayTaskLimit"
    assert jobs[JOBS["completed"]].job_state is JobState.COMPLETED
    with pytest.raises(SchedulerError, match="invalid JSON"):
        slurm.parse_squeue_json("slurm_load_jobs error")


# ------------------------------------------------------------------------------------------ sacct


def test_parse_sacct_recorded_exit_codes_and_states():
    jobs = slurm.parse_sacct(recorded("sacct.txt"))
    failed = jobs[JOBS["failed_exit3"]]
    assert (failed.state, failed.exit_code, failed.signal, failed.job_state) == ("FAILED", 3, 0, JobState.FAILED)
    killed = jobs[JOBS["killed_by_signal"]]
    assert (killed.exit_code, killed.signal) == (0, 9)
    cancelled = jobs[JOBS["cancelled"]]
    assert cancelled.state == "CANCELLED" and cancelled.cancelled_by == "0" and cancelled.job_state is JobState.CANCELED
    assert jobs[JOBS["timeout"]].job_state is JobState.FAILED
    assert jobs[JOBS["completed"]].exit_code == 0 and jobs[JOBS["completed"]].job_state is JobState.COMPLETED
    assert jobs[JOBS["pending_dependency"]].nodes is None  # "None assigned"
    assert jobs[JOBS["pending_dependency"]].reason == "Dependency"
    assert jobs[JOBS["completed"]].reason is None
    array = JOBS["array"]
    assert jobs[f"{array}_0"].raw_job_id != array
    assert f"{array}_[2-5%2]" in jobs


def test_parse_sacct_drops_steps():
    """.batch/.extern/.N lines describe steps; their states (CANCELLED 0:15 for a TIMEOUT job) must
    not overwrite the job's own line."""
    with_steps = slurm.parse_sacct(recorded("sacct_with_steps.txt"))
    assert with_steps == slurm.parse_sacct(recorded("sacct.txt"))
    assert not any("." in k for k in with_steps)
    assert with_steps[JOBS["timeout"]].state == "TIMEOUT"
    text = "12|12|FAILED|1:0|00:00:01|n1|None\n12.batch|12.batch|FAILED|1:0|00:00:01|n1|\n12.0|12.0|FAILED|1:0|0|n1|\n"
    assert list(slurm.parse_sacct(text)) == ["12"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1:0", (1, 0)), ("0:15", (0, 15)), ("255:0", (255, 0)), ("", (None, None)), ("x", (None, None))],
)
def test_parse_exit_code(text, expected):
    assert slurm.parse_exit_code(text) == expected


# ------------------------------------------------------------------------------------------ scontrol


def test_parse_scontrol_show_job_oneliner_and_multiline_agree():
    one = slurm.parse_scontrol_show_job(recorded("scontrol_show_job_pending_dependency.txt"))
    multi = slurm.parse_scontrol_show_job(recorded("scontrol_show_job_multiline.txt"))
    assert one == multi
    assert one["JobState"] == "PENDING"
    assert one["Dependency"] == "afterok:{}(unfulfilled)".format(JOBS["running"])
    assert one["ReqB:S:C:T"] == "0:0:*:*"
    assert one["TRES"].startswith("cpu=1,")
    assert one["NodeList"] == "" and one["Power"] == ""


def test_parse_scontrol_values_with_spaces():
    """Reason/Comment values may contain spaces; they must not be cut at the first one."""
    text = "JobId=5 JobName=x JobState=PENDING Reason=Not responding at all Dependency=(null) Comment=a b=c"
    rec = slurm.parse_scontrol_show_job(text)
    assert rec["Reason"] == "Not responding at all"
    assert rec["Dependency"] == "(null)"
    assert rec["Comment"] == "a"  # documented limit: a word that looks like Key= starts a new pair
    assert rec["b"] == "c"


def test_job_state_from_scontrol_recorded():
    def state(name: str) -> slurm.SlurmJob:
        return slurm.job_state_from_scontrol(slurm.parse_scontrol_show_job(recorded(name)))

    failed = state("scontrol_show_job_failed_exit3.txt")
    assert (failed.exit_code, failed.job_state, failed.reason) == (3, JobState.FAILED, "NonZeroExitCode")
    timeout = state("scontrol_show_job_timeout.txt")
    assert (timeout.state, timeout.signal, timeout.reason) == ("TIMEOUT", 15, "TimeLimit")
    requeued = slurm.parse_scontrol_show_job(recorded("scontrol_show_job_requeued.txt"))
    assert requeued["Restarts"] == "1"
    assert slurm.job_state_from_scontrol(requeued).job_state is JobState.QUEUED


def test_scontrol_array_records_one_per_task():
    records = slurm.parse_scontrol_records(recorded("scontrol_show_job_array.txt"))
    states = [slurm.job_state_from_scontrol(r) for r in records]
    array = JOBS["array"]
    ids = {s.job_id for s in states}
    assert f"{array}_0" in ids and f"{array}_1" in ids
    assert array in ids  # the pending rest ("ArrayTaskId=2-5%2") keeps the array's own id
    assert records[0]["ArrayTaskId"] == "2-5%2"


# ------------------------------------------------------------------------------------------ sinfo / config


def test_parse_sinfo_recorded():
    parts = slurm.parse_sinfo(recorded("sinfo.txt"))
    debug = parts["debug"]
    assert debug.default and debug.available == "up" and debug.time_limit == "infinite"
    assert debug.node_names == ("node1", "node2")
    assert debug.gpus_per_node() == 4
    assert debug.nodes[0].cpus == 4 and debug.nodes[0].memory_mb == 12052
    assert debug.nodes[0].reason is None


def test_parse_sinfo_drained_node_keeps_reason_with_spaces():
    node2 = slurm.parse_sinfo(recorded("sinfo_drain.txt"))["debug"].nodes[1]
    assert node2.state == "draining"
    assert node2.reason == "disk check (ticket 42)"


def test_parse_sinfo_state_flags_and_several_partitions():
    sep = slurm.FIELD_SEP
    rows = [
        ["gpu", "gpu", "up", "2-00:00:00", "g1", "idle*", "64", "512000", "gpu:tesla:4(S:0),shard:8", "none"],
        ["gpu", "gpu", "up", "2-00:00:00", "g2", "drained~", "64", "512000", "gpu:tesla:4(S:0-1)", "bad fan"],
        ["cpu", "cpu*", "up", "infinite", "c1", "mixed", "32", "128000", "(null)", "none"],
    ]
    parts = slurm.parse_sinfo("\n".join(sep.join(r) for r in rows) + "\n")
    assert set(parts) == {"gpu", "cpu"}
    assert parts["cpu"].default and not parts["gpu"].default
    g1, g2 = parts["gpu"].nodes
    assert (g1.state, g1.raw_state) == ("idle", "idle*")
    assert g2.state == "drained" and g2.reason == "bad fan"
    assert g1.gres == (slurm.Gres("gpu", 4, "tesla", "0"), slurm.Gres("shard", 8))
    assert g1.gres_count("gpu") == 4 and parts["cpu"].gpus_per_node() == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gpu:4", (slurm.Gres("gpu", 4),)),
        ("gpu:tesla:4(S:0)", (slurm.Gres("gpu", 4, "tesla", "0"),)),
        ("gpu:a100:2(S:0,1),gpu:v100:1", (slurm.Gres("gpu", 2, "a100", "0,1"), slurm.Gres("gpu", 1, "v100"))),
        ("(null)", ()),
        ("", ()),
        ("gpu", (slurm.Gres("gpu", 1),)),
    ],
)
def test_parse_gres(text, expected):
    assert slurm.parse_gres(text) == expected


def test_parse_show_config_recorded():
    cfg = slurm.parse_show_config(recorded("show_config.txt"))
    assert cfg["ClusterName"] == "localtest"
    assert cfg["MaxArraySize"] == "1001"
    assert cfg["MinJobAge"] == "600 sec"
    assert cfg["AccountingStorageType"] == "accounting_storage/slurmdbd"
    assert "Configuration" not in cfg
    assert slurm.max_array_size(cfg) == 1001
    assert slurm.max_array_size({"MaxArraySize": "40001"}) == 40001
    assert slurm.max_array_size({}) == 1001


# ------------------------------------------------------------------------------------------ status map


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("PENDING", "Queued"),
        ("CONFIGURING", "Starting"),
        ("RUNNING", "Running"),
        ("COMPLETING", "Running"),
        ("COMPLETED", "Completed"),
        ("FAILED", "Failed"),
        ("TIMEOUT", "Failed"),
        ("NODE_FAIL", "Failed"),
        ("OUT_OF_MEMORY", "Failed"),
        ("BOOT_FAIL", "Failed"),
        ("DEADLINE", "Failed"),
        ("PREEMPTED", "Failed"),
        ("CANCELLED", "Canceled"),
        ("CANCELLED by 1000", "Canceled"),
        ("CANCELLED+", "Canceled"),
        ("REQUEUED", "Queued"),
        ("REQUEUE_HOLD", "Queued"),
        ("RESIZING", "Running"),
        ("SUSPENDED", "Running"),
        ("SOME_FUTURE_STATE", "Running"),
    ],
)
def test_v1_status_mapping(state, status):
    """Slurm state -> neutral JobState (slurm.states) -> v1 status (the run store's one table)."""
    assert V1_STATUS[slurm.job_state(state)] == status


def test_terminal_states():
    assert slurm.SlurmJob("1", "COMPLETED").is_terminal
    assert slurm.SlurmJob("1", "CANCELLED").is_terminal
    assert not slurm.SlurmJob("1", "SUSPENDED").is_terminal
    assert not slurm.SlurmJob("1", "REQUEUED").is_terminal


def test_parse_mpi_list_from_recorded_output() -> None:
    """`hpcest cluster check` compares the profile's mpi_plugin with these names."""
    from hpc_estimator.slurm import parse_mpi_list

    text = (Path(__file__).parent / "data" / "slurm" / "srun_mpi_list.txt").read_text()
    assert sorted(parse_mpi_list(text)) == ["cray_shasta", "none", "pmi2", "pmix", "pmix_v4"]


def test_recorded_ids_are_read_in_job_order_and_a_short_or_odd_answer_yields_less():
    from hpc_estimator.slurm import GraphJob, parse_recorded_ids, recorded_ids_argv

    jobs = [GraphJob("a", "/w/a", "/w/a/job.sbatch"), GraphJob("b", "/w/b", "/w/b/job.sbatch", id_dir="/w/ids/b"),
            GraphJob("c", "/w/c", "/w/c/job.sbatch")]
    argv = recorded_ids_argv(jobs)
    assert argv[-3:] == ["/w/a/job_id", "/w/ids/b/job_id", "/w/c/job_id"]
    assert parse_recorded_ids(jobs, "812\n\n814\n") == {"a": "812", "c": "814"}
    assert parse_recorded_ids(jobs, "812\n") == {"a": "812"}  # cut short: what was read
    assert parse_recorded_ids(jobs, "sh: cat: denied\n813\n") == {"b": "813"}


def test_submit_outcomes_keep_the_reason_on_one_line_and_refuse_an_id_that_does_not_fit_the_outcome():
    from hpc_estimator.slurm import parse_submit_outcomes, recorded_submit_argv, scancel_by_name_argv

    out = parse_submit_outcomes(
        "sbatch: warning: something\n"
        "hpcest-submit a 812 submitted -\n"
        "hpcest-submit b - refused sbatch: error: Batch job submission failed: Invalid account\n"
        "hpcest-submit c - unknown the submit command started but recorded no job id\n"
    )
    assert (out["a"].how, out["a"].job_id, out["a"].why) == ("submitted", "812", "")
    assert (out["b"].job_id, out["b"].why) == (None, "sbatch: error: Batch job submission failed: Invalid account")
    assert out["c"].how == "unknown"
    for bad in ("hpcest-submit a - submitted -", "hpcest-submit a 12 refused x", "hpcest-submit a 12 queued -"):
        with pytest.raises(SchedulerError):
            parse_submit_outcomes(bad + "\n")
    with pytest.raises(ValueError, match="squeue --name"):
        recorded_submit_argv("a,b", "/w/r", "/w/r/job.sbatch")
    with pytest.raises(ValueError, match="absolute"):
        recorded_submit_argv("a", "w/r", "/w/r/job.sbatch")
    assert scancel_by_name_argv("exp_1_ab") == ["scancel", "--name=exp_1_ab"]
    with pytest.raises(ValueError):
        scancel_by_name_argv("a b")
