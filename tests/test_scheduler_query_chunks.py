"""Scheduler queries about thousands of jobs: the ``--jobs=`` lists of squeue and sacct, cut into
commands a login node accepts.

Protects: ``SlurmBackend.poll`` (every run, pipeline step or sweep being polled) and
``array_status.squeue_tasks`` (a sweep's arrays) ask about 15,000 job ids, which joined into one
``--jobs=`` argument would pass Linux's 128 KiB single-argument limit, in commands each within it,
every id asked exactly once, and merge the answers so that every job gets its state (the run
directories of the jobs squeue no longer lists are read in commands within the limit too). One
squeue of several not answering (controller down) is no answer for the whole poll: no job is
decided from not being listed, the later squeues and sacct are not asked, and the jobs an earlier
squeue listed keep that evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hpc_estimator.backends.array_status import squeue_tasks
from hpc_estimator.backends.base import JobRef
from hpc_estimator.backends.slurm import SlurmBackend
from hpc_estimator.cluster.profile import ClusterProfile
from hpc_estimator.job.state import JobState
from hpc_estimator.slurm import FIELD_SEP
from hpc_estimator.transport.base import CommandResult
from tests.argv_limits import MAX_ARG_STRLEN, assert_fits

DATA = Path(__file__).parent / "data" / "slurm"
CONTROLLER_DOWN = (DATA / "squeue_controller_down.stderr.txt").read_text()


class Scheduler:
    """Answers squeue (RUNNING for the ids in ``running``), sacct (COMPLETED for every id asked)
    and the job-files read (``exit_code``, "-" for none) as Slurm would; squeue stops answering
    after ``squeue_answers`` calls. Records every command, and refuses one past the argument limit."""

    def __init__(self, running: set[str], squeue_answers: int | None = None, exit_code: str = "0") -> None:
        self.running = running
        self.squeue_answers = squeue_answers
        self.exit_code = exit_code
        self.commands: list[list[str]] = []

    def asked(self, program: str) -> list[str]:
        """The job ids (or run directories) the commands running ``program`` asked about, in order."""
        out: list[str] = []
        for argv in self.commands:
            if argv[0] == program:
                out += _jobs_option(argv)
            elif program == "hpcest-status" and argv[3:4] == ["hpcest-status"]:
                out += argv[4:]
        return out

    def run(self, argv: Sequence[str], **kwargs: Any) -> CommandResult:
        argv = list(argv)
        assert_fits(argv)
        self.commands.append(argv)
        if argv[0] == "squeue":
            asked = sum(1 for c in self.commands if c[0] == "squeue")
            if self.squeue_answers is not None and asked > self.squeue_answers:
                return CommandResult(tuple(argv), 1, "", CONTROLLER_DOWN)
            lines = [FIELD_SEP.join((i, i, "RUNNING", "None", "node1", f"job-{i}")) for i in _jobs_option(argv)
                     if i in self.running]
            return CommandResult(tuple(argv), 0, "".join(line + "\n" for line in lines), "")
        if argv[0] == "sacct":
            lines = [f"{i}|{i}|COMPLETED|0:0|00:00:01|node1|None" for i in _jobs_option(argv)]
            return CommandResult(tuple(argv), 0, "".join(line + "\n" for line in lines), "")
        if argv[3:4] == ["hpcest-status"]:
            return CommandResult(tuple(argv), 0, f"{self.exit_code}\t1\t0\t-\n" * len(argv[4:]), "")
        raise AssertionError(f"unexpected command {argv[:4]!r}")


def _jobs_option(argv: Sequence[str]) -> list[str]:
    (option,) = [a for a in argv if a.startswith("--jobs=")]
    return option[len("--jobs="):].split(",")


def _jobs(count: int = 15000) -> list[JobRef]:
    """Jobs with 8-digit ids (15,000: past 128 KiB as one ``--jobs=`` list) and their run directories."""
    root = "/scratch/project_2001234/hpcest/runs"
    jobs = [JobRef(f"run{i}", str(40000000 + i), f"{root}/exp_{i:06d}") for i in range(count)]
    assert len(",".join(j.job_id for j in jobs)) > MAX_ARG_STRLEN
    return jobs


def _backend(transport: Scheduler) -> SlurmBackend:
    return SlurmBackend(ClusterProfile(name="c", workdir="/scratch/project_2001234/hpcest"), transport)


def test_a_poll_of_thousands_of_jobs_asks_about_each_once_in_commands_within_the_limit() -> None:
    jobs = _jobs()
    running = {j.job_id for j in jobs[::2]}
    scheduler = Scheduler(running)
    updates = _backend(scheduler).poll(jobs)
    assert {key: u.state for key, u in updates.items()} == {
        j.key: JobState.RUNNING if j.job_id in running else JobState.COMPLETED for j in jobs
    }
    ids = [j.job_id for j in jobs]
    assert scheduler.asked("squeue") == ids
    assert scheduler.asked("sacct") == [i for i in ids if i not in running]  # what squeue no longer lists
    assert scheduler.asked("hpcest-status") == [j.run_dir for j in jobs if j.job_id not in running]
    assert sum(1 for c in scheduler.commands if c[0] == "squeue") > 1


def test_one_squeue_of_several_not_answering_is_no_answer_for_the_whole_poll() -> None:
    jobs = _jobs()
    scheduler = Scheduler(running={jobs[0].job_id}, squeue_answers=1, exit_code="-")  # none has ended
    updates = _backend(scheduler).poll(jobs)
    assert updates[jobs[0].key].state is JobState.RUNNING  # listed by the squeue that answered
    rest = [updates[j.key] for j in jobs[1:]]
    assert all(u.state is None and u.unanswered for u in rest)  # nothing decided, none declared lost
    assert [c[0] for c in scheduler.commands if c[0] != "sh"] == ["squeue", "squeue"]  # no more, no sacct


def test_a_sweep_s_arrays_are_asked_about_once_each_and_the_answers_merged() -> None:
    arrays = [str(50000000 + i) for i in range(15000)]
    scheduler = Scheduler(running=set(arrays[::3]))
    query = squeue_tasks(scheduler, [*reversed(arrays), arrays[0]])  # in any order, repeated
    assert query.answered and set(query.known) == set(arrays[::3])
    assert scheduler.asked("squeue") == sorted(arrays)
    assert len(scheduler.commands) > 1


def test_an_array_query_cut_off_by_an_outage_is_unanswered_and_keeps_what_was_listed() -> None:
    arrays = [str(50000000 + i) for i in range(15000)]
    scheduler = Scheduler(running={arrays[0], arrays[-1]}, squeue_answers=1)
    query = squeue_tasks(scheduler, arrays)
    assert not query.answered and "Unable to contact slurm controller" in (query.unanswered or "")
    assert set(query.known) == {arrays[0]}
    assert len(scheduler.commands) == 2
