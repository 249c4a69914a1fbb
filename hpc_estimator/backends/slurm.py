"""A Slurm cluster reached through a transport (local subprocess or SSH).

Submission: stage the snapshot, write the script, ``sbatch --parsable`` through a small script that
records the job id in the run directory (``slurm.recorded_submit``). The job name is the run id,
which is unique, so a submission whose reply was lost (dropped SSH connection) is found again, by
the recorded id or with ``squeue --name``, instead of being submitted twice; when the cluster
cannot be asked, SubmissionInDoubt says the job may be queued (never that it failed).

Status: one batched ``squeue`` for all active runs (more only for more job ids than fit one
command); jobs squeue no longer knows go to one batched ``sacct``; when accounting is off or the
job was purged, the exit-code file the job wrote decides.
"""

from __future__ import annotations

import posixpath
import secrets
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .. import slurm
from ..cluster.profile import ClusterProfile
from ..errors import CommandTimeout, SchedulerError, TransportError, UserErrorException
from ..job import image_fetch
from ..job.spec import JobSpec
from ..snapshot.staging import StageStats
from ..transport.base import Progress, Transport
from ..util.argv_chunks import argv_chunks
from .base import (
    SCRIPT_NAME,
    JobRef,
    Report,
    SubmissionInDoubt,
    SubmissionInterrupted,
    Submitted,
    fetch_image_here,
    prepare_run_dir,
)
from .image_gc import ImageStore
from .job_files import read_job_files
from .status import QUERY_TIMEOUT_S, Observation, StatusUpdate, files_may_settle, resolve

if TYPE_CHECKING:
    from .graph import GraphSubmission, GraphSubmitted

IMAGE_BUILDS = "image-builds"  # <workdir>/image-builds/<job name>/<attempt>/: one directory per build job


class SlurmBackend:
    name = "slurm"

    def __init__(self, profile: ClusterProfile, transport: Transport) -> None:
        self.profile = profile
        self.transport = transport
        self._workdir: str | None = None
        self._home: str | None = None
        self.runtime_note: str | None = None
        self._runtimes: frozenset[str] | None = None

    # -- locations --------------------------------------------------------------------------

    def home(self) -> str:
        if self._home is None:
            res = self.transport.run(["sh", "-c", 'printf %s "$HOME"'])
            if not res.ok or not res.stdout.startswith("/"):
                raise TransportError(f"cannot find the home directory on {self.profile.name}: {res.stderr.strip()}")
            self._home = res.stdout
        return self._home

    def resolved_profile(self, profile: ClusterProfile | None = None) -> ClusterProfile:
        """The profile with ``~`` resolved on the cluster (asked once per connection)."""
        profile = profile or self.profile
        if profile.container_runtime == "auto":
            # On a cluster "auto" means: what the login node offers (the compute nodes match it).
            # Asked once per connection, like the home directory.
            if self._runtimes is None:
                res = self.transport.run(
                    ["sh", "-c", "for c in apptainer singularity ch-run; do command -v $c >/dev/null && echo $c; done"]
                )
                self._runtimes = frozenset(res.stdout.split()) if res.ok else frozenset()
            found = self._runtimes
            profile, self.runtime_note = profile.with_runtime_detected(lambda c: c if c in found else None)
        needs_home = any(p == "~" or p.startswith("~/") for p in (profile.workdir, profile.image_cache))
        return profile.with_home(self.home()) if needs_home else profile

    @property
    def workdir(self) -> str:
        """The profile's work directory with ``~`` resolved on the cluster (asked once)."""
        if self._workdir is None:
            wd = self.resolved_profile().workdir
            if not wd.startswith("/"):
                raise UserErrorException(
                    f"cluster profile {self.profile.name!r}: workdir {self.profile.workdir!r} must be "
                    "absolute or start with ~"
                )
            self._workdir = wd.rstrip("/")
        return self._workdir

    def run_dir_for(self, run_id: str) -> str:
        return posixpath.join(self.workdir, "runs", run_id)

    def snapshot_store(self) -> tuple[str, str]:
        return posixpath.join(self.workdir, "cas"), posixpath.join(self.workdir, "runs")

    def image_store(self) -> ImageStore:
        return ImageStore(cache=self.profile.image_cache, builds=posixpath.join(self.workdir, IMAGE_BUILDS))

    def active_workdirs(self) -> frozenset[str]:
        result = self.transport.run(slurm.squeue_workdirs_argv(), timeout=QUERY_TIMEOUT_S)
        return slurm.parse_active_workdirs(slurm.check(result).stdout)

    # -- submission -------------------------------------------------------------------------

    def provide_image(self, spec: JobSpec, *, report: Report | None = None) -> str | None:
        """Per the profile's ``image_fetch``: fetch on the login node now ("login"), queue a build
        job the run will wait for ("build-job", returns its id), or leave it to the job ("job")."""
        if self.profile.image_fetch == "build-job" and image_fetch.needs_fetch(spec.container):
            return self._submit_image_build(spec, report)
        fetch_image_here(self.transport, spec, report=report)
        return None

    def _submit_image_build(self, spec: JobSpec, report: Report | None) -> str | None:
        """The id of the build job the run waits for: one already queued or running for this image
        (runs submitted while it builds share it), else a new one, queued through the recording
        submit command in a directory of its own, so that a lost sbatch reply is asked for again
        without a second build job; None when the image is already in the cache."""
        container = spec.container
        assert container.image is not None and container.image_source is not None
        if self.transport.run(image_fetch.present_argv(container)).ok:
            return None
        name = image_fetch.build_job_name(container.image)
        say = report or (lambda line: None)
        building = self._active_build_job(name)
        if building is not None:
            say(f"image {container.image_source} is being built by job {building}; the run waits for it")
            return building
        # One directory per attempt: its recorded outcome is this attempt's alone (an earlier
        # attempt's failed build job is never waited for again).
        attempt = posixpath.join(self.workdir, IMAGE_BUILDS, name, f"{time.time_ns():x}-{secrets.token_hex(4)}")
        directives = [f"#SBATCH --job-name={name}", "#SBATCH --nodes=1", "#SBATCH --ntasks=1",
                      "#SBATCH --cpus-per-task=4", "#SBATCH --time=04:00:00", "#SBATCH --output=build-%j.out"]
        partition = self.profile.image_build_partition or self.profile.partition
        if partition:
            directives.append(f"#SBATCH --partition={partition}")
        if self.profile.account:
            directives.append(f"#SBATCH --account={self.profile.account}")
        script = image_fetch.build_job_script(container, directives=directives)
        path = posixpath.join(attempt, "build.sbatch")
        put = self.transport.run(
            ["sh", "-c", 'mkdir -p "$1" && cat > "$2"', "hpcest-build", attempt, path], stdin=script.encode()
        )
        if not put.ok:
            raise TransportError(f"cannot write the image build script {path}: {put.stderr.strip()}")
        nothing_staged = StageStats(files_total=0, files_sent=0, bytes_sent=0, seconds=0.0)
        try:
            job_id = self._sbatch(name, attempt, path, (), nothing_staged)
        except SubmissionInDoubt as doubt:
            # Nothing of the run is queued yet: an error now, and a build job queued after all is
            # found by the next submission (by its name) and waited for, not built twice.
            raise TransportError(
                f"the image build job's submission is not known ({doubt}); nothing of the run was queued. "
                f"Submit again: a build job queued meanwhile is found and waited for (its outcome: {attempt})"
            ) from None
        say(f"queued build job {job_id} for image {container.image_source}; the run waits for it "
            f"(its log: {attempt}/build-{job_id}.out)")
        return job_id

    def _active_build_job(self, name: str) -> str | None:
        """A queued or running job named ``name`` (the oldest), or None; raises TransportError when
        squeue cannot be asked (a second build job is cheaper to avoid than to explain)."""
        result = self.transport.run(slurm.squeue_by_name_argv(name), timeout=QUERY_TIMEOUT_S)
        slurm.check(result)
        active = [job for job in slurm.parse_squeue(result.stdout).values()
                  if job.name == name and not job.job_state.is_terminal]
        if not active:
            return None
        return min(active, key=lambda job: int(job.raw_job_id or job.job_id.split("_")[0])).job_id

    def submit(
        self,
        run_id: str,
        spec: JobSpec,
        script: str,
        source_directory: str,
        *,
        progress: Progress | None = None,
        after: Sequence[str] = (),
    ) -> Submitted:
        run_dir = self.run_dir_for(run_id)
        cas, _runs = self.snapshot_store()
        stats = prepare_run_dir(self.transport, run_dir, cas, spec, script, source_directory, progress=progress)
        script_path = posixpath.join(run_dir, SCRIPT_NAME)
        job_id = self._sbatch(run_id, run_dir, script_path, after, stats)
        return Submitted(job_id=job_id, run_dir=run_dir, files_sent=stats.files_sent, bytes_sent=stats.bytes_sent)

    def _sbatch(
        self, run_id: str, run_dir: str, script_path: str, after: Sequence[str], stats: StageStats
    ) -> str:
        """Queue the staged job through the recording submit command (``slurm.recorded_submit``).

        A reply lost on the way back is asked for once more at once: the command is safe to repeat.
        When that does not settle it either, SubmissionInDoubt says so (its ``retry`` asks again);
        Ctrl-C while the command runs is a SubmissionInterrupted. Neither means nothing was queued.
        """
        extra = [f"--chdir={run_dir}"]
        if after:
            extra.append("--dependency=afterok:" + ":".join(after))
        argv = slurm.recorded_submit_argv(run_id, run_dir, script_path, extra=extra)

        def once() -> str:
            try:
                result = self.transport.run(argv, idempotent=False)
            except TransportError as exc:
                raise SubmissionInDoubt(
                    f"no reply from the submit command on {self.profile.name!r} ({exc})",
                    run_dir=run_dir, retry=once, files_sent=stats.files_sent, bytes_sent=stats.bytes_sent,
                ) from exc
            outcome = slurm.parse_submit_outcomes(result.stdout).get(run_id)
            if outcome is None:
                # Killed, or cut short before it said anything: it may have got as far as sbatch.
                why = (result.stderr.strip() or result.stdout.strip() or f"exit status {result.returncode}")[-300:]
                raise SubmissionInDoubt(
                    f"the submit command on {self.profile.name!r} ended without saying what it did ({why})",
                    run_dir=run_dir, retry=once, files_sent=stats.files_sent, bytes_sent=stats.bytes_sent,
                )
            if outcome.job_id is not None:
                return outcome.job_id
            if outcome.how == "refused":
                raise slurm.SlurmCommandError(outcome.why or result.stderr, argv=("sbatch",), returncode=1)
            if outcome.how == "never":
                raise SchedulerError(outcome.why)
            raise SubmissionInDoubt(
                f"the outcome of the submission is not known yet: {outcome.why}",
                run_dir=run_dir, retry=once, files_sent=stats.files_sent, bytes_sent=stats.bytes_sent,
            )

        try:
            try:
                return once()
            except SubmissionInDoubt:
                return once()  # the reply was lost: asking again submits nothing twice
        except KeyboardInterrupt as exc:
            raise SubmissionInterrupted(run_dir) from exc

    def find_submissions(self, jobs: Sequence[tuple[str, str]]) -> dict[str, slurm.SubmitOutcome]:
        """What the submissions of these ``(run id, run directory)`` left on the cluster, in one
        command that submits nothing (more only for more runs than fit one: ``util.argv_chunks``);
        raises TransportError when any of it cannot be read."""
        outcomes: dict[str, slurm.SubmitOutcome] = {}
        for chunk in argv_chunks(jobs, lambda job: job):
            result = self.transport.run(slurm.submission_lookup_argv(chunk), timeout=QUERY_TIMEOUT_S)
            answered = slurm.parse_submit_outcomes(result.stdout) if result.ok else {}
            missing = [name for name, _ in chunk if name not in answered]
            if missing:
                raise TransportError(
                    f"cannot read what the submission of {', '.join(missing[:3])} left on {self.profile.name!r}: "
                    f"{(result.stderr.strip() or result.stdout.strip())[-300:]}"
                )
            outcomes.update(answered)
        return outcomes

    def cancel_by_name(self, run_id: str, run_dir: str) -> None:
        """Cancel a run whose job id is not known (its submission is in doubt): the cancel marker in
        its run directory, then ``scancel --name`` for a job already queued under its unique name."""
        self.transport.run(
            ["sh", "-c", '[ -d "$1" ] && touch "$1/cancel_requested"; true', "hpcest-cancel", run_dir]
        )
        result = self.transport.run(slurm.scancel_by_name_argv(run_id))
        if not result.ok:
            raise SchedulerError(f"scancel --name={run_id} failed: {result.stderr.strip()}")

    # -- status -----------------------------------------------------------------------------

    def poll(self, jobs: Sequence[JobRef]) -> dict[str, StatusUpdate]:
        """One squeue for all jobs (sacct for the ones it no longer lists), then the job files.

        A failed query is no answer: those jobs keep their last known state unless their own
        exit-code file settles them. A transport failure raises (nothing could be asked).
        """
        if not jobs:
            return {}
        ids = [j.job_id for j in jobs]
        known: dict[str, slurm.SlurmJob] = {}
        unanswered = self._query(slurm.squeue_argv, ids, known, slurm.parse_squeue)
        answered = {j.job_id: unanswered is None for j in jobs}
        missing = [i for i in ids if i not in known]
        if missing and unanswered is None:
            acct_unanswered = self._query(slurm.sacct_argv, missing, known, slurm.parse_sacct, accounting=True)
            for job_id in missing:
                # Without an accounting answer a job squeue no longer lists may still have ended
                # well; only "accounting is off" (or sacct's own answer) counts as knowing.
                answered[job_id] = acct_unanswered is None
        need = [j for j in jobs if files_may_settle(known.get(j.job_id))]
        files = read_job_files(self.transport, [(j.key, j.run_dir) for j in need])
        grace = self.profile.status_grace_seconds
        updates: dict[str, StatusUpdate] = {}
        for job in jobs:
            exit_text, started, cancel, end_reason = files.get(job.key, (None, False, False, None))
            observation = Observation(
                scheduler=known.get(job.job_id),
                scheduler_answered=answered[job.job_id],
                exit_file=exit_text,
                started=started,
                cancel_requested=cancel,
                end_reason=end_reason,
                unanswered=unanswered,
            )
            updates[job.key] = resolve(observation, unseen_for=job.unseen_for, grace=grace)
        return updates

    def _query(
        self,
        build: Callable[[list[str]], list[str]],
        ids: list[str],
        into: dict[str, slurm.SlurmJob],
        parse: Callable[[str], dict[str, slurm.SlurmJob]],
        *,
        accounting: bool = False,
    ) -> str | None:
        """Ask the scheduler about ``ids`` into ``into``, in one command (``build(ids)``; more only
        for more ids than fit one: ``util.argv_chunks``); return why it got no answer (None:
        answered). One command without an answer is no answer for the whole query, and the rest
        are not asked; what the earlier ones listed stays in ``into`` (a listed job is evidence)."""
        for chunk in argv_chunks(ids):
            try:
                result = self.transport.run(build(chunk), timeout=QUERY_TIMEOUT_S)
            except CommandTimeout as exc:
                return str(exc)
            if accounting and slurm.is_accounting_disabled(result.stdout + result.stderr):
                return None  # no accounting on this cluster: squeue's answer is all there is
            why = slurm.unanswered(result)
            if why is not None:
                return why
            if result.ok:
                into.update(parse(result.stdout))
        return None

    def cancel(self, job: JobRef) -> None:
        self.transport.run(["sh", "-c", 'touch "$1/cancel_requested"', "hpcest-cancel", job.run_dir])
        result = self.transport.run(slurm.scancel_argv([job.job_id], full=False))
        if not result.ok:
            raise SchedulerError(f"scancel {job.job_id} failed: {result.stderr.strip()}")

    def close(self) -> None:
        self.transport.close()

    # -- pipelines (hpc_estimator.backends.slurm_graph) ----------------------------------------

    def submit_graph(self, submission: GraphSubmission, *, progress: Progress | None = None) -> GraphSubmitted:
        """Stage and submit a pipeline's steps as one Slurm dependency graph (a few round trips in all)."""
        from . import slurm_graph

        return slurm_graph.submit_graph(self, submission, progress=progress)

    def poll_graph(self, jobs: Sequence[JobRef]) -> dict[str, StatusUpdate]:
        """All steps of any number of pipelines: the one batched poll of single runs (one squeue)."""
        return self.poll(jobs)

    def cancel_graph(self, jobs: Sequence[JobRef]) -> None:
        from . import slurm_graph

        slurm_graph.cancel_graph(self, jobs)

    def recorded_job_ids(self, submission: GraphSubmission) -> dict[str, str]:
        from . import slurm_graph

        return slurm_graph.recorded_job_ids(self, submission)
