"""A pipeline's steps on Slurm: staged together, submitted in one round trip, polled and cancelled together.

Submitting a graph costs, whatever the number of steps: one command to check the content store
(and build every step's ``src/`` when nothing is missing; else one upload and one unpack more),
and one command that unpacks all batch scripts and runs the generated submit script
(``hpc_estimator.slurm.graph``), which calls sbatch per step with ``--dependency=afterok:...``.
That last command is safe to run again: when its reply is lost it is repeated, and steps already
submitted are found (their ``job_id`` files, else ``squeue --name``), not submitted twice.
A submission with no step to run (every step reused) costs no command at all.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import slurm
from ..errors import SchedulerError, TransportError
from ..job.sbatch_options import safe_job_name
from ..transport.base import CommandResult, Progress, Transport
from ..util.argv_chunks import argv_chunks
from .base import JobRef
from .graph import (
    GraphStep,
    GraphSubmission,
    GraphSubmitError,
    GraphSubmitted,
    check_written,
    job_files,
    missing_data_error,
    stage_steps,
    submission_umask,
    write_files_command,
)

if TYPE_CHECKING:
    from .slurm import SlurmBackend

SUBMIT_SCRIPT = "submit.sh"


def step_job_name(step: GraphStep) -> str:
    """The job name of a step's own job in the graph (its spec's name, made safe for squeue --name)."""
    return safe_job_name(step.spec.name)


def graph_jobs(submission: GraphSubmission) -> list[slurm.GraphJob]:
    """One job per step, after its side jobs (which wait for the same upstream steps as the step)."""
    index: dict[str, int] = {}
    jobs: list[slurm.GraphJob] = []
    for step in submission.steps:
        run_dir = step.run_dir(submission.pipeline_dir)
        after = tuple(index[k] for k in step.after)
        side: dict[str, int] = {}
        for job in step.side_jobs:
            side[job.name] = len(jobs)
            jobs.append(
                slurm.GraphJob(
                    name=job.name,
                    run_dir=run_dir,
                    script=posixpath.join(run_dir, job.script),
                    after=after,
                    after_any=tuple(side[n] for n in job.after_any),
                    sbatch_options=job.sbatch_options,
                    id_dir=posixpath.join(run_dir, job.id_dir),
                    record=tuple(posixpath.join(run_dir, p) for p in job.record)  # type: ignore[arg-type]
                    if job.record else None,
                )
            )
        index[step.key] = len(jobs)
        jobs.append(
            slurm.GraphJob(
                name=step_job_name(step),
                run_dir=run_dir,
                script=posixpath.join(run_dir, step.script_name),
                after=after,
                after_any=tuple(side.values()),
                dependency=step.spec.scheduler.dependency,
            )
        )
    return jobs


def step_keys(submission: GraphSubmission) -> dict[str, str]:
    """Each step's job name -> the step's key."""
    return {step_job_name(step): step.key for step in submission.steps}


def submit_graph(
    backend: SlurmBackend, submission: GraphSubmission, *, progress: Progress | None = None
) -> GraphSubmitted:
    transport = backend.transport
    if not submission.steps and not submission.require_dirs:
        return GraphSubmitted(job_ids={})  # every step reused: nothing to check, nothing to submit
    jobs = graph_jobs(submission)
    script = slurm.graph_submit_script(jobs, require_dirs=submission.require_dirs)
    keys = step_keys(submission)
    if not submission.steps:
        result = transport.run(["sh", "-c", script])
        _raise_on_failure(result, slurm.parse_graph_submit(result.stdout), submission, keys)
        return GraphSubmitted(job_ids={})
    stats = stage_steps(transport, submission, posixpath.join(backend.workdir, "cas"), progress=progress)
    archive = job_files(submission, {SUBMIT_SCRIPT: (script, 0o755)})
    umask = submission_umask(submission)
    argv = write_files_command(submission.pipeline_dir, umask, then=f'exec sh "$1/{SUBMIT_SCRIPT}"')
    for attempt in (1, 2):
        try:
            # Not retried blindly by the transport; the whole command is idempotent by design and is
            # repeated here when the connection drops before the reply.
            result = transport.run(argv, stdin=archive, idempotent=False)
            break
        except TransportError:
            if attempt == 2:
                raise
    parsed = slurm.parse_graph_submit(result.stdout)
    _raise_on_failure(result, parsed, submission, keys)
    ids = {keys[name]: job_id for name, job_id in parsed.job_ids.items() if name in keys}
    side_names = {job.name for step in submission.steps for job in step.side_jobs}
    side_ids = {name: job_id for name, job_id in parsed.job_ids.items() if name in side_names}
    missing = [step.key for step in submission.steps if step.key not in ids]
    if missing:
        raise GraphSubmitError(f"the graph submission printed no job id for {', '.join(missing)}", ids)
    return GraphSubmitted(
        job_ids=ids,
        side_job_ids=side_ids,
        files_sent=stats.files_sent if stats else 0,
        bytes_sent=stats.bytes_sent if stats else 0,
    )


def recorded_job_ids(backend: SlurmBackend, submission: GraphSubmission) -> dict[str, str]:
    """What a submission that did not answer (reply lost, interrupted) had queued: step key (a side
    job by its name) -> job id, from the job_id files the submit script writes as it goes; what
    cannot be read is left out (the submission's own error is the one to report)."""
    keys = step_keys(submission)
    recorded = read_recorded_ids(backend.transport, graph_jobs(submission))
    return {keys.get(name, name): job_id for name, job_id in recorded.items()}


def read_recorded_ids(transport: Transport, jobs: Sequence[slurm.GraphJob]) -> dict[str, str]:
    """Job name -> the id its job_id file records, for the jobs of a graph submission, in one
    command (more only for more job_id files than fit one: ``util.argv_chunks``). Best effort:
    what a command that failed or was cut short did not answer is left out, and after a command
    that raised (the connection gone, a timeout) nothing more is asked."""
    out: dict[str, str] = {}
    for chunk in argv_chunks(jobs, lambda job: (slurm.recorded_id_path(job),)):
        try:
            result = transport.run(slurm.recorded_ids_argv(chunk), timeout=60)
        except Exception:  # the submission's own error is the one to report
            break
        if result.ok:
            out.update(slurm.parse_recorded_ids(chunk, result.stdout))
    return out


def _raise_on_failure(
    result: CommandResult, parsed: slurm.GraphSubmitResult, submission: GraphSubmission, keys: dict[str, str]
) -> None:
    if parsed.missing:
        raise missing_data_error(parsed.missing)
    if result.ok:
        return
    # The job files not written is told by the command's own exit status, never by its error text.
    check_written(result, submission.pipeline_dir, ran_then=True)
    submitted = {keys.get(n, n): i for n, i in parsed.job_ids.items()}
    failed = next((s.key for s in submission.steps if s.key not in submitted), None)
    where = f" at step {failed}" if failed else ""
    raise GraphSubmitError(
        f"sbatch refused the pipeline{where} ({len(submitted)} of {len(submission.steps)} step(s) submitted): "
        f"{result.stderr.strip() or f'exit status {result.returncode}'}",
        submitted,
    )


# Arguments: run directories to mark, "--", job ids, "--", run directories to look for a sweep's
# trials in. The run directories are marked first (a sweep's controller reads its marker and
# submits nothing more), then the jobs are cancelled (a sweep's controller among them); then, in
# every run directory of the last part that holds a sweep's trials.jsonl, each trial without an
# exit code is marked (its directory made: a pending task has none yet) and all those trials are
# cancelled with one more scancel, whoever submitted their arrays. The trials.jsonl lines are
# parsed as hpc_estimator.sweep.files.trial_record writes them. A marker is made by a redirection
# of the builtin true (no process per directory; an existing marker is kept as it is; not ":",
# whose failed redirection, a run directory gone, would end dash). Run directories are absolute,
# so none is "--". Exits non-zero when a scancel failed (its error on stderr).
_CANCEL_SH = r"""
p=0; ids=""; rc=0
for a in "$@"; do
  if [ "$a" = -- ]; then p=$((p+1)); continue; fi
  if [ "$p" = 0 ]; then true >> "$a/cancel_requested"; elif [ "$p" = 1 ]; then ids="$ids $a"; fi
done
if [ -n "$ids" ]; then scancel $ids || rc=1; fi
trials=$(p=0; for d in "$@"; do
  if [ "$d" = -- ]; then p=$((p+1)); continue; fi
  [ "$p" = 2 ] && [ -f "$d/trials.jsonl" ] || continue
  sed -n 's/^{"index": \([0-9][0-9]*\), "job_id": "\([0-9][0-9_]*\)".*/\1 \2/p' "$d/trials.jsonl" |
  while read -r t job; do
    [ -f "$d/trials/$t/exit_code" ] && continue
    mkdir -p "$d/trials/$t" && true >> "$d/trials/$t/cancel_requested"; echo "$job"
  done
done)
if [ -n "$trials" ]; then scancel $trials || rc=1; fi
exit $rc
"""


def cancel_argv(mark: Sequence[str], job_ids: Sequence[str], sweeps: Sequence[str]) -> list[str]:
    """One cancel command: mark the run directories ``mark``, scancel ``job_ids``, then mark and
    cancel the open trials of the sweeps in the run directories ``sweeps`` (see ``_CANCEL_SH``)."""
    return ["sh", "-c", _CANCEL_SH, "hpcest-cancel", *mark, "--", *job_ids, "--", *sweeps]


def cancel_argvs(jobs: Sequence[JobRef]) -> list[list[str]]:
    """The commands that cancel ``jobs``, to run in order: one, unless their run directories and
    ids would not fit one command (``util.argv_chunks``). Then every run directory is marked first
    (as many commands as that takes), then the jobs are cancelled, each run directory's trials
    after the last of its jobs, so the order one command keeps holds across all of them."""
    if not jobs:
        return []
    ids = slurm.scancel_argv([j.job_id for j in jobs], full=False)[1:]
    dirs = list(dict.fromkeys(j.run_dir for j in jobs if j.run_dir))
    if len(argv_chunks([*dirs, *ids, *dirs])) == 1:
        return [cancel_argv(dirs, ids, dirs)]
    marks = [cancel_argv(chunk, [], []) for chunk in argv_chunks(dirs)]
    chunks = argv_chunks(jobs, lambda j: (j.job_id, j.run_dir) if j.run_dir else (j.job_id,))
    last = {j.run_dir: k for k, chunk in enumerate(chunks) for j in chunk if j.run_dir}
    cancels = [
        cancel_argv(
            [],
            slurm.scancel_argv([j.job_id for j in chunk], full=False)[1:],
            [d for d in dict.fromkeys(j.run_dir for j in chunk if j.run_dir) if last[d] == k],
        )
        for k, chunk in enumerate(chunks)
    ]
    return marks + cancels


def cancel_graph(backend: SlurmBackend, jobs: Sequence[JobRef]) -> None:
    """Mark every job's cancel request and cancel them all, in one command (more only for more
    than fit one: ``cancel_argvs``); a sweep's trials too.

    A run directory holding a sweep (a HyperDriveStep's, or a standalone sweep's) also cancels
    every trial its ``trials.jsonl`` lists, including the arrays its controller submitted, which
    the client may not know yet. Every command is run even when one fails (what can be cancelled
    is); then SchedulerError is raised when a scancel failed.
    """
    failures: list[str] = []
    for argv in cancel_argvs(jobs):
        result = backend.transport.run(argv)
        if not result.ok:
            failures.append(result.stderr.strip() or f"exit status {result.returncode}")
    if failures:
        ids = " ".join(j.job_id.strip() for j in jobs)
        raise SchedulerError(f"scancel {ids} failed: {'; '.join(failures)}")
