"""Slurm command builders: an intention ("poll these jobs") -> an argv list. Pure, no I/O.

Output formats were chosen so that parsing cannot be confused by user data: squeue and sinfo print
fields separated by the ASCII unit separator (``\\x1f``), which Slurm never puts in a job state,
reason or node name, and free-text fields (job name, node reason) always come last so a stray
separator in them only lengthens the last field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

FIELD_SEP = "\x1f"

_JOB_ID = re.compile(r"^\d+(_\d+)?(\+\d+)?$")


def _job_list(job_ids: Iterable[str | int]) -> str:
    ids = [str(j).strip() for j in job_ids]
    if not ids:
        raise ValueError("no job ids given: pass at least one Slurm job id")
    for j in ids:
        # Ids go into a comma-joined option; reject anything that could smuggle another option
        # or id list through (the transport quotes argv, but a comma would still split here).
        if not _JOB_ID.match(j):
            raise ValueError(f"not a Slurm job id: {j!r} (expected digits, optionally _TASK, e.g. 12 or 12_3)")
    return ",".join(ids)


# squeue fields: job id (12 or 12_3 for array tasks), unique id of that job/task, state, reason,
# node list, then the free-text job name last.
SQUEUE_FIELDS = ("job_id", "raw_job_id", "state", "reason", "nodes", "name")
_SQUEUE_FORMAT = FIELD_SEP.join(("%i", "%A", "%T", "%r", "%N", "%j"))


# squeue fields for ``squeue_workdirs_argv``: job id, state, then the working directory last (a
# path may hold anything but a newline).
SQUEUE_WORKDIR_FIELDS = ("job_id", "state", "workdir")
_SQUEUE_WORKDIR_FORMAT = FIELD_SEP.join(("%i", "%T", "%Z"))


def squeue_workdirs_argv() -> list[str]:
    """The working directory (``sbatch --chdir``) of every job of the calling user that slurmctld
    still lists, one line per job or array task. The user is asked of ``id`` on the cluster: the
    login name there need not be the local one, and ``squeue --me`` needs Slurm 20.11."""
    return [
        "sh", "-c",
        'exec squeue --noheader --array --states=all --user="$(id -un)" --format="$1"',
        "hpcest-squeue", _SQUEUE_WORKDIR_FORMAT,
    ]


def sbatch_argv(script_path: str, *, parsable: bool = True, extra: Sequence[str] = ()) -> list[str]:
    """``sbatch [--parsable] [extra...] SCRIPT``; options go before the script (after it they
    would be passed to the script as its arguments)."""
    argv = ["sbatch"]
    if parsable:
        argv.append("--parsable")
    argv.extend(extra)
    argv.append(script_path)
    return argv


def squeue_argv(job_ids: Iterable[str | int]) -> list[str]:
    """One batched squeue call for many jobs.

    ``--states=all`` also lists finished jobs slurmctld still remembers (MinJobAge), ``--array``
    prints one line per array task instead of a collapsed ``12_[3-9]``.
    """
    return [
        "squeue",
        "--noheader",
        "--array",
        "--states=all",
        f"--jobs={_job_list(job_ids)}",
        f"--format={_SQUEUE_FORMAT}",
    ]


def squeue_json_argv(job_ids: Iterable[str | int] | None = None) -> list[str]:
    """``squeue --json`` (Slurm >= 21.08); in 22.05 it also shows finished, unpurged jobs."""
    argv = ["squeue", "--json"]
    if job_ids is not None:
        argv.append(f"--jobs={_job_list(job_ids)}")
    return argv


def squeue_by_name_argv(name: str, user: str | None = None) -> list[str]:
    """Find jobs carrying a unique job name (used when an sbatch reply was lost on the way back)."""
    if not name or "," in name or "\n" in name:
        raise ValueError(f"job name {name!r} cannot be searched for: use a non-empty name without ',' or newline")
    argv = ["squeue", "--noheader", "--array", "--states=all", f"--name={name}"]
    if user:
        argv.append(f"--user={user}")
    argv.append(f"--format={_SQUEUE_FORMAT}")
    return argv


SACCT_FIELDS = ("JobID", "JobIDRaw", "State", "ExitCode", "Elapsed", "NodeList", "Reason")


def sacct_argv(job_ids: Iterable[str | int]) -> list[str]:
    """sacct for the allocations only (``-X``): one line per job or array task.

    With ``--jobs`` sacct searches from the epoch, so no ``--starttime`` is needed. Reason is the
    last field for the same reason free text is last in squeue.
    """
    return [
        "sacct",
        "--parsable2",
        "--noheader",
        "-X",
        f"--jobs={_job_list(job_ids)}",
        f"--format={','.join(SACCT_FIELDS)}",
    ]


def scancel_argv(job_ids: Iterable[str | int], signal: str | int | None = None, *, full: bool = True) -> list[str]:
    """scancel; with ``signal`` the job is signalled, not killed.

    ``--full`` makes the signal reach the batch shell too (by default Slurm signals only the
    job steps), which is what a graceful-stop request means for a training script.
    """
    argv = ["scancel"]
    if signal is not None:
        argv.append(f"--signal={signal}")
        if full:
            argv.append("--full")
    argv.extend(_job_list(job_ids).split(","))
    return argv


def scancel_by_name_argv(name: str) -> list[str]:
    """Cancel the caller's jobs named ``name`` (a run id: unique), whatever their ids: a job whose
    submission reply was lost has none known yet."""
    if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,128}", name):
        raise ValueError(f"job name {name!r} cannot be canceled by name; use [A-Za-z0-9_.-]")
    return ["scancel", f"--name={name}"]


_STEP_ID = re.compile(r"^\d+(_\d+)?\.\d+$")


def squeue_steps_argv(job_ids: Iterable[str | int]) -> list[str]:
    """The steps of running jobs, one id a line (``12.0``, ``12_3.0``, ``12_3.batch``)."""
    return ["squeue", "--noheader", "--steps", f"--jobs={_job_list(job_ids)}", "--format=%i"]


def scancel_steps_argv(step_ids: Iterable[str], signal: str | int) -> list[str]:
    """Signal job steps (``12.0``, ``12_3.1``): their tasks only, not the batch shell or its srun.

    Run it with :func:`scancel_steps_stdin` as its input. Signalling an array task as a whole
    (``scancel --signal=TERM 12_3``) delivers the signal but, while other tasks of the array are
    pending, slurmctld also answers "Job can not be altered now" and scancel retries for 5
    seconds. Naming the steps returns at once, but then scancel (22.05, and later versions keep
    the logic) sends each step's signal twice when the array has pending tasks: once in its pass
    over pending jobs, once in its pass over the others. ``--interactive`` asks before every
    sending, so the answers can say yes to the first and no to the repeat.
    """
    ids = [str(s).strip() for s in step_ids]
    if not ids:
        raise ValueError("no step ids given: pass at least one Slurm step id such as 12.0")
    for s in ids:
        if not _STEP_ID.match(s):
            raise ValueError(f"not a Slurm step id: {s!r} (expected JOB.STEP or JOB_TASK.STEP, e.g. 12_3.0)")
    return ["scancel", "--interactive", f"--signal={signal}", *ids]


def scancel_steps_stdin(count: int) -> bytes:
    """The answers for :func:`scancel_steps_argv` with ``count`` steps: yes to each step's first
    prompt, no to every repeat. scancel asks about each step once per pass, in the order given,
    and never more than twice; the spare noes keep a surprise prompt from reading end-of-file,
    which scancel would answer by asking again forever."""
    return b"y\n" * count + b"n\n" * (count + 16)


def scontrol_show_job_argv(job_id: str | int) -> list[str]:
    """``scontrol --oneliner show job ID`` (one line per job or array task)."""
    return ["scontrol", "--oneliner", "show", "job", _job_list([job_id])]


SINFO_FIELDS = ("partition", "partition_flagged", "avail", "time_limit", "node", "state", "cpus",
                "memory", "gres", "reason")
_SINFO_FORMAT = FIELD_SEP.join(("%R", "%P", "%a", "%l", "%N", "%T", "%c", "%m", "%G", "%E"))


def sinfo_argv() -> list[str]:
    """Node-oriented sinfo: one line per (partition, node) with state, cpus, memory and gres."""
    return ["sinfo", "--noheader", "--Node", f"--format={_SINFO_FORMAT}"]


def scontrol_show_config_argv() -> list[str]:
    """The running configuration (MaxArraySize, MaxJobCount, MinJobAge, ...)."""
    return ["scontrol", "show", "config"]


def srun_mpi_list_argv() -> list[str]:
    """The MPI plugins this Slurm offers to ``srun --mpi=``."""
    return ["srun", "--mpi=list"]
