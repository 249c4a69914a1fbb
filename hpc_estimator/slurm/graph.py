"""A dependency graph of batch jobs submitted in one go: the submit script and its output. Pure.

Job ids exist only once sbatch has answered, so the dependencies cannot be written into the
batch scripts. Instead one POSIX ``sh`` script runs on the login node: it calls
``sbatch --parsable`` once per job in topological order, passing each job
``--dependency=afterok:$id1:$id2`` (colon-joined: all must complete successfully) and
``--kill-on-invalid-dep=yes`` (a job whose dependency can never be satisfied is cancelled by
Slurm at once rather than left pending with DependencyNeverSatisfied), and prints one line per
job. A whole pipeline is then one transport round trip, and runs without the client.

Submission is idempotent per job, so the script can simply be run again when its reply was lost:
a job is looked up before it is submitted, by the ``job_id`` file the script writes into the run
directory after sbatch answered, else by its job name (unique: the run id) in ``squeue`` calls at
the start (``NAMES_PER_SQUEUE`` names each, whatever the size of the graph). An upstream job that
already completed successfully (``exit_code`` file ``0``) is left out of the dependency, since a
purged job id would make sbatch refuse it.

A job may also carry plain sbatch options (a job array's ``--array=0-9%4``), wait for earlier jobs
of the graph to end whatever their outcome (``afterany``: the chunks of a HyperDrive sweep, its
controller), keep its ``job_id`` file in a directory of its own when several jobs share one working
directory, and record its id into a file once submitted (a template whose ``@HPCEST_JOB_ID@`` is
replaced, appended to a target: a sweep's ``trials.jsonl``). These only appear in the script when a
job uses them.

Output lines (anything else is ignored)::

    hpcest-job <name> <job id> submitted|recorded|found
    hpcest-missing <directory>            (a directory the jobs need does not exist; nothing submitted)

The script exits 1 when sbatch refused a job (or printed no id, or its id could not be recorded)
and 3 when such a directory is missing; no other status of its own (the command that unpacks and
runs it tells its own failure by ``backends.graph.WRITE_FAILED_STATUS``, apart from these).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import SchedulerError
from ..util.shellquote import quote

JOB_ID_FILE = "job_id"
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")
# Options passed unquoted (word-split) to sbatch: a restricted charset, so nothing else can slip in.
_OPTION = re.compile(r"^--[a-z][a-z-]*=[A-Za-z0-9_,.%:+=@-]+$")
JOB_ID_TOKEN = "@HPCEST_JOB_ID@"
# Job names per squeue --name= call: 500 names of at most 128 characters stay under 64 KiB.
NAMES_PER_SQUEUE = 500
_DEPENDENCY = re.compile(r"^[a-z]+(:[0-9_]+(\+[0-9]+)?)+([,?][a-z]+(:[0-9_]+(\+[0-9]+)?)+)*$|^singleton$")


@dataclass(frozen=True)
class GraphJob:
    name: str  # the job name in the batch script (unique: the step's run id)
    run_dir: str  # sbatch --chdir; the job_id file goes here
    script: str  # absolute path of the batch script
    after: tuple[int, ...] = ()  # indices of earlier jobs of the same graph it waits for (afterok)
    dependency: str | None = None  # a static dependency of the job's own (JobSpec.scheduler.dependency)
    after_any: tuple[int, ...] = ()  # indices of earlier jobs it waits for, whatever their outcome (afterany)
    sbatch_options: tuple[str, ...] = ()  # e.g. --array=0-9%4 (charset-checked)
    id_dir: str | None = None  # where its job_id file goes (default run_dir)
    record: tuple[str, str] | None = None  # (template, target): lines appended to target once submitted

    @property
    def extended(self) -> bool:
        return bool(self.sbatch_options or self.id_dir or self.record)


@dataclass(frozen=True)
class GraphSubmitResult:
    job_ids: dict[str, str] = field(default_factory=dict)  # job name -> Slurm job id
    how: dict[str, str] = field(default_factory=dict)  # job name -> submitted | recorded | found
    missing: tuple[str, ...] = ()


def _check(jobs: Sequence[GraphJob]) -> None:
    names = set()
    for index, job in enumerate(jobs):
        if not _NAME.match(job.name):
            raise ValueError(f"job name {job.name!r} cannot be looked up with squeue --name; use [A-Za-z0-9_.-]")
        if job.name in names:
            raise ValueError(f"two jobs are named {job.name!r}; job names identify jobs and must be unique")
        names.add(job.name)
        for before in (*job.after, *job.after_any):
            if not 0 <= before < index:
                raise ValueError(f"job {job.name!r} waits for job {before}, which is not submitted before it")
        if job.dependency is not None and not _DEPENDENCY.match(job.dependency):
            raise ValueError(f"dependency {job.dependency!r} of job {job.name!r} is not a Slurm dependency list")
        for option in job.sbatch_options:
            if not _OPTION.match(option):
                raise ValueError(f"sbatch option {option!r} of job {job.name!r} is not of the form --name=value")
        for path in (job.run_dir, job.script, *([job.id_dir] if job.id_dir else []), *(job.record or ())):
            if not path.startswith("/") or "\n" in path:
                raise ValueError(f"{path!r} must be an absolute path without newlines")


_FUNCTIONS = r"""
hpcest_sep=$(printf '\037')
# The names go to squeue {per_call} at a time: one --name= list of a few thousand would pass Linux's
# 128 KiB limit on a single argument. A chunk without an answer: nothing is known by name (the
# job_id files still are).
hpcest_known=$(printf '%s\n' "$hpcest_names" | tr ',' '\n' |
  awk -v n={per_call} '{{l = l (l == "" ? "" : ",") $0}} NR % n == 0 {{print l; l = ""}} END {{if (l != "") print l}}' |
  while read -r hpcest_chunk; do
    squeue --noheader --states=all --name="$hpcest_chunk" --format="%j$hpcest_sep%A" 2>/dev/null || exit 1
  done) || hpcest_known=

# hpcest_after DIR ID [DIR ID ...]: "afterok:ID:ID" for the jobs that have not already completed.
hpcest_after() {{
  hpcest_dep=
  while [ $# -gt 1 ]; do
    if [ "$(cat "$1/exit_code" 2>/dev/null)" != 0 ]; then hpcest_dep="$hpcest_dep:$2"; fi
    shift 2
  done
  if [ -n "$hpcest_dep" ]; then hpcest_dep="afterok$hpcest_dep"; fi
}}

# hpcest_submit NAME DIR SCRIPT DEPENDENCY: sets hpcest_id; submits only a job not already there.
# $hpcest_opts (sbatch options, word-split) and $hpcest_iddir (where job_id goes) apply to one call.
hpcest_submit() {{
  hpcest_id= hpcest_how= hpcest_i=${{hpcest_iddir:-$2}}
  if [ -s "$hpcest_i/{job_id_file}" ]; then
    hpcest_id=$(cat "$hpcest_i/{job_id_file}") hpcest_how=recorded
  elif [ -n "$hpcest_known" ]; then
    hpcest_id=$(printf '%s\n' "$hpcest_known" | awk -F "$hpcest_sep" -v n="$1" '$1 == n {{print $2; exit}}')
    [ -n "$hpcest_id" ] && hpcest_how=found
  fi
  if [ -z "$hpcest_id" ]; then
    if [ -n "$4" ]; then
      hpcest_out=$(sbatch --parsable --chdir="$2" $hpcest_opts \
        --dependency="$4" --kill-on-invalid-dep=yes "$3") || exit 1
    else
      hpcest_out=$(sbatch --parsable --chdir="$2" $hpcest_opts "$3") || exit 1
    fi
    hpcest_id=$(printf '%s\n' "$hpcest_out" | tail -n 1)
    hpcest_id=${{hpcest_id%%;*}}
    case $hpcest_id in
      ''|*[!0-9]*) echo "hpcest: sbatch printed no job id for $1: $hpcest_out" >&2; exit 1 ;;
    esac
    hpcest_how=submitted
    hpcest_f="$hpcest_i/{job_id_file}"
    mkdir -p "$hpcest_i" && printf '%s\n' "$hpcest_id" > "$hpcest_f.tmp" && mv -f "$hpcest_f.tmp" "$hpcest_f"
  fi
  hpcest_opts= hpcest_iddir=
  printf 'hpcest-job %s %s %s\n' "$1" "$hpcest_id" "$hpcest_how"
}}
hpcest_opts= hpcest_iddir=
"""

_RECORD = """
# hpcest_record TEMPLATE TARGET: the template's lines with the job id filled in, appended to TARGET.
hpcest_record() {{
  sed "s/{token}/$hpcest_id/g" "$1" >> "$2" || exit 1
}}
"""


def graph_submit_script(jobs: Sequence[GraphJob], *, require_dirs: Sequence[str] = ()) -> str:
    """The POSIX sh script that submits ``jobs`` (in the given, topological, order)."""
    _check(jobs)
    lines = ["#!/bin/sh", f"# hpcest: submit {len(jobs)} job(s) as one dependency graph", "set -u", ""]
    if require_dirs:
        lines.append("# Data the jobs read from earlier runs: refuse to submit anything if it is gone.")
        lines.append(
            "for d in " + " ".join(quote(d) for d in require_dirs) + "; do "
            '[ -d "$d" ] || { printf \'hpcest-missing %s\\n\' "$d"; exit 3; }; done'
        )
    if not jobs:
        return "\n".join(lines) + "\n"
    lines.append("hpcest_names=" + quote(",".join(job.name for job in jobs)))
    lines.append(_FUNCTIONS.format(job_id_file=JOB_ID_FILE, per_call=NAMES_PER_SQUEUE).strip("\n"))
    if any(job.record for job in jobs):
        lines.append(_RECORD.format(token=JOB_ID_TOKEN).strip("\n"))
    lines.append("")
    for index, job in enumerate(jobs):
        if job.extended:
            lines.append(f"hpcest_opts={quote(' '.join(job.sbatch_options))} hpcest_iddir={quote(job.id_dir or '')}")
        ups = " ".join(f"{quote(jobs[i].run_dir)} \"$hpcest_j{i}\"" for i in job.after)
        lines.append(f"hpcest_after {ups}" if ups else "hpcest_dep=")
        if job.after_any:
            anys = ":".join(f"$hpcest_j{i}" for i in job.after_any)
            lines.append(f'hpcest_dep="${{hpcest_dep:+$hpcest_dep,}}afterany:{anys}"')
        if job.dependency:
            lines.append(f'hpcest_dep="${{hpcest_dep:+$hpcest_dep,}}"{quote(job.dependency)}')
        lines.append(f'hpcest_submit {quote(job.name)} {quote(job.run_dir)} {quote(job.script)} "$hpcest_dep"')
        if job.record:
            template, target = job.record
            lines.append(f'if [ "$hpcest_how" = submitted ]; then hpcest_record {quote(template)} {quote(target)}; fi')
        lines.append(f"hpcest_j{index}=$hpcest_id")
    return "\n".join(lines) + "\n"


def parse_graph_submit(stdout: str) -> GraphSubmitResult:
    """The job ids (and the missing directories) the submit script printed."""
    ids: dict[str, str] = {}
    how: dict[str, str] = {}
    missing: list[str] = []
    for line in stdout.splitlines():
        if line.startswith("hpcest-missing "):
            missing.append(line[len("hpcest-missing "):])
            continue
        if not line.startswith("hpcest-job "):
            continue
        parts = line.split(" ")
        if len(parts) != 4 or not parts[2].isdigit() or parts[3] not in ("submitted", "recorded", "found"):
            raise SchedulerError(f"unexpected line from the graph submission: {line!r}")
        ids[parts[1]] = parts[2]
        how[parts[1]] = parts[3]
    return GraphSubmitResult(job_ids=ids, how=how, missing=tuple(missing))


# Each argument a job_id file: its content (or an empty line) per file, in order.
_RECORDED_SH = 'for f in "$@"; do i=$(cat "$f" 2>/dev/null) || i=; printf "%s\\n" "$i"; done'


def recorded_id_path(job: GraphJob) -> str:
    """The job_id file the submit script writes for ``job`` once sbatch answered."""
    return posixpath.join(job.id_dir or job.run_dir, JOB_ID_FILE)


def recorded_ids_argv(jobs: Sequence[GraphJob]) -> list[str]:
    """One command that prints the id the submit script recorded for each job (its job_id file),
    a line per job, empty where there is none: what a submission whose reply was lost had queued."""
    return ["sh", "-c", _RECORDED_SH, "hpcest-ids", *(recorded_id_path(job) for job in jobs)]


def parse_recorded_ids(jobs: Sequence[GraphJob], stdout: str) -> dict[str, str]:
    """Job name -> id from the output of ``recorded_ids_argv`` (a short or odd answer yields less)."""
    return {job.name: line.strip() for job, line in zip(jobs, stdout.splitlines()) if line.strip().isdigit()}
