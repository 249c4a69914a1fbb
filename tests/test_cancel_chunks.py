"""Cancelling thousands of jobs at once (a large pipeline, a sweep's trials) over SSH.

Protects: ``cancel_graph`` (``hpcest cancel``, a pipeline's failure rules, a failed submission's
clean-up) sends a small cancel as the one command it always was, and thousands of run directories
and job ids in commands each within Linux's 128 KiB single-argument limit; across those commands
the one command's order holds: every run directory is marked before any job is cancelled, and a
sweep's trials are looked for only after the last of its directory's jobs is cancelled; every job
is cancelled exactly once and every directory marked. A scancel refused in one command does not
stop the others (what can be cancelled is) and is still reported. The sweep controller's own
scancel of its open trials is cut the same way. The commands run for real (as sshd runs them:
one ``sh -c`` argument) against a stand-in scancel.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from hpc_estimator.backends.base import JobRef
from hpc_estimator.backends.slurm import SlurmBackend
from hpc_estimator.backends.slurm_graph import cancel_argv, cancel_argvs, cancel_graph
from hpc_estimator.cluster.profile import ClusterProfile
from hpc_estimator.errors import SchedulerError
from hpc_estimator.sweep import controller, files
from hpc_estimator.transport.base import CommandResult
from tests.argv_limits import OverSsh, assert_fits, fake_command, many_run_dirs

# Logs each call's ids and how many run directories were marked when it was called; refuses
# (as Slurm does for a purged job) any call naming job 13.
FAKE_SCANCEL = """\
echo "$(find "$HPCEST_ROOT" -name cancel_requested | wc -l) $*" >> "$HPCEST_ROOT/scancel.log"
for id in "$@"; do
  [ "$id" = 13 ] && { echo "scancel: error: Kill job error on job id 13: Invalid job id specified" >&2; exit 1; }
done
exit 0
"""


def _transport(root: Path) -> OverSsh:
    fake_command(root / "bin", "scancel", FAKE_SCANCEL)
    return OverSsh(env={**os.environ, "PATH": f"{root / 'bin'}{os.pathsep}{os.environ['PATH']}",
                        "HPCEST_ROOT": str(root)})


def _backend(transport: Any) -> SlurmBackend:
    return SlurmBackend(ClusterProfile(name="c"), transport)


def _calls(root: Path) -> list[tuple[int, list[str]]]:
    """Each scancel call: (directories marked when it was called, ids)."""
    lines = (root / "scancel.log").read_text().splitlines()
    return [(int(line.split()[0]), line.split()[1:]) for line in lines]


def _pipeline_and_sweep(root: Path) -> tuple[list[JobRef], Path]:
    """3,000 steps, each its own run directory and job, then a sweep (controller 9 and array 10)
    whose trials.jsonl lists two trials, one finished."""
    jobs = [JobRef(f"step{i}", str(20000 + i), str(d)) for i, d in enumerate(many_run_dirs(root))]
    sweep = root / "sweep"
    (sweep / "trials" / "1").mkdir(parents=True)
    (sweep / "trials" / "1" / "exit_code").write_text("0\n")
    (sweep / files.TRIALS_FILE).write_text(
        files.trial_record(0, "10_0", {"x": 1}, ["--x", "1"]) + files.trial_record(1, "10_1", {"x": 2}, ["--x", "2"])
    )
    return [*jobs, JobRef("sweep", "9", str(sweep)), JobRef("sweep:10", "10", str(sweep))], sweep


def test_a_small_cancel_is_still_one_command() -> None:
    jobs = [JobRef("a", "1", "/w/a"), JobRef("b", "2", "/w/b"), JobRef("b:3", "3", "/w/b"), JobRef("c", "4", "")]
    assert cancel_argvs(jobs) == [cancel_argv(["/w/a", "/w/b"], ["1", "2", "3", "4"], ["/w/a", "/w/b"])]
    assert cancel_argvs([]) == []


def test_thousands_of_jobs_are_cancelled_in_commands_within_the_limit_marked_first(tmp_path: Path) -> None:
    jobs, sweep = _pipeline_and_sweep(tmp_path)
    transport = _transport(tmp_path)
    cancel_graph(_backend(transport), jobs)
    assert len(transport.commands) > 2
    for argv in transport.commands:
        assert_fits(argv)
    calls = _calls(tmp_path)
    *job_calls, trial_call = calls
    assert [i for _, ids in job_calls for i in ids] == [j.job_id for j in jobs]  # each exactly once, in order
    assert trial_call[1] == ["10_0"]  # the open trial, once its controller and array were cancelled
    marked = len({j.run_dir for j in jobs})
    assert all(seen >= marked for seen, _ in job_calls)  # every directory marked before any scancel
    assert all((Path(j.run_dir) / "cancel_requested").exists() for j in jobs)
    assert (sweep / "trials" / "0" / "cancel_requested").exists()
    assert not (sweep / "trials" / "1" / "cancel_requested").exists()  # finished: left alone


def test_a_sweep_s_trials_are_looked_for_after_the_last_of_its_jobs() -> None:
    """The sweep's controller is in the first command of jobs, its array in the last: its trials
    are read in the last (the controller can submit no more), its directory marked before both."""
    long = "/w/" + "x" * 200
    jobs = [JobRef("ctl", "9", "/w/sweep"), *(JobRef(f"s{i}", str(100 + i), f"{long}/{i}") for i in range(900)),
            JobRef("arr", "10", "/w/sweep")]
    argvs = cancel_argvs(jobs)
    parts = [_parts(argv) for argv in argvs]
    with_ids = [i for i, (_, ids, _) in enumerate(parts) if ids]
    with_marks = [i for i, (mark, _, _) in enumerate(parts) if mark]
    assert max(with_marks) < min(with_ids)  # all marking first
    assert [i for p in parts for i in p[0]] == list(dict.fromkeys(j.run_dir for j in jobs))
    assert [i for p in parts for i in p[1]] == [j.job_id for j in jobs]
    sweeps = [(k, d) for k, (_, _, scan) in enumerate(parts) for d in scan]
    assert [d for _, d in sweeps] == [j.run_dir for j in jobs[1:]]  # each directory once, where its last job is
    assert sweeps[-1] == (len(argvs) - 1, "/w/sweep") and "9" in parts[with_ids[0]][1]


def _parts(argv: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    args = list(argv[4:])
    first = args.index("--")
    second = args.index("--", first + 1)
    return args[:first], args[first + 1:second], args[second + 1:]


def test_a_refused_scancel_in_one_command_does_not_stop_the_others_and_is_reported(tmp_path: Path) -> None:
    jobs, _ = _pipeline_and_sweep(tmp_path)
    jobs[0] = JobRef("purged", "13", jobs[0].run_dir)  # in the first command that cancels
    transport = _transport(tmp_path)
    with pytest.raises(SchedulerError, match="Invalid job id specified"):
        cancel_graph(_backend(transport), jobs)
    assert [i for _, ids in _calls(tmp_path)[:-1] for i in ids] == [j.job_id for j in jobs]  # all still sent
    assert all((Path(j.run_dir) / "cancel_requested").exists() for j in jobs)


class Recording:
    """Records scancel calls; refuses (once) a call naming ``refuse``."""

    def __init__(self, refuse: str | None = None) -> None:
        self.refuse = refuse
        self.commands: list[list[str]] = []

    def run(self, argv: Sequence[str], **kwargs: Any) -> CommandResult:
        argv = list(argv)
        assert_fits(argv)
        self.commands.append(argv)
        if self.refuse in argv:
            return CommandResult(tuple(argv), 1, "", "scancel: error: Unable to contact slurm controller")
        return CommandResult(tuple(argv), 0, "", "")


def test_the_sweep_controller_cancels_thousands_of_open_trials_in_commands_within_the_limit() -> None:
    ids = [f"{40000000 + a}_{t}" for a in range(10) for t in range(1500)]  # 15,000 trials
    transport = Recording()
    assert controller._scancel(transport, ids) is True  # type: ignore[arg-type]
    assert len(transport.commands) > 1
    assert [i for argv in transport.commands for i in argv[1:]] == ids


def test_the_controller_sends_every_command_and_retries_when_one_was_refused() -> None:
    ids = [f"{40000000 + a}_{t}" for a in range(10) for t in range(1500)]
    transport = Recording(refuse=ids[-1])
    assert controller._scancel(transport, ids) is False  # type: ignore[arg-type]  # tried again next tick
    assert [i for argv in transport.commands for i in argv[1:]] == ids


def test_a_run_directory_that_is_gone_does_not_stop_the_cancel(tmp_path: Path) -> None:
    (tmp_path / "here").mkdir()
    jobs = [JobRef("gone", "1", str(tmp_path / "gone")), JobRef("here", "2", str(tmp_path / "here"))]
    cancel_graph(_backend(_transport(tmp_path)), jobs)  # run by the login node's sh (dash here)
    assert [ids for _, ids in _calls(tmp_path)] == [["1", "2"]]
    assert (tmp_path / "here" / "cancel_requested").exists()
