"""``HyperDriveStepRun`` (v1 ``azureml.pipeline.steps.HyperDriveStepRun``): a HyperDriveStep's run.

v1's class is a HyperDriveRun built from a StepRun (``HyperDriveStepRun(step_run)``, refusing a
step run of another type). Here the step run *is* the sweep: its children are the trials, so
``get_children``, ``get_metrics``, ``get_best_run_by_primary_metric`` ... are HyperDriveRun's, and
its status is settled with its pipeline (the finish job decides how the step ends). The StepRun
it came from stays reachable (``get_output_data``, ``pipeline_run_id``, logs of the finish job).
"""

from __future__ import annotations

from typing import Any

from .pipeline_run import OutputData, StepRun, StepRunOutput
from .sweep_run import HyperDriveRun


class HyperDriveStepRun(HyperDriveRun):
    """The run of a HyperDriveStep (v1 signature: ``HyperDriveStepRun(step_run)``)."""

    def __init__(self, step_run: StepRun) -> None:
        step_type = step_run.properties.get("StepType", "Unknown")
        if step_type != "HyperDriveStep":
            raise ValueError("Step run with wrong type has been provided. step_type: " + str(step_type))
        self._step_run = step_run
        super().__init__(step_run._experiment, step_run.id)

    @property
    def name(self) -> str:
        return self._step_run.name

    @property
    def pipeline_run_id(self) -> str:
        return self._step_run.pipeline_run_id

    @property
    def is_reused(self) -> bool:
        return self._step_run.is_reused

    def get_output_data(self, name: str) -> OutputData:
        return self._step_run.get_output_data(name)

    def get_outputs(self) -> dict[str, StepRunOutput]:
        return self._step_run.get_outputs()

    def get_output(self, name: str) -> StepRunOutput:
        return self._step_run.get_output(name)

    def get_job_log(self) -> str:
        """The finish job's output (best trial, what it copied)."""
        return self._step_run.get_job_log()

    def _read_bytes_from(self, relpath: str, offset: int) -> Any:
        return self._step_run._read_bytes_from(relpath, offset)

    def __repr__(self) -> str:
        return f"HyperDriveStepRun(name={self.name!r}, id={self._run_id!r}, status={self.record.status!r})"
