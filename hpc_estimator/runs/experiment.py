"""``Experiment``: a named group of runs in a workspace (Azure ML v1 ``azureml.core.Experiment``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..errors import TrainingException, UserErrorException

# v1: 1-255 characters, letters, digits, '_' and '-', starting with a letter or digit.
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")

# Keywords v1 accepted on experiment.submit(estimator, ...); any other raised TrainingException.
_ESTIMATOR_SUBMIT_KWARGS = ("script_params", "inputs", "source_directory_data_store")


class Experiment:
    def __init__(
        self,
        workspace: Any,
        name: str,
        _skip_name_validation: bool = False,
        _id: Any = None,
        _archived_time: Any = None,
        _create_in_cloud: bool = True,
        _experiment_dto: Any = None,
        **kwargs: Any,
    ) -> None:
        if not _skip_name_validation and (not isinstance(name, str) or not _NAME_RE.match(name)):
            raise UserErrorException(
                f"experiment name {name!r} is not valid: use 1-255 letters, digits, '_' or '-', "
                "starting with a letter or digit"
            )
        if workspace is None:
            raise UserErrorException("Experiment needs a workspace: Experiment(Workspace.from_config(), name)")
        self._workspace = workspace
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    @property
    def workspace(self) -> Any:
        return self._workspace

    def submit(self, config: Any, tags: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """Submit an Estimator or ScriptRunConfig (a Run), a Pipeline (a PipelineRun) or a HyperDriveConfig
        (a HyperDriveRun)."""
        from ..v1.pipeline import Pipeline
        from .run import Run
        from .submission import submit

        if isinstance(config, Pipeline):
            from .pipeline_run import submit_pipeline_run

            return submit_pipeline_run(self, config, tags=tags, **kwargs)
        if _is_sweep(config):
            from .sweep import submit_sweep
            from .sweep_run import HyperDriveRun

            if kwargs:
                raise TrainingException(
                    f"experiment.submit() got unexpected keyword(s) {', '.join(sorted(kwargs))} for HyperDriveConfig"
                )
            record = submit_sweep(self._workspace, self._name, config, tags=tags)
            return HyperDriveRun(self, record.run_id, hyperdrive_config=config, _record=record)
        if kwargs:
            config = _apply_submit_overrides(config, kwargs)
        record = submit(self._workspace, self._name, config, tags=tags)
        return Run(self, record.run_id, _record=record)

    def get_runs(
        self, type: str | None = None, tags: Any = None, properties: Any = None, include_children: bool = False
    ) -> Iterator[Any]:
        """Runs of this experiment, newest first (v1 order), each as the v1 class of its kind; pipeline steps
        only with ``include_children``."""
        from .run import run_for

        for record in self._workspace.run_store.list(experiment=self._name, top_level=not include_children):
            if tags and not _matches(record.tags, tags):
                continue
            if properties and not _matches(record.properties, properties):
                continue
            yield run_for(self, record)

    @staticmethod
    def list(
        workspace: Any, experiment_name: str | None = None, view_type: str = "ActiveOnly", tags: Any = None
    ) -> list[Experiment]:
        names = sorted({r.experiment for r in workspace.run_store.list(limit=None)})
        if experiment_name is not None:
            names = [n for n in names if n == experiment_name]
        return [Experiment(workspace, n, _skip_name_validation=True) for n in names]

    def __repr__(self) -> str:
        return f"Experiment(name={self._name!r}, workspace={self._workspace!r})"


def _is_sweep(config: Any) -> bool:
    from ..v1.hyperdrive import HyperDriveConfig

    return isinstance(config, HyperDriveConfig)


def _matches(values: dict[str, Any], wanted: Any) -> bool:
    if isinstance(wanted, str):
        return wanted in values
    if isinstance(wanted, dict):
        return all(str(values.get(k)) == str(v) for k, v in wanted.items())
    return all(k in values for k in wanted)


def _apply_submit_overrides(config: Any, kwargs: dict[str, Any]) -> Any:
    unknown = sorted(set(kwargs) - set(_ESTIMATOR_SUBMIT_KWARGS))
    if unknown or not hasattr(config, "_submit_with_overrides"):
        allowed = ", ".join(_ESTIMATOR_SUBMIT_KWARGS)
        raise TrainingException(
            f"experiment.submit() got unexpected keyword(s) {', '.join(unknown or sorted(kwargs))} for "
            f"{type(config).__name__}; estimators accept {allowed} at submit time, ScriptRunConfig none"
        )
    return config._submit_with_overrides(**kwargs)
