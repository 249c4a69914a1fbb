"""The other reads built from a list of run directories: the job ids a lost graph submission
recorded, the jobs' true start and end times (``hpcest runs``), and what the single runs whose
submit reply was lost left behind (a status poll of runs in doubt).

Protects: both read a thousand run directories and more in commands a login node accepts over SSH (each
within Linux's 128 KiB single-argument limit), every directory answered and none repeated, and
run for real (as sshd runs a command: one ``sh -c`` argument). The recorded ids stay a best-effort
read: a command that fails leaves out only its own jobs, and after one that raises (the
connection gone) nothing more is asked. The in-doubt lookup is not: one of its commands failing is
an error, never fewer runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from hpc_estimator.backends.job_times import JobTimes, read_job_times
from hpc_estimator.backends.slurm import SlurmBackend
from hpc_estimator.backends.slurm_graph import read_recorded_ids
from hpc_estimator.cluster.profile import ClusterProfile
from hpc_estimator.errors import TransportError
from hpc_estimator.slurm import GraphJob
from hpc_estimator.transport.base import CommandResult
from tests.argv_limits import OverSsh, assert_fits, many_run_dirs


def _graph_jobs(root: Path) -> list[GraphJob]:
    """A graph of 1,000 jobs (a large pipeline's steps; the read forks per job, and these are past
    the limit already); every third one submitted (its job_id file)."""
    jobs = []
    for i, d in enumerate(many_run_dirs(root, count=1000)):
        if i % 3 == 0:
            (d / "job_id").write_text(f"{70000 + i}\n")
        jobs.append(GraphJob(f"step{i}", str(d), str(d / "job.sbatch")))
    return jobs


def test_the_ids_a_large_submission_recorded_are_read_in_commands_within_the_limit(tmp_path: Path) -> None:
    jobs = _graph_jobs(tmp_path)
    transport = OverSsh()
    assert read_recorded_ids(transport, jobs) == {f"step{i}": str(70000 + i) for i in range(0, len(jobs), 3)}
    assert len(transport.commands) > 1
    for argv in transport.commands:
        assert_fits(argv)
    assert [p for argv in transport.commands for p in argv[4:]] == [f"{j.run_dir}/job_id" for j in jobs]


class Failing(OverSsh):
    """The first command fails (``raises``: the transport raises instead of answering); the others run."""

    def __init__(self, raises: bool) -> None:
        super().__init__()
        self.raises = raises

    def run(self, argv: Sequence[str], **kwargs: Any) -> CommandResult:
        if self.commands:
            return super().run(argv, **kwargs)
        self.commands.append(list(argv))
        if self.raises:
            raise TransportError("the SSH connection broke twice")
        return CommandResult(tuple(argv), 255, "", "Connection closed by remote host")


def test_a_failed_command_leaves_out_only_its_own_jobs_and_a_raising_one_ends_the_read(tmp_path: Path) -> None:
    jobs = _graph_jobs(tmp_path)
    failed = Failing(raises=False)
    recorded = read_recorded_ids(failed, jobs)
    first = {Path(p).parent.name for p in failed.commands[0][4:]}
    assert len(failed.commands) > 1
    assert recorded == {f"step{i}": str(70000 + i) for i in range(0, len(jobs), 3) if f"{i:05d}" not in first}
    raising = Failing(raises=True)
    assert read_recorded_ids(raising, jobs) == {}
    assert len(raising.commands) == 1  # nothing more asked


def test_the_times_of_a_long_run_listing_are_read_in_commands_within_the_limit(tmp_path: Path) -> None:
    dirs = many_run_dirs(tmp_path, count=1000)  # the read forks per directory: fewer, still past the limit
    for i, d in enumerate(dirs):
        if i % 2 == 0:
            (d / "started_at").write_text(f"{1764612345 + i}\n")
    transport = OverSsh()
    times = read_job_times(transport, [str(d) for d in dirs])
    assert times == {str(d): JobTimes(1764612345 + i if i % 2 == 0 else None, None) for i, d in enumerate(dirs)}
    assert len(transport.commands) > 1
    for argv in transport.commands:
        assert_fits(argv)


def _in_doubt(root: Path) -> list[tuple[str, str]]:
    """1,000 single runs whose submit reply was lost (after an outage); every other one had its id
    recorded, the rest never ran the submit command."""
    runs = []
    for i, d in enumerate(many_run_dirs(root, count=1000)):
        if i % 2 == 0:
            (d / "job_id").write_text(f"{80000 + i}\n")
        runs.append((f"exp_1764612345_{i:05d}", str(d)))
    return runs


def test_what_many_in_doubt_submissions_left_is_read_in_commands_within_the_limit(tmp_path: Path) -> None:
    runs = _in_doubt(tmp_path)
    transport = OverSsh()
    outcomes = _backend(transport).find_submissions(runs)
    assert {name: (o.how, o.job_id) for name, o in outcomes.items()} == {
        name: ("recorded", str(80000 + i)) if i % 2 == 0 else ("never", None) for i, (name, _) in enumerate(runs)
    }
    assert len(transport.commands) > 1
    for argv in transport.commands:
        assert_fits(argv)


def test_one_lookup_of_several_failing_is_an_error_not_fewer_runs(tmp_path: Path) -> None:
    class LaterFails(OverSsh):
        def run(self, argv: Sequence[str], **kwargs: Any) -> CommandResult:
            if not self.commands:
                return super().run(argv, **kwargs)
            self.commands.append(list(argv))
            return CommandResult(tuple(argv), 255, "", "Connection closed by remote host")

    with pytest.raises(TransportError, match=r"cannot read what the submission of .* Connection closed"):
        _backend(LaterFails()).find_submissions(_in_doubt(tmp_path))


def _backend(transport: Any) -> SlurmBackend:
    return SlurmBackend(ClusterProfile(name="c"), transport)
