"""``HyperDriveRun``: a sweep's handle (v1 ``azureml.train.hyperdrive.HyperDriveRun``).

Its children are the trials, ordinary :class:`~hpc_estimator.runs.run.Run` objects with their own
metrics, files and logs. "Best" follows v1: each child's best logged value of the primary metric
(max when maximizing, min when minimizing); runs without the metric come last or are left out.
Among equal values the earliest trial ranks first (``policy_eval.rank_trials``, the rule of the
sweep's controller and of a HyperDriveStep's finish job too).
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import (
    ActivityFailedException,
    HyperDriveConfigException,
    HyperDriveNotImplementedException,
    SchedulerError,
    TrainingException,
    TransportError,
)
from ..v1.hyperdrive.policy_eval import best_value, rank_trials
from .run import Run
from .store import TERMINAL_STATUSES

AML_PREFIX = "_aml_system_"
# v1's HyperDriveErrorStrings.HYPERDRIVE_RUN_CANCELLATION_FAILED.
CANCEL_FAILED = "Exception occurred while cancelling HyperDrive run. Please try again later."


class HyperDriveRun(Run):
    """A HyperDrive sweep (v1 signature: ``HyperDriveRun(experiment, run_id, hyperdrive_config=None, **kwargs)``)."""

    RUN_TYPE = "hyperdrive"
    HYPER_DRIVE_RUN_USER_AGENT = "sdk_run_hyper_drive"
    _runtype = "hyperdrive"

    def __init__(self, experiment: Any, run_id: str, hyperdrive_config: Any = None, **kwargs: Any) -> None:
        if not isinstance(run_id, str):
            raise HyperDriveConfigException("Expected type str for run_id but got [Scrubbed]")
        super().__init__(experiment, run_id, **kwargs)
        self._hyperdrive_config = hyperdrive_config

    @property
    def hyperdrive_config(self) -> Any:
        """The HyperDriveConfig it was submitted with, or one rebuilt from what the sweep recorded."""
        if self._hyperdrive_config is None:
            self._hyperdrive_config = _RecordedConfig(self.record.properties.get("hyperdrive", {}))
        return self._hyperdrive_config

    @property
    def _goal(self) -> str:
        return str(self.hyperdrive_config._primary_metric_config["goal"])

    @property
    def _metric(self) -> str:
        return str(self.hyperdrive_config._primary_metric_config["name"])

    # -- status -------------------------------------------------------------------------------

    def get_status(self) -> str:
        from .sweep import refresh_sweep

        record = self._reload()
        if record.status in TERMINAL_STATUSES and not record.inferred:
            return record.status
        refresh_sweep(self._experiment.workspace, self._run_id)
        return self._reload().status

    def wait_for_completion(
        self, show_output: bool = False, wait_post_processing: bool = False, raise_on_error: bool = True
    ) -> dict[str, Any]:
        """Poll until the sweep ends; ``show_output`` prints one progress line (done/running/stopped/best)."""
        from .sweep import print_progress, progress_line
        from .waiting import wait_until_terminal

        def tick() -> None:
            if show_output:
                best = self._best_so_far()
                print_progress(progress_line(self._experiment.workspace, self._run_id) + best)

        # The shared loop: lost contact is reported and retried, never the end of the wait.
        status = wait_until_terminal(self._run_id, self._poll_once, on_tick=tick)
        if show_output:
            print(f"\nHyperDrive run {self._run_id}: {status}", flush=True)
        if raise_on_error and status == "Failed":
            raise ActivityFailedException(
                f"sweep {self._run_id} failed: {self.record.status_detail or 'unknown reason'}. "
                f"Trials: `hpcest status {self._run_id}`"
            )
        return self.get_details()

    def _best_so_far(self) -> str:
        try:
            rows = self.get_children_sorted_by_primary_metric(top=1, discard_no_metric=True)
        except Exception:  # a progress line must never end the wait
            return ""
        if not rows:
            return ""
        return f", best {self._metric}={rows[0]['best_primary_metric']:.6g} ({rows[0]['run_id']})"

    def cancel(self) -> bool:  # type: ignore[override]  # v1: Run.cancel returns None, HyperDriveRun.cancel a bool
        """Cancel the controller, the job arrays and every trial together; True once the scheduler
        took the cancel (or nothing was left to cancel), as v1 returns True when the service did.

        Raises TrainingException, with v1's message and the scheduler's reason, when it did not;
        nothing is then recorded as canceled.
        """
        from .sweep import cancel_sweep

        try:
            cancel_sweep(self._experiment.workspace, self._run_id)
        except (SchedulerError, TransportError) as exc:
            raise TrainingException(
                f"{CANCEL_FAILED} The scheduler did not take the cancel of {self._run_id}: {exc}"
            ) from exc
        return True

    # -- children -----------------------------------------------------------------------------

    def get_children(
        self,
        recursive: bool = False,
        tags: Any = None,
        properties: Any = None,
        type: Any = None,
        status: Any = None,
        _rehydrate_runs: bool = True,
    ) -> list[Run]:
        store = self._store
        out = []
        for record in store.children(self._run_id):
            if status is not None and record.status != status:
                continue
            out.append(Run(self._experiment, record.run_id, _record=record))
        return out

    def get_hyperparameters(self) -> dict[str, str]:
        """Child run id -> its sampled values as JSON text (v1 read them from the parent's tags)."""
        result: dict[str, str] = {}
        prefix = self._run_id + "_"
        for tag, value in self.tags.items():
            name = tag[len(AML_PREFIX) :] if tag.startswith(AML_PREFIX) else None
            if name and name.startswith(prefix) and name[len(prefix) :].isdigit():
                result[name] = value
        return result

    def get_metrics(self) -> dict[str, Any]:  # type: ignore[override]
        """Every child's metrics, keyed by child run id (v1's batch get_metrics over the children;
        v1's HyperDriveRun.get_metrics takes no arguments, unlike Run.get_metrics)."""
        return {run.id: metrics for run, metrics in self._children_metrics()}

    def get_children_sorted_by_primary_metric(
        self, top: int = 0, reverse: bool = False, discard_no_metric: bool = False
    ) -> list[dict[str, Any]]:
        """v1's rows (run_id, hyperparameters, best_primary_metric, status), best first."""
        assert isinstance(top, int) and top >= 0, "Value of parameter top should be 0 or a positive integer"
        assert isinstance(reverse, bool), "Type of parameter reverse should be bool"
        assert isinstance(discard_no_metric, bool), "Type of parameter discard_no_metric should be bool"
        children = self._children_metrics()
        return self._sorted_rows(children, top=top, reverse=reverse, discard_no_metric=discard_no_metric)

    def _children_metrics(self) -> list[tuple[Run, dict[str, Any]]]:
        """Every child with its metrics (``{}`` for one without a run directory yet), all read in
        one remote command however many children there are."""
        from ..backends.metrics_files import fetch_metrics_of

        children = self.get_children()
        dirs = [(run.id, run.record.remote_dir) for run in children if run.record.remote_dir]
        # The trials run on the sweep's target (record_trials gives them the sweep's).
        fetched = fetch_metrics_of(self._backend().transport, dirs) if dirs else {}
        return [(run, fetched.get(run.id, {})) for run in children]

    def _sorted_rows(
        self,
        children: list[tuple[Run, dict[str, Any]]],
        *,
        top: int = 0,
        reverse: bool = False,
        discard_no_metric: bool = False,
    ) -> list[dict[str, Any]]:
        """``get_children_sorted_by_primary_metric`` of children whose metrics were read already
        (``_children_metrics``): each child's best logged value of the primary metric (max when
        maximizing, min when minimizing; non-numeric values do not count), best first (``reverse``
        flips that), then the children without one in child order, unless ``discard_no_metric``."""
        hyperparameters = self.get_hyperparameters()
        maximize = self._goal == "maximize"
        rows: list[dict[str, Any]] = []
        values: dict[int, float] = {}  # position in child order -> the child's best value
        for position, (run, metrics) in enumerate(children):
            logged = metrics.get(self._metric)
            numbers = [
                v for v in (logged if isinstance(logged, list) else [logged])
                if isinstance(v, (int, float)) and not isinstance(v, bool)
            ]
            best = best_value(numbers, maximize) if numbers else None
            rows.append({
                "run_id": run.id,
                "hyperparameters": hyperparameters.get(run.id),
                "best_primary_metric": best,
                "status": run.record.status,
            })
            if best is not None:
                values[position] = float(best)
        # The children come in trial order (record_trials creates them by index), so rank_trials's
        # rule holds: among equal values the earliest trial first, worst-first (``reverse``) included.
        ordered = [rows[position] for position in rank_trials(values, maximize != reverse)]
        if not discard_no_metric:
            ordered += [row for position, row in enumerate(rows) if position not in values]
        return ordered if top == 0 else ordered[:top]

    def get_best_run_by_primary_metric(
        self, include_failed: bool = True, include_canceled: bool = True, include_resume_from_runs: bool = True
    ) -> Run | None:
        """The child with the best value of the primary metric (v1's filters on Failed / Canceled)."""
        candidates: list[tuple[float, Run]] = []
        sweeps: list[HyperDriveRun] = [self]
        if include_resume_from_runs:
            for run_id in self.record.properties.get("hyperdrive", {}).get("resume_from", []):
                sweeps.append(HyperDriveRun(self._experiment, run_id))
        for sweep in sweeps:
            for row in sweep.get_children_sorted_by_primary_metric(discard_no_metric=True):
                status = row["status"]
                if (
                    (include_failed and status == "Failed")
                    or (include_canceled and status == "Canceled")
                    or (status not in ("Failed", "Canceled"))
                ):
                    candidates.append((row["best_primary_metric"], Run(self._experiment, row["run_id"])))
                    break
        if not candidates:
            return None
        # Among equal values the first listed wins: this sweep's trial, then the parents' in resume_from order.
        values = {position: value for position, (value, _) in enumerate(candidates)}
        ranked = rank_trials(values, self._goal == "maximize")
        return candidates[ranked[0]][1]

    def get_diagnostics(self) -> None:
        raise HyperDriveNotImplementedException("Get diagnostics is not implemented for HyperDrive runs.")

    def fail(self) -> None:  # type: ignore[override]
        raise HyperDriveNotImplementedException("Fail is not implemented for HyperDrive runs.")

    def __repr__(self) -> str:
        return (
            f"HyperDriveRun(experiment={self._experiment.name!r}, id={self._run_id!r}, status={self.record.status!r})"
        )


class _RecordedConfig:
    """The fields of a HyperDriveConfig that a finished sweep's record keeps (for warm start and sorting)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._primary_metric_config = dict(data.get("primary_metric_config") or {"name": "", "goal": "maximize"})
        self._generator_config = {"name": data.get("sampling"), "parameter_space": data.get("parameter_space", {})}
        self._policy_config = data.get("policy_config") or {"name": "Default"}
        self._max_total_runs = int(data.get("max_total_runs", 0))
        self._max_concurrent_runs = int(data.get("max_concurrent_runs", 0))
        self._platform_config = None

    def __repr__(self) -> str:
        return f"HyperDriveConfig(recorded: {json.dumps(self._primary_metric_config)})"
