"""``PipelineRun`` and ``StepRun`` (v1 ``azureml.pipeline.core.run``): a pipeline run and its steps.

A PipelineRun is a run of kind ``pipeline`` in the run store, each step a child run of kind
``step`` named after the step; both are Runs (metrics, files, logs of the step's run directory).
Their ``get_status`` speaks v1's pipeline words ("Finished" where a single run says "Completed"),
and ``wait_for_completion`` returns that word, as v1's do. Status is refreshed for the whole
pipeline at once (one scheduler query for all steps, see ``pipeline_status``).
"""

from __future__ import annotations

import builtins
import codecs
import posixpath
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ActivityFailedException, TransportError, UserErrorException, WaitTimeoutError
from .pipeline_status import cancel_pipeline, refresh_pipelines
from .run import RANK0_LOG, Run
from .store import RunRecord
from .waiting import PollResult, wait_until_terminal

if TYPE_CHECKING:
    from ..v1.pipeline import Pipeline
    from .experiment import Experiment

# Run-store status -> what v1's StepRun.get_status answered (a node's status, which has "Queued").
V1_STEP_STATUS = {
    "Completed": "Finished",
    "NotStarted": "NotStarted",
    "Preparing": "NotStarted",
    "Provisioning": "NotStarted",
    "Queued": "Queued",
    "Starting": "Running",
    "Running": "Running",
    "Finalizing": "Running",
    "CancelRequested": "Running",
    "Failed": "Failed",
    "Canceled": "Canceled",
    "NotResponding": "Running",
}
# ... and PipelineRun.get_status: a pipeline's own status is one of NotStarted, Running, Failed,
# Finished, Canceled (azureml.pipeline.core's _AevaPipelineRunProvider.get_status); the run store
# has a pipeline Queued until one of its steps has started.
V1_PIPELINE_STATUS = {**V1_STEP_STATUS, "Queued": "NotStarted"}
_SUBMIT_KEYWORDS = ("continue_on_step_failure", "regenerate_outputs", "pipeline_parameters", "pipeline_params",
                    "parent_run_id", "_parent_run_id", "credential_passthrough", "enable_email_notification")


def v1_status(status: str) -> str:
    """A step's run-store status in v1's words."""
    return V1_STEP_STATUS.get(status, status)


def v1_pipeline_status(status: str) -> str:
    """A pipeline's run-store status in v1's words."""
    return V1_PIPELINE_STATUS.get(status, status)


def submit_pipeline_run(
    experiment: Experiment, pipeline: Pipeline, tags: dict[str, Any] | None = None, **kwargs: Any
) -> PipelineRun:
    """``Experiment.submit(pipeline, ...)``, reading the keywords v1's ``_submit_pipeline`` read."""
    from .pipeline_submission import submit_pipeline

    unknown = sorted(set(kwargs) - set(_SUBMIT_KEYWORDS))
    if unknown:
        warnings.warn(f"experiment.submit(pipeline, ...) ignores {', '.join(unknown)} (as v1 did)", stacklevel=3)
    parameters = kwargs.get("pipeline_parameters")
    if "pipeline_params" in kwargs:
        warnings.warn("The 'pipeline_params' argument is deprecated. Please use 'pipeline_parameters' instead.",
                      DeprecationWarning, stacklevel=3)
        parameters = kwargs["pipeline_params"]
    record = submit_pipeline(
        experiment.workspace,
        experiment.name,
        pipeline,
        pipeline_parameters=parameters,
        continue_on_step_failure=bool(kwargs.get("continue_on_step_failure", False)),
        regenerate_outputs=bool(kwargs.get("regenerate_outputs", False)),
        parent_run_id=kwargs.get("parent_run_id", kwargs.get("_parent_run_id")),
        tags=tags,
    )
    return PipelineRun(experiment, record.run_id)


def pipeline_run_for(experiment: Experiment, record: RunRecord) -> Run:
    """The v1 class for a stored pipeline or step run (a HyperDriveStep's: HyperDriveStepRun)."""
    if record.kind == "pipeline":
        return PipelineRun(experiment, record.run_id, _record=record)
    step = StepRun(experiment, record.run_id, record.parent_id or "", str(record.properties.get("step_index", "")),
                   _record=record)
    if record.properties.get("StepType") == "HyperDriveStep":
        from .pipeline_sweep_run import HyperDriveStepRun

        return HyperDriveStepRun(step)
    return step


class OutputData:
    """A step output's directory on the cluster (v1: the PortDataReference of a step output)."""

    def __init__(self, run: Run, name: str, path: str) -> None:
        self._run = run
        self.data_reference_name = name
        self.path_on_datastore = path  # the directory on the cluster's shared filesystem
        self.datastore_name: str | None = None

    @property
    def path(self) -> str:
        return self.path_on_datastore

    def download(self, local_path: str, overwrite: bool | None = None, show_progress: bool | None = None) -> str:
        """Copy the directory's files to ``local_path/<name>``; returns that directory."""
        transport = self._run._backend().transport
        script = 'cd "$1" 2>/dev/null || exit 3; find -L . -type f -print0'
        result = transport.run(["sh", "-c", script, "hpcest-ls", self.path_on_datastore])
        if not result.ok:
            raise TransportError(f"cannot list output {self.data_reference_name!r} at {self.path_on_datastore}")
        target = Path(local_path) / self.data_reference_name
        for relpath in sorted(n[2:] for n in result.stdout.split("\0") if n):
            dest = target / relpath
            if dest.exists() and overwrite is False:
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            transport.get(posixpath.join(self.path_on_datastore, relpath), dest)
            if show_progress:
                print(f"downloaded {relpath}", flush=True)
        target.mkdir(parents=True, exist_ok=True)
        return str(target)

    def __repr__(self) -> str:
        return f"OutputData(name={self.data_reference_name!r}, path={self.path_on_datastore!r})"


class StepRunOutput:
    """One output of a step run (v1 name); ``get_port_data_reference()`` gives its directory."""

    def __init__(self, step_run: StepRun, name: str) -> None:
        self.step_run = step_run
        self.name = name
        self.pipeline_run_id = step_run.pipeline_run_id

    def get_port_data_reference(self) -> OutputData:
        return self.step_run.get_output_data(self.name)


class StepRun(Run):
    """A step of a pipeline run (v1 signature)."""

    def __init__(
        self,
        experiment: Experiment,
        step_run_id: str,
        pipeline_run_id: str,
        node_id: str,
        _service_endpoint: Any = None,
        _is_reused: bool = False,
        _current_node_id: Any = None,
        _reused_run_id: str | None = None,
        _reused_node_id: Any = None,
        _reused_pipeline_run_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(experiment, step_run_id, **kwargs)
        self._pipeline_run_id = pipeline_run_id
        self._node_id = node_id
        reused = self.record.properties.get("reused_run_id")
        self._is_reused = bool(_is_reused or reused)
        self._reused_run_id = _reused_run_id or reused

    @property
    def pipeline_run_id(self) -> str:
        return self._pipeline_run_id

    @property
    def name(self) -> str:
        return self.record.name or self._run_id

    @property
    def parent(self) -> PipelineRun:  # type: ignore[override]
        return PipelineRun(self._experiment, self._pipeline_run_id)

    @property
    def is_reused(self) -> bool:
        return self._is_reused

    def get_status(self) -> str:
        """v1's step status: NotStarted, Queued, Running, Failed, Finished or Canceled."""
        return v1_status(_refreshed_record(self).status)

    def wait_for_completion(  # type: ignore[override]  # v1's step/pipeline runs return their status word
        self, show_output: bool = True, timeout_seconds: int = sys.maxsize, raise_on_error: bool = True
    ) -> str:
        status = _wait_step(self, show_output=show_output, timeout_seconds=timeout_seconds)
        if raise_on_error and status == "Failed":
            raise ActivityFailedException(
                f"step {self.name!r} ({self._run_id}) failed: {self.record.status_detail or 'unknown reason'}. "
                f"Logs: `hpcest logs {self._pipeline_run_id} --step {self.name}`"
            )
        return status

    def get_outputs(self) -> dict[str, StepRunOutput]:
        return {name: StepRunOutput(self, name) for name in self._output_paths()}

    def get_output(self, name: str) -> StepRunOutput:
        if name not in self._output_paths():
            raise UserErrorException(self._no_output(name))
        return StepRunOutput(self, name)

    def get_output_data(self, name: str) -> OutputData:
        """The directory step output ``name`` was written to (``.download(local_path)`` copies it here)."""
        paths = self._output_paths()
        if name not in paths:
            raise UserErrorException(self._no_output(name))
        return OutputData(self, name, paths[name])

    def _output_paths(self) -> dict[str, str]:
        return dict(self.record.properties.get("outputs") or {})

    def _no_output(self, name: str) -> str:
        known = ", ".join(sorted(self._output_paths())) or "none"
        return f"step {self.name!r} has no output {name!r}; its outputs: {known}"

    def _read_log(self, relpath: str) -> str:
        return self._read_bytes_from(relpath, 0).decode("utf-8", errors="replace")

    def get_job_log(self) -> str:
        """The batch script's own output (set-up, image fetch, srun)."""
        record = self.record
        return self._read_log("hpcest-logs/batch.out" if record.backend == "local" else
                              f"hpcest-logs/slurm-{record.job_id}.out")

    def get_stdout_log(self) -> str:
        """Rank 0's output (its stdout and stderr share one file)."""
        return self._read_log(RANK0_LOG)

    def get_stderr_log(self) -> str:
        """Rank 0's output: on a cluster stderr goes to the same file as stdout."""
        return self._read_log(RANK0_LOG)

    def __repr__(self) -> str:
        return f"StepRun(name={self.name!r}, id={self._run_id!r}, status={self.record.status!r})"


class PipelineRun(Run):
    """A run of a pipeline (v1 signature; ``**kwags`` is v1's own spelling)."""

    def __init__(self, experiment: Experiment, run_id: str, _service_endpoint: Any = None, **kwags: Any) -> None:
        super().__init__(experiment, run_id, **kwags)

    def get_status(self) -> str:
        """v1's pipeline status: NotStarted, Running, Failed, Finished or Canceled."""
        return v1_pipeline_status(_refreshed_record(self).status)

    def _step_records(self) -> builtins.list[RunRecord]:
        """The steps' records in the order they run (each after the steps it depends on), as the
        pipeline's spec lists them; a step the spec does not list comes last."""
        order = {s["run_id"]: i for i, s in enumerate(self.record.spec.get("steps", []))}
        return sorted(self._store.children(self._run_id), key=lambda r: order.get(r.run_id, len(order)))

    def get_steps(self) -> builtins.list[StepRun]:
        """The steps in the order they run (each after the steps it depends on)."""
        return [pipeline_run_for(self._experiment, r) for r in self._step_records()]  # type: ignore[misc]

    def _step_runs(self) -> builtins.list[StepRun]:
        """The steps as StepRuns (v1's step words), whatever class get_steps gives them."""
        return [StepRun(self._experiment, r.run_id, self._run_id, str(r.properties.get("step_index", "")), _record=r)
                for r in self._step_records()]

    def find_step_run(self, name: str) -> builtins.list[StepRun]:
        """The step runs named ``name`` (a list: v1 lets several steps share a name)."""
        return [s for s in self.get_steps() if s.name == name]

    def get_graph(self) -> dict[str, Any]:
        """The pipeline's steps with their dependencies, outputs and reuse decisions."""
        return {"steps": list(self.record.spec.get("steps", [])), "parameters": self.record.spec.get("parameters")}

    def get_pipeline_output(self, pipeline_output_name: str) -> OutputData:
        for step in self._step_runs():
            entry: dict[str, Any] = next((s for s in self.record.spec["steps"] if s["run_id"] == step.id), {})
            output = entry.get("pipeline_outputs", {}).get(pipeline_output_name)
            if output:
                return step.get_output_data(output)
        raise UserErrorException(
            f"pipeline run {self._run_id} has no output named {pipeline_output_name!r} "
            f"(PipelineData(..., pipeline_output_name=...))"
        )

    def get_details(self) -> dict[str, Any]:
        details = super().get_details()
        details["steps"] = [
            {"name": s.name, "runId": s.id, "status": s.record.status, "reused": s.is_reused} for s in self._step_runs()
        ]
        return details

    def cancel(self) -> None:
        """Cancel every queued or running step (one scancel on Slurm)."""
        record = self._reload()
        if record.is_terminal:
            return
        cancel_pipeline(self._experiment.workspace, record)

    def wait_for_completion(  # type: ignore[override]  # v1's step/pipeline runs return their status word
        self, show_output: bool = True, timeout_seconds: int = sys.maxsize, raise_on_error: bool = True
    ) -> str:
        """Wait for the pipeline to end; with ``show_output`` each step's output is streamed under a step
        header as the step runs. Returns v1's final status word ("Finished", "Failed", "Canceled")."""
        started = time.monotonic()
        if show_output:
            print(f"PipelineRunId: {self._run_id}", flush=True)
            print(f"PipelineRun Status: {self.get_status()}", flush=True)
            for step in self._step_runs():
                left = timeout_seconds - (time.monotonic() - started)
                if left <= 0:
                    break
                print("\n", flush=True)
                _wait_step(step, show_output=True, timeout_seconds=int(left))
        status = _wait(self, timeout_seconds - (time.monotonic() - started))
        record = self.record
        if show_output:
            title = "PipelineRun Execution Summary"
            print(f"\n{title}\n{'=' * len(title)}\nPipelineRun Status: {status}", flush=True)
            if record.status == "Failed" and not raise_on_error:
                print(f"\nError:\n{record.status_detail}", flush=True)
        if raise_on_error and status == "Failed":
            raise ActivityFailedException(
                f"pipeline run {self._run_id} failed: {record.status_detail or 'unknown reason'}"
            )
        return status

    def __repr__(self) -> str:
        return f"PipelineRun(experiment={self._experiment.name!r}, id={self._run_id!r}, status={self.record.status!r})"


_DONE = ("Finished", "Failed", "Canceled")


def _refreshed_record(run: PipelineRun | StepRun) -> RunRecord:
    """The run's record after one status round of its pipeline (no round once its verdict is final).

    For a pipeline's or a step's record this is what ``Run.get_status`` does (``refresh_status``
    hands those to ``refresh_pipelines``); it asks ``refresh_pipelines`` itself because these classes
    can also be built (v1's constructors) on the id of another kind of run, which ``Run.get_status``
    would poll as that kind and these never have.
    """
    record = run._reload()
    if not record.is_terminal or record.inferred:  # an inferred verdict may still be corrected
        refresh_pipelines(run._experiment.workspace, [record])
        record = run._reload()
    return record


def _poll(run: PipelineRun | StepRun) -> PollResult:
    """One status round (v1's words); a cluster that cannot be reached is reported, not raised."""
    try:
        status = run.get_status()
    except TransportError as exc:
        words = v1_pipeline_status if isinstance(run, PipelineRun) else v1_status
        return PollResult(words(run.record.status), False, lost=f"cannot reach {run.record.target!r}: {exc}")
    return PollResult(status, status in _DONE)


def _wait(run: PipelineRun | StepRun, timeout_seconds: float, on_tick: Callable[[], None] = lambda: None) -> str:
    """Poll until done through outages (runs.waiting); v1 returns the status it has at its timeout."""
    try:
        return wait_until_terminal(run.id, lambda: _poll(run), timeout_s=max(timeout_seconds, 0), on_tick=on_tick)
    except WaitTimeoutError:
        return _poll(run).status


def _wait_step(step: StepRun, *, show_output: bool, timeout_seconds: int) -> str:
    """Wait for one step; with ``show_output`` print its header, stream rank 0's output, then its status."""
    name = step.name
    if show_output:
        print(f"StepRunId: {step.id}", flush=True)
        if step.is_reused:
            print(f"StepRun( {name} ) Status: Finished (reused: {step._reused_run_id})", flush=True)
            return "Finished"
    offset, old = 0, None
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    started = time.monotonic()
    streaming = False

    def tick() -> None:
        nonlocal offset, old, streaming
        if not show_output:
            return
        status = v1_status(step.record.status)  # as the poll just recorded it
        if status != old:
            print(f"StepRun( {name} ) Status: {status}", flush=True)
            old = status
        chunk = step._read_bytes_from(RANK0_LOG, offset)
        if chunk:
            if not streaming:
                print(f"\nStreaming {RANK0_LOG}\n{'=' * (len(RANK0_LOG) + 10)}", flush=True)
                streaming = True
            sys.stdout.write(decoder.decode(chunk))
            sys.stdout.flush()
            offset += len(chunk)

    status = _wait(step, timeout_seconds, on_tick=tick)
    if status not in _DONE:
        if show_output:
            print(f"Timed out of waiting. Elapsed time: {time.monotonic() - started:.0f}", flush=True)
        return status
    if show_output:
        chunk = step._read_bytes_from(RANK0_LOG, offset)
        if chunk:
            sys.stdout.write(decoder.decode(chunk))
        title = f"StepRun({name}) Execution Summary"
        print(f"\n{title}\n{'=' * len(title)}\nStepRun( {name} ) Status: {status}", flush=True)
        detail = step.record.status_detail
        if status in ("Failed", "Canceled") and detail:
            print(detail, flush=True)
    return status
