"""One batch job submitted so that a lost reply can be recovered from: the command and its output. Pure.

A single run is submitted by a POSIX ``sh`` script on the login node rather than by a bare
``sbatch``: the script leaves the outcome in the run directory, where a client that never got the
reply (the SSH connection dropped, the client was interrupted) can read it later, from any login
node that shares the work directory:

* ``submitting``, written before sbatch is called: without it, nothing was ever queued;
* ``job_id``, written as soon as sbatch printed the id (before the reply is sent back);
* ``submit_refused``, sbatch's own words when it refused the job.

The script ignores hangups, so a connection that drops while sbatch runs does not stop it between
sbatch and recording the id. Run again with the same arguments it submits nothing twice: a recorded
id, a refusal or a job of that name that squeue lists is the answer; a ``submitting`` marker with
none of these (the first command is still waiting for sbatch, or was killed) answers ``unknown``
rather than calling sbatch again. The same script in ``look`` mode reads what many runs' submissions
left, submitting nothing: what a status poll asks about runs whose submission is in doubt.

``submitting`` holds when the command started, its pid and its host. A submission stays ``unknown``
only while something could still queue its job: a lookup on that host that finds neither the command
nor any process naming the run directory (an orphaned sbatch), then squeue listing no job of that
name and no job file in the directory, answers ``never`` (nothing was queued: the command was killed
before sbatch queued anything). From another login node, where those processes cannot be seen, the
same holds once the command started more than ``SUBMISSION_LOST_AFTER_S`` ago, far beyond sbatch's
own retrying. The processes are looked at before squeue is asked, so that a job queued in between
is listed.

Output lines, one per job (anything else is ignored)::

    hpcest-submit <name> <job id> submitted|recorded|found [-]
    hpcest-submit <name> - refused|unknown|never <why, on one line>
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import SchedulerError

JOB_ID_FILE = "job_id"  # the same file a pipeline step's submit script writes
SUBMITTING_FILE = "submitting"
REFUSED_FILE = "submit_refused"
# $0 of the script: what ps shows on the login node (and what a test can recognise the command by).
SUBMIT_COMMAND_NAME = "hpcest-submit"
OUTCOMES = ("submitted", "recorded", "found", "refused", "unknown", "never")

_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")
# From another login node than the one the submit command ran on: how long after it started nothing
# can still be queued by it. sbatch gives up within minutes (a few connect timeouts, then about two
# minutes of "temporarily unable to accept job" retries); an hour leaves room for a stalled login node.
SUBMISSION_LOST_AFTER_S = 3600

_SCRIPT = r"""trap '' HUP PIPE
set -u
hpcest_sep=$(printf '\037')
hpcest_lost_after=@LOST_AFTER@

# hpcest_keep DIR ID: the job id into DIR/job_id, atomically.
hpcest_keep() {
  printf '%s\n' "$2" > "$1/job_id.tmp" && mv -f "$1/job_id.tmp" "$1/job_id"
}

# hpcest_oneline FILE: its first 1000 bytes on one line.
hpcest_oneline() {
  head -c 1000 "$1" 2>/dev/null | tr '\n\t\r' '   '
}

# hpcest_look NAME DIR: what a submission of job NAME left in DIR -> hpcest_id, hpcest_how, hpcest_why.
hpcest_look() {
  hpcest_id=- hpcest_how=never hpcest_why="no submit command ever ran in $2: nothing was queued"
  if [ -s "$2/job_id" ]; then
    hpcest_i=$(head -n 1 "$2/job_id")
    case $hpcest_i in
      ''|*[!0-9]*) ;;
      *) hpcest_id=$hpcest_i hpcest_how=recorded hpcest_why=-; return 0 ;;
    esac
  fi
  if [ -f "$2/submit_refused" ]; then
    hpcest_how=refused hpcest_why=$(hpcest_oneline "$2/submit_refused")
    return 0
  fi
  [ -e "$2/submitting" ] || return 0
  hpcest_how=unknown
  # Before squeue: once nothing can queue the job any more, squeue's answer is the whole story.
  hpcest_gone "$2" && hpcest_g=1 || hpcest_g=0
  if hpcest_q=$(squeue --noheader --states=all --name="$1" --format="%j$hpcest_sep%A" 2>/dev/null); then
    hpcest_q=$(printf '%s\n' "$hpcest_q" | awk -F "$hpcest_sep" -v n="$1" '$1 == n {print $2; exit}')
    case $hpcest_q in
      ''|*[!0-9]*)
        hpcest_why="the submit command started but recorded no job id, and squeue lists no job named $1"
        if [ "$hpcest_g" = 1 ] && [ ! -e "$2/started_at" ] && [ ! -e "$2/exit_code" ]; then
          hpcest_how=never
          hpcest_why="$hpcest_why; the command is gone ($hpcest_gone_why) and no job wrote to $2: nothing was queued"
        fi ;;
      *) hpcest_id=$hpcest_q hpcest_how=found hpcest_why=-; hpcest_keep "$2" "$hpcest_id" ;;
    esac
  else
    hpcest_why="the submit command started but recorded no job id, and squeue did not answer"
  fi
}

# hpcest_gone DIR: true when the submit command that wrote DIR/submitting can no longer queue a job;
# hpcest_gone_why says how that is known.
hpcest_gone() {
  hpcest_t= hpcest_p= hpcest_h=
  read -r hpcest_t hpcest_p hpcest_h < "$1/submitting" 2>/dev/null
  case $hpcest_t in ''|*[!0-9]*) return 1 ;; esac
  hpcest_age=$(( $(date +%s) - hpcest_t ))
  if [ -n "$hpcest_p" ] && [ "$hpcest_h" = "$(uname -n)" ]; then
    # This host: the command's own process, or any process naming the directory (an sbatch that
    # outlived a killed command), means it may still queue the job.
    # -ww: whole command lines, whatever COLUMNS says (else a long directory name is cut off).
    hpcest_ps=$(ps -ww -e -o pid= -o args= 2>/dev/null) || return 1
    printf '%s\n' "$hpcest_ps" | awk -v p="$hpcest_p" '$1 == p && /hpcest-submit/ {f = 1} END {exit !f}' && return 1
    printf '%s\n' "$hpcest_ps" | grep -v " look " | grep -qF -- "$1" && return 1
    hpcest_gone_why="it started ${hpcest_age}s ago on $hpcest_h and no process there runs it"
    return 0
  fi
  [ "$hpcest_age" -ge "$hpcest_lost_after" ] || return 1
  hpcest_gone_why="it started ${hpcest_age}s ago${hpcest_h:+ on $hpcest_h}, longer than sbatch retries"
}

hpcest_say() {
  printf 'hpcest-submit %s %s %s %s\n' "$1" "$hpcest_id" "$hpcest_how" "${hpcest_why:--}"
}

hpcest_mode=$1
shift
if [ "$hpcest_mode" = look ]; then
  hpcest_lost_after=$1
  shift
  while [ $# -ge 2 ]; do hpcest_look "$1" "$2"; hpcest_say "$1"; shift 2; done
  exit 0
fi
hpcest_name=$1 hpcest_dir=$2
shift 2
hpcest_look "$hpcest_name" "$hpcest_dir"
if [ "$hpcest_how" = never ]; then
  if ! printf '%s %s %s\n' "$(date +%s)" "$$" "$(uname -n)" > "$hpcest_dir/submitting"; then
    hpcest_why="cannot write $hpcest_dir/submitting: nothing was submitted"
  else
    hpcest_err="$hpcest_dir/submit_refused.tmp"
    if hpcest_out=$(sbatch --parsable "$@" 2>"$hpcest_err"); then
      cat "$hpcest_err" >&2
      rm -f "$hpcest_err"
      hpcest_i=$(printf '%s\n' "$hpcest_out" | awk 'NF {last = $0} END {print last}')
      hpcest_i=${hpcest_i%%;*}
      case $hpcest_i in
        ''|*[!0-9]*)
          hpcest_out=$(printf '%s' "$hpcest_out" | tr '\n\t\r' '   ' | head -c 300)
          hpcest_how=unknown hpcest_why="sbatch succeeded but printed no job id: $hpcest_out" ;;
        *) hpcest_id=$hpcest_i hpcest_how=submitted hpcest_why=-; hpcest_keep "$hpcest_dir" "$hpcest_id" ;;
      esac
    else
      mv -f "$hpcest_err" "$hpcest_dir/submit_refused"
      hpcest_how=refused hpcest_why=$(hpcest_oneline "$hpcest_dir/submit_refused")
    fi
  fi
fi
hpcest_say "$hpcest_name"
""".replace("@LOST_AFTER@", str(SUBMISSION_LOST_AFTER_S))


@dataclass(frozen=True)
class SubmitOutcome:
    """What a submission of one job left behind."""

    how: str  # one of OUTCOMES
    job_id: str | None = None  # set for submitted, recorded and found
    why: str = ""  # refused: sbatch's words; unknown, never: what was (not) found


def _check(name: str, run_dir: str) -> None:
    if not _NAME.match(name):
        raise ValueError(f"job name {name!r} cannot be looked up with squeue --name; use [A-Za-z0-9_.-]")
    if not run_dir.startswith("/") or "\n" in run_dir:
        raise ValueError(f"{run_dir!r} must be an absolute path without newlines")


def recorded_submit_argv(name: str, run_dir: str, script_path: str, *, extra: Sequence[str] = ()) -> list[str]:
    """``sbatch --parsable [extra...] SCRIPT`` for the job named ``name``, recording its outcome in
    ``run_dir``; safe to run again when its reply was lost (it submits nothing twice)."""
    _check(name, run_dir)
    return ["sh", "-c", _SCRIPT, SUBMIT_COMMAND_NAME, "submit", name, run_dir, *extra, script_path]


def submission_lookup_argv(
    jobs: Sequence[tuple[str, str]], *, lost_after_s: int = SUBMISSION_LOST_AFTER_S
) -> list[str]:
    """One command that reports, for each ``(job name, run directory)``, what its submission left,
    submitting nothing (a job squeue finds by name has its id recorded on the way). ``lost_after_s``:
    see ``SUBMISSION_LOST_AFTER_S``."""
    args: list[str] = []
    for name, run_dir in jobs:
        _check(name, run_dir)
        args += [name, run_dir]
    return ["sh", "-c", _SCRIPT, SUBMIT_COMMAND_NAME, "look", str(int(lost_after_s)), *args]


def parse_submit_outcomes(stdout: str) -> dict[str, SubmitOutcome]:
    """Job name -> outcome, from the output of ``recorded_submit_argv`` or ``submission_lookup_argv``."""
    outcomes: dict[str, SubmitOutcome] = {}
    for line in stdout.splitlines():
        if not line.startswith(SUBMIT_COMMAND_NAME + " "):
            continue
        parts = line.split(" ", 4)
        if len(parts) < 4 or parts[3] not in OUTCOMES:
            raise SchedulerError(f"unexpected line from the submit command: {line!r}")
        _, name, job_id, how = parts[:4]
        why = parts[4].strip() if len(parts) == 5 else ""
        has_id = how in ("submitted", "recorded", "found")
        if has_id != job_id.isdigit():
            raise SchedulerError(f"unexpected line from the submit command: {line!r}")
        outcomes[name] = SubmitOutcome(how, job_id if has_id else None, "" if why == "-" else why)
    return outcomes
