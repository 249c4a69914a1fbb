"""``Run``: a submitted job's handle (status, logs, metrics, files) and, inside a job, its context.

Method names and signatures follow Azure ML v1 ``azureml.core.Run``. Inside a training job,
``Run.get_context()`` returns the in-job logger from :mod:`hpc_estimator.runtime.context` (or an offline
run outside a job), exactly as v1 scripts expect.
"""

from __future__ import annotations

import base64
import builtins
import codecs
import json
import os
import posixpath
import shutil
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..backends.base import JobRef
from ..errors import ActivityFailedException, ConfigError, TransportError, UserErrorException
from ..transport.fetch_tree import fetch_tree
from .store import TERMINAL_STATUSES, V1_STATUS, RunRecord, utc_from_epoch
from .waiting import PollResult, wait_until_terminal

if TYPE_CHECKING:
    from ..backends.base import Backend
    from .experiment import Experiment

RANK0_LOG = "hpcest-logs/rank-0.log"
# What get_file_names lists, as v1 listed outputs/, logs/ and azureml-logs/.
LISTED_DIRS = ("outputs", "logs", "hpcest-logs")


class Run:
    """A run of an experiment (v1 signature: ``Run(experiment, run_id, outputs=None, **kwargs)``)."""

    def __init__(self, experiment: Experiment, run_id: str, outputs: Any = None, **kwargs: Any) -> None:
        self._experiment = experiment
        self._run_id = run_id
        self._outputs = outputs
        self._record: RunRecord | None = kwargs.get("_record")

    # -- in-job context -----------------------------------------------------------------------

    @classmethod
    def get_context(cls, allow_offline: bool = True, used_for_context_manager: bool = False, **kwargs: Any) -> Any:
        """Inside a job: the run's logger. Elsewhere: an offline run whose log methods print."""
        from ..runtime.context import get_context

        return get_context(allow_offline=allow_offline)

    @staticmethod
    def get(workspace: Any, run_id: str) -> Run:
        """The run ``run_id`` as the v1 class of its kind (see ``run_for``)."""
        from .experiment import Experiment

        record = workspace.run_store.get(run_id)
        return run_for(Experiment(workspace, record.experiment, _skip_name_validation=True), record)

    @staticmethod
    def list(
        experiment: Experiment,
        type: str | None = None,
        tags: Any = None,
        properties: Any = None,
        status: str | None = None,
        include_children: bool = False,
        _rehydrate_runs: bool = True,
    ) -> Iterable[Run]:
        return experiment.get_runs(type=type, tags=tags, properties=properties, include_children=include_children)

    # -- identity -----------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self._run_id

    @property
    def name(self) -> str:
        return self._run_id

    @property
    def experiment(self) -> Experiment:
        return self._experiment

    @property
    def parent(self) -> Run | None:
        """The run this one is a child of (a sweep for a trial), or None."""
        parent_id = self.record.parent_id
        return Run.get(self._experiment.workspace, parent_id) if parent_id else None

    @property
    def _store(self) -> Any:
        return self._experiment.workspace.run_store

    @property
    def record(self) -> RunRecord:
        if self._record is None:
            self._record = self._store.get(self._run_id)
        return self._record

    def _reload(self) -> RunRecord:
        self._record = self._store.get(self._run_id)
        return self._record

    @property
    def status(self) -> str:
        return self.record.status

    @property
    def tags(self) -> dict[str, Any]:
        return dict(self._synced().tags)

    @property
    def properties(self) -> dict[str, Any]:
        return dict(self._synced().properties)

    def get_tags(self) -> dict[str, Any]:
        return self.tags

    def get_properties(self) -> dict[str, Any]:
        return self.properties

    def _synced(self) -> RunRecord:
        """The record, with tags and properties the job set merged in (one remote command).

        Once the run has ended and its records were read, nothing more can come: no remote call.
        An unreachable cluster leaves what the store has (tags are never worth failing over).
        """
        from ..backends.metrics_files import fetch_events

        record = self._reload()
        if not record.remote_dir or not record.job_id:
            return record
        if record.annotations_seen and json.loads(record.annotations_seen).get("final"):
            return record
        ended = record.is_terminal
        try:
            events = fetch_events(self._backend().transport, record.remote_dir)
        except (TransportError, ConfigError):
            return record
        self._store.apply_job_annotations(record.run_id, events, final=ended)
        return self._reload()

    def _backend(self) -> Backend:
        from ..backends import get_backend

        return get_backend(self._experiment.workspace, self.record.target)

    # -- status -------------------------------------------------------------------------------

    def get_status(self) -> str:
        """Ask the backend (one squeue/sacct/exit-file round) and record the answer."""
        record = self._reload()
        if record.status in TERMINAL_STATUSES and not record.inferred:
            return record.status  # a verdict on evidence is final; an inferred one is asked again
        refresh_status(self._experiment.workspace, [record])
        return self._reload().status

    def wait_for_completion(
        self, show_output: bool = False, wait_post_processing: bool = False, raise_on_error: bool = True
    ) -> dict[str, Any]:
        """Poll until the run ends; with ``show_output`` stream rank 0's output as it is written.

        Lost contact with the cluster does not end the wait (it is reported and retried); the
        run's status turns terminal only on evidence from the cluster.
        """
        return self._wait(show_output=show_output, raise_on_error=raise_on_error)

    def _wait(
        self, *, show_output: bool = False, raise_on_error: bool = True, timeout_s: float | None = None
    ) -> dict[str, Any]:
        offset = 0
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

        def tick() -> None:
            nonlocal offset
            if show_output:
                offset = self._stream(offset, decoder)

        status = wait_until_terminal(self._run_id, self._poll_once, timeout_s=timeout_s, on_tick=tick)
        if show_output:
            print(f"\nRun {self._run_id}: {status}", flush=True)
        details = self.get_details()
        if raise_on_error and status == "Failed":
            reason = self.record.status_detail or "unknown reason"
            raise ActivityFailedException(f"run {self._run_id} failed: {reason}. Logs: `hpcest logs {self._run_id}`")
        return details

    def _poll_once(self) -> PollResult:
        """One status round; contact problems are reported in the result, never raised."""
        record = self._reload()
        if record.status in TERMINAL_STATUSES and not record.inferred:
            return PollResult(record.status, True)
        try:
            refresh = refresh_status(self._experiment.workspace, [record])
        except TransportError as exc:
            return PollResult(record.status, False, lost=f"cannot reach {record.target!r}: {exc}")
        record = self._reload()
        return PollResult(record.status, record.status in TERMINAL_STATUSES, lost=refresh.unknown.get(self._run_id))

    def _stream(self, offset: int, decoder: codecs.IncrementalDecoder) -> int:
        chunk = self._read_bytes_from(RANK0_LOG, offset)
        if chunk:
            sys.stdout.write(decoder.decode(chunk))
            sys.stdout.flush()
            offset += len(chunk)
        return offset

    def _read_bytes_from(self, relpath: str, offset: int) -> bytes:
        record = self.record
        if not record.remote_dir:
            return b""
        try:
            return read_from(self._backend().transport, posixpath.join(record.remote_dir, relpath), offset)
        except TransportError:
            return b""

    def get_details(self) -> dict[str, Any]:
        record = self._synced()
        details: dict[str, Any] = {
            "runId": record.run_id,
            "target": record.target,
            "status": record.status,
            "startTimeUtc": record.started_at,
            "endTimeUtc": record.ended_at,
            "createdUtc": record.created_at,
            "properties": dict(record.properties),
            "tags": dict(record.tags),
            "runDefinition": dict(record.spec),
            "logFiles": {name: posixpath.join(record.remote_dir or "", name) for name in self._log_names()},
            "hpcest": {
                "backend": record.backend,
                "jobId": record.job_id,
                "runDir": record.remote_dir,
                "exitCode": record.exit_code,
                "statusDetail": record.status_detail,
            },
        }
        if record.status == "Failed":
            details["error"] = {"error": {"code": "UserError", "message": record.status_detail or "failed"}}
        return details

    def _log_names(self) -> builtins.list[str]:
        try:
            return [n for n in self.get_file_names() if n.startswith("hpcest-logs/")]
        except (TransportError, OSError):
            return []

    def get_portal_url(self) -> str:
        """Where the run's files are: a file URI on this machine, else ssh://[user@]host/run-dir."""
        record = self.record
        profile = self._experiment.workspace.get_profile(record.target)
        if record.backend == "local" or profile.transport == "local":
            return Path(record.remote_dir).as_uri() if record.remote_dir else ""
        user = f"{profile.user}@" if profile.user else ""
        return f"ssh://{user}{profile.host}{record.remote_dir}"

    def register_model(
        self,
        model_name: str,
        model_path: str | None = None,
        tags: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        model_framework: str | None = None,
        model_framework_version: str | None = None,
        description: str | None = None,
        datasets: Any = None,
        sample_input_dataset: Any = None,
        sample_output_dataset: Any = None,
        resource_configuration: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Register the run's file or folder ``model_path`` (e.g. ``outputs/model.pt``) as the next
        version of ``model_name`` in the workspace's model registry (files copied from the run)."""
        from .model import Model

        return Model._register_run_files(
            self, model_name, model_path, description=description, tags=tags, properties=properties,
            framework=model_framework, framework_version=model_framework_version,
        )

    # -- metrics ------------------------------------------------------------------------------

    def get_metrics(
        self, name: str | None = None, recursive: bool = False, run_type: str | None = None, populate: bool = False
    ) -> dict[str, Any]:
        from ..backends.metrics_files import fetch_metrics

        record = self.record
        if not record.remote_dir:
            return {}
        metrics = fetch_metrics(self._backend().transport, record.remote_dir)
        if name is not None:
            metrics = {name: metrics[name]} if name in metrics else {}
        return {record.run_id: metrics} if recursive else metrics

    # -- files --------------------------------------------------------------------------------

    def get_file_names(self) -> builtins.list[str]:
        record = self.record
        if not record.remote_dir:
            return []
        script = (
            'cd "$1" 2>/dev/null || exit 0; shift; for d in "$@"; do '
            '[ -d "$d" ] && find -L "$d" -type f -print0; done; true'
        )
        result = self._backend().transport.run(["sh", "-c", script, "hpcest-ls", record.remote_dir, *LISTED_DIRS])
        if not result.ok:
            raise TransportError(f"cannot list files of run {record.run_id}: {result.stderr.strip()}")
        return sorted(n for n in result.stdout.split("\0") if n)

    def _check_name(self, name: str) -> str:
        norm = posixpath.normpath(name)
        if norm.startswith(("/", "..")) or norm.split("/")[0] not in LISTED_DIRS:
            raise UserErrorException(
                f"file {name!r} is not part of run {self._run_id}; names look like 'outputs/model.pkl' "
                f"(see run.get_file_names())"
            )
        return norm

    def download_file(self, name: str, output_file_path: str | None = None, _validate_checksum: bool = False) -> None:
        norm = self._check_name(name)
        target = Path(output_file_path) if output_file_path else Path(posixpath.basename(norm))
        if target.is_dir():
            target = target / posixpath.basename(norm)
        target.parent.mkdir(parents=True, exist_ok=True)
        self._backend().transport.get(posixpath.join(self.record.remote_dir or "", norm), target)

    def download_files(
        self,
        prefix: str | None = None,
        output_directory: str | None = None,
        output_paths: builtins.list[str] | None = None,
        batch_size: int = 100,
        append_prefix: bool = True,
        timeout_seconds: int | None = None,
    ) -> None:
        """Download the run's files below the folder ``prefix`` (all of them without one), as v1 does.

        Each file goes to its own name (``outputs/model.pt``) relative to the working directory, or
        below ``output_directory``, where ``append_prefix=False`` leaves the prefix out of the path;
        ``output_paths`` (one per file, each once) name the files' places instead, below
        ``output_directory`` when it is given. The files come in one transfer whatever their number
        (one listing, one archive), so ``batch_size`` and ``timeout_seconds`` have nothing to tune.
        """
        folder = _folder(prefix)
        record = self.record
        names = [n for n in self.get_file_names() if n.startswith(folder)]
        if not names or not record.remote_dir:
            return
        transport = self._backend().transport
        if output_paths is not None and (len(output_paths) != len(names) or len(set(output_paths)) < len(names)):
            # v1 warns and uses the files' own names (the prefix kept) rather than refusing.
            why = "repeats a path" if len(output_paths) == len(names) else f"has {len(output_paths)} entries"
            where = f"under {folder!r}" if folder else "of the run"
            warnings.warn(
                f"output_paths {why} for the {len(names)} file(s) {where}; the files keep their own names, "
                "as in v1 (give one path per file, each once)",
                UserWarning,
                stacklevel=2,
            )
            fetch_tree(transport, record.remote_dir, names, output_directory or ".")
            return
        if output_paths is not None:
            places = [os.path.join(output_directory, p) if output_directory is not None else p for p in output_paths]
            _fetch_to(transport, record.remote_dir, names, places)
            return
        # v1 leaves the prefix out only of paths below an output_directory.
        strip = folder if output_directory is not None and not append_prefix else ""
        root = posixpath.join(record.remote_dir, strip) if strip else record.remote_dir
        fetch_tree(transport, root, [n[len(strip):] for n in names], output_directory or ".")

    # -- control and annotations --------------------------------------------------------------

    def cancel(self) -> None:
        record = self._reload()
        if record.status in TERMINAL_STATUSES:
            return
        from .submission_doubt import cancel_in_doubt, submission_in_doubt

        if submission_in_doubt(record):
            cancel_in_doubt(self._experiment.workspace, record)  # no job id yet: by its unique name
            return
        self._backend().cancel(job_ref(record))
        self._store.update_status(record.run_id, "CancelRequested", detail="cancel requested by user")

    def tag(self, key: str, value: Any = None) -> None:
        self._store.set_tags(self._run_id, {key: "" if value is None else value})

    def set_tags(self, tags: dict[str, Any]) -> None:
        self._store.set_tags(self._run_id, tags)

    def remove_tags(self, tags: builtins.list[str]) -> None:
        self._store.remove_tags(self._run_id, tags)

    def add_properties(self, properties: dict[str, Any]) -> None:
        self._store.add_properties(self._run_id, properties)

    def __repr__(self) -> str:
        return f"Run(experiment={self._experiment.name!r}, id={self._run_id!r}, status={self.record.status!r})"

    def _repr_json(self) -> str:
        return json.dumps({"runId": self._run_id, "status": self.record.status})


def run_for(experiment: Any, record: RunRecord) -> Run:
    """The stored run ``record`` as the v1 class of its kind, as v1 rehydrates runs: a PipelineRun, a
    StepRun (a HyperDriveStep's: HyperDriveStepRun), a HyperDriveRun for a sweep, else a Run."""
    if record.kind in ("pipeline", "step"):
        from .pipeline_run import pipeline_run_for

        return pipeline_run_for(experiment, record)
    if record.kind == "sweep":
        from .sweep_run import HyperDriveRun

        return HyperDriveRun(experiment, record.run_id, _record=record)
    return Run(experiment, record.run_id, _record=record)


@dataclass(frozen=True)
class Refresh:
    """What one status round could not learn."""

    # target -> why nothing could be asked there (connection failed, configuration broken)
    unreachable: dict[str, str] = field(default_factory=dict)
    # run id -> why its state is unknown (the scheduler did not answer); the last state stands
    unknown: dict[str, str] = field(default_factory=dict)


def refresh_status(
    workspace: Any,
    records: Iterable[RunRecord],
    *,
    on_error: Callable[[str, Exception], None] | None = None,
) -> Refresh:
    """Ask each compute target once about its active runs and record the answers.

    A run's status changes only on evidence (see ``backends.status``); a scheduler that does not
    answer leaves every status as it was, and the returned ``Refresh`` says so. Without
    ``on_error`` a cluster that cannot be reached raises; with it, the other targets are still
    refreshed and the failure is reported in ``Refresh.unreachable`` too.
    """
    from ..backends import get_backend
    from .submission_doubt import settle_in_doubt, submission_in_doubt

    store = workspace.run_store
    by_target: dict[str, list[RunRecord]] = {}
    in_doubt: dict[str, list[RunRecord]] = {}
    pipeline_family: list[RunRecord] = []
    sweeps: set[str] = set()
    for record in records:
        if submission_in_doubt(record):
            # Its submit command's reply was lost: what it left on the cluster says whether it queued a job.
            in_doubt.setdefault(record.target, []).append(record)
        elif record.kind in ("pipeline", "step"):
            # A pipeline's steps are polled together and settled by the pipeline's failure rules.
            pipeline_family.append(record)
        elif record.kind in ("sweep", "trial"):
            # A sweep answers for itself and its trials with one squeue over its job arrays.
            sweep_id = record.run_id if record.kind == "sweep" else record.parent_id
            if sweep_id and (not record.is_terminal or record.inferred):
                parent = store.get(sweep_id) if record.kind == "trial" else record
                if parent.kind == "step":
                    # A HyperDriveStep's trial: polled with its step, by the pipeline.
                    pipeline_family.append(parent)
                else:
                    sweeps.add(sweep_id)
        elif (not record.is_terminal or record.inferred) and record.job_id and record.remote_dir:
            by_target.setdefault(record.target, []).append(record)
    report = Refresh()
    if pipeline_family:
        from .pipeline_status import refresh_pipelines

        report.unknown.update(refresh_pipelines(workspace, pipeline_family, on_error=on_error))
    if sweeps:
        from .sweep import refresh_sweep

        for sweep_id in sorted(sweeps):
            try:
                report.unknown.update(refresh_sweep(workspace, sweep_id))
            except (TransportError, ConfigError) as exc:
                sweep_target = store.get(sweep_id).target
                report.unreachable[sweep_target] = str(exc)
                if on_error is None:
                    raise
                on_error(sweep_target, exc)
    for target, doubtful in in_doubt.items():
        try:
            found, still_unknown = settle_in_doubt(workspace, target, doubtful)
        except (TransportError, ConfigError) as exc:
            report.unreachable[target] = str(exc)
            if on_error is None:
                raise
            on_error(target, exc)
            continue
        report.unknown.update(still_unknown)
        by_target.setdefault(target, []).extend(found)  # polled in this same round
    for target, active in by_target.items():
        try:
            updates = get_backend(workspace, target).poll([job_ref(r) for r in active])
        except (TransportError, ConfigError) as exc:
            report.unreachable[target] = str(exc)
            if on_error is None:
                raise
            on_error(target, exc)
            continue
        for run_id, update in updates.items():
            if update.state is None:
                if update.unseen:
                    store.mark_unseen(run_id)
                elif update.detail:
                    report.unknown[run_id] = update.detail
                continue
            if not update.unseen:
                store.mark_seen(run_id)
            store.update_status(
                run_id,
                V1_STATUS[update.state],
                detail=update.detail,
                exit_code=update.exit_code,
                inferred=update.inferred,
            )
        _record_job_times(workspace, target, active, updates)
    return report


def _record_job_times(workspace: Any, target: str, before: list[RunRecord], updates: dict[str, Any]) -> None:
    """The true start (and end) times of runs that left the queue, from the files their job wrote.

    Read once per run: when it is first seen started, and once more when it is first seen ended.
    """
    from ..backends import get_backend
    from ..backends.job_times import read_job_times
    from ..job.state import JobState

    need = [
        r
        for r in before
        if r.remote_dir
        and r.run_id in updates
        and updates[r.run_id].state is not None  # no answer this time: nothing new to read
        and updates[r.run_id].state is not JobState.QUEUED
        and (r.status in ("Queued", "Preparing", "Starting", "NotStarted") or updates[r.run_id].state.is_terminal)
    ]
    if not need:
        return
    try:
        times = read_job_times(get_backend(workspace, target).transport, [r.remote_dir or "" for r in need])
    except TransportError:
        return  # the times are a refinement; the status itself is recorded
    for record in need:
        found = times.get(record.remote_dir or "")
        if found is None:
            continue
        ended = found.ended if updates[record.run_id].state.is_terminal else None
        workspace.run_store.set_times(
            record.run_id,
            started_at=utc_from_epoch(found.started) if found.started is not None else None,
            ended_at=utc_from_epoch(ended) if ended is not None else None,
        )


def list_run_files(transport: Any, run_dir: str) -> builtins.list[str]:
    """Every regular file of a run directory, relative to it and sorted: outputs/, logs/, hpcest-logs/,
    metrics/, job.sbatch, the snapshot in src/ (links such as src/outputs -> ../outputs are not followed,
    so nothing is listed twice)."""
    script = 'cd "$1" 2>/dev/null || exit 0; find . -type f -print0; true'
    result = transport.run(["sh", "-c", script, "hpcest-ls", run_dir])
    if not result.ok:
        raise TransportError(f"cannot list the files of {run_dir}: {result.stderr.strip()}")
    return sorted(n[2:] if n.startswith("./") else n for n in result.stdout.split("\0") if n)


def job_ref(record: RunRecord) -> JobRef:
    """What a backend needs to know of a submitted run."""
    if not record.job_id or not record.remote_dir:
        raise UserErrorException(f"run {record.run_id} was never submitted to a scheduler")
    unseen_for = None
    if record.unseen_since:
        since = datetime.strptime(record.unseen_since, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
        unseen_for = (datetime.now(timezone.utc) - since).total_seconds()
    return JobRef(key=record.run_id, job_id=record.job_id, run_dir=record.remote_dir, unseen_for=unseen_for)


def read_from(transport: Any, path: str, offset: int) -> bytes:
    """The bytes of file ``path`` on the cluster from ``offset`` on (b"" if it does not exist yet).

    Sent base64-encoded so byte offsets stay exact whatever the output contains.
    """
    result = transport.run(
        ["sh", "-c", 'test -f "$1" && tail -c "+$2" "$1" | base64 || true', "hpcest-tail", path, str(offset + 1)]
    )
    if not result.ok or not result.stdout.strip():
        return b""
    return base64.b64decode(result.stdout)


def _folder(prefix: str | None) -> str:
    """v1's prefix is a folder: ``outputs``, ``outputs/`` and ``outputs\\`` all mean the files below
    ``outputs/`` (not ``outputs2/``); None or "" mean every file."""
    folder = (prefix or "").replace("\\", "/").rstrip("/")
    return folder + "/" if folder else ""


def _fetch_to(transport: Any, root: str, names: builtins.list[str], places: builtins.list[str]) -> None:
    """Fetch ``names`` (below ``root`` on the cluster) in one transfer, each to its own local path."""
    with tempfile.TemporaryDirectory(prefix="hpcest-download-") as tmp:
        fetched = fetch_tree(transport, root, names, tmp)
        for local, place in zip(fetched, places):
            target = Path(place)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(local), target)
