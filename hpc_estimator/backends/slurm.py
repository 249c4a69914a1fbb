"""A Slurm cluster reached through a transport (local subprocess or SSH).

Submission: stage the snapshot, write the script, ``sbatch --parsable``. The job name is the
run id, which is unique, so a submission whose reply was lost (dropped SSH connection) is found
again with ``squeue --name`` instead of being submitted twice.

Status: one batched ``squeue`` for all active runs; jobs squeue no longer knows go to one
batched ``sacct``; when accounting is off or the job was purged, the exit-code file the job
wrote decides.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .. import slurm
from ..cluster.profile import ClusterProfile
from ..errors import CommandTimeout, SchedulerError, TransportError, UserErrorException
from ..job import image_fetch
from ..job.spec import JobSpec
from ..transport.base import Progress, Transport
from .base import SCRIPT_NAME, JobRef, Report, Submitted, fetch_image_here, prepare_run_dir
from .job_files import read_job_files
from .status import QUERY_TIMEOUT_S, Observation, StatusUpdate, resolve

if TYPE_CHECKING:
    from .graph import GraphSubmission, GraphSubmitted


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

    # -- submission -------------------------------------------------------------------------

    def provide_image(self, spec: JobSpec, *, report: Report | None = None) -> str | None:
        """Per the profile's ``image_fetch``: fetch on the login node now ("login"), queue a build
        job the run will wait for ("build-job", returns its id), or leave it to the job ("job")."""
        if self.profile.image_fetch == "build-job" and image_fetch.needs_fetch(spec.container):
            return self._submit_image_build(spec, report)
        fetch_image_here(self.transport, spec, report=report)
        return None

    def _submit_image_build(self, spec: JobSpec, report: Report | None) -> str | None:
        container = spec.container
        assert container.image is not None
        if self.transport.run(["test", "-e", container.image]).ok:
            return None
        build_dir = posixpath.join(self.workdir, "image-builds")
        name = "hpcest-image-" + posixpath.basename(container.image).rsplit(".", 1)[0]
        directives = [f"#SBATCH --job-name={name}", "#SBATCH --nodes=1", "#SBATCH --ntasks=1",
                      "#SBATCH --cpus-per-task=4", "#SBATCH --time=04:00:00", f"#SBATCH --output={name}-%j.out"]
        partition = self.profile.image_build_partition or self.profile.partition
        if partition:
            directives.append(f"#SBATCH --partition={partition}")
        if self.profile.account:
            directives.append(f"#SBATCH --account={self.profile.account}")
        script = image_fetch.build_job_script(container, directives=directives)
        path = posixpath.join(build_dir, f"{name}.sbatch")
        put = self.transport.run(
            ["sh", "-c", 'mkdir -p "$1" && cat > "$2"', "hpcest-build", build_dir, path], stdin=script.encode()
        )
        if not put.ok:
            raise TransportError(f"cannot write the image build script {path}: {put.stderr.strip()}")
        result = self.transport.run(slurm.sbatch_argv(path, extra=[f"--chdir={build_dir}"]), idempotent=False)
        slurm.check(result)
        job_id = slurm.parse_sbatch_parsable(result.stdout).job_id
        if report:
            report(f"queued build job {job_id} for image {container.image_source}; the run waits for it")
        return job_id

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
        job_id = self._sbatch(run_id, run_dir, script_path, after)
        return Submitted(job_id=job_id, run_dir=run_dir, files_sent=stats.files_sent, bytes_sent=stats.bytes_sent)

    def _sbatch(self, run_id: str, run_dir: str, script_path: str, after: Sequence[str] = ()) -> str:
        extra = [f"--chdir={run_dir}"]
        if after:
            extra.append("--dependency=afterok:" + ":".join(after))
        argv = slurm.sbatch_argv(script_path, extra=extra)
        for attempt in (1, 2):
            try:
                result = self.transport.run(argv, idempotent=False)
            except TransportError:
                # The reply was lost: the job may or may not exist. Look for it by its unique name.
                found = self.find_job(run_id)
                if found:
                    return found
                if attempt == 2:
                    raise
                continue
            slurm.check(result)
            return slurm.parse_sbatch_parsable(result.stdout).job_id
        raise AssertionError("unreachable")  # pragma: no cover

    def find_job(self, run_id: str) -> str | None:
        result = self.transport.run(slurm.squeue_by_name_argv(run_id))
        if not result.ok:
            return None
        jobs = slurm.parse_squeue(result.stdout)
        for state in jobs.values():
            if state.name == run_id:
                return state.raw_job_id or state.job_id
        return None

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
        unanswered = self._query(slurm.squeue_argv(ids), known, slurm.parse_squeue)
        answered = {j.job_id: unanswered is None for j in jobs}
        missing = [i for i in ids if i not in known]
        if missing and unanswered is None:
            acct_unanswered = self._query(slurm.sacct_argv(missing), known, slurm.parse_sacct, accounting=True)
            for job_id in missing:
                # Without an accounting answer a job squeue no longer lists may still have ended
                # well; only "accounting is off" (or sacct's own answer) counts as knowing.
                answered[job_id] = acct_unanswered is None
        need = [j for j in jobs if j.job_id not in known or known[j.job_id].is_terminal]
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
        argv: list[str],
        into: dict[str, slurm.SlurmJob],
        parse: Callable[[str], dict[str, slurm.SlurmJob]],
        *,
        accounting: bool = False,
    ) -> str | None:
        """Run one scheduler query into ``into``; return why it got no answer (None: answered)."""
        try:
            result = self.transport.run(argv, timeout=QUERY_TIMEOUT_S)
        except CommandTimeout as exc:
            return str(exc)
        if accounting and slurm.is_accounting_disabled(result.stdout + result.stderr):
            return None  # no accounting on this cluster: squeue's answer is all there is
        why = slurm.unanswered(result)
        if why is None and result.ok:
            into.update(parse(result.stdout))
        return why

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
        from . import slurm_graph

        return slurm_graph.poll_graph(self, jobs)

    def cancel_graph(self, jobs: Sequence[JobRef]) -> None:
        from . import slurm_graph

        slurm_graph.cancel_graph(self, jobs)

    def recorded_job_ids(self, submission: GraphSubmission) -> dict[str, str]:
        from . import slurm_graph

        return slurm_graph.recorded_job_ids(self, submission)
