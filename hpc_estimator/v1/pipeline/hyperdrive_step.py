"""HyperDriveStep (v1 ``azureml.pipeline.steps``): a HyperDrive sweep run as one step of a pipeline.

v1's constructor rules, in v1's order and with its messages
(``tests/data/v1_reference/hyperdrive_step_rules.json``): the step's arguments replace the
estimator's (an estimator with script_params or inputs is refused; a ScriptRunConfig's own
arguments serve when the step has none), ``metrics_output`` must be a PipelineData and gets
``TrainingOutput("Metrics")``, other outputs carry what their ``training_output`` says (the best
trial's ``model_file``). Inputs reach every trial as they reach an EstimatorStep's job.

It resolves, like the script steps, into a ResolvedStep whose ``run`` is what every trial runs,
plus ``sweep``: the HyperDriveConfig's ResolvedSweep with that trial. Running it (job arrays, the
controller, the finish job that writes the outputs) is the lowering's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ...errors import HyperDriveScenarioNotSupportedException, UserErrorException
from ..compute import LOCAL_TARGET
from ..data import DataReference
from ..estimator import _EstimatorBase
from ..hyperdrive.config import LOCAL_REFUSAL, HyperDriveConfig
from ..resolved import ResolvedRun
from ..runconfig import RunConfiguration
from .data import PipelineData, TrainingOutput
from .resolved import ResolvedStep
from .step import GraphContext, _PythonScriptStepBase, copy_run_config


class HyperDriveStep(_PythonScriptStepBase):
    """Hyperparameter tuning as a pipeline step (v1 signature)."""

    # v1's HyperDriveStep is a plain PipelineStep: an input named like an output is refused.
    _fixes_port_name_collisions = False

    def __init__(
        self,
        name: str,
        hyperdrive_config: HyperDriveConfig,
        estimator_entry_script_arguments: list[Any] | None = None,
        inputs: Sequence[Any] | None = None,
        outputs: Sequence[Any] | None = None,
        metrics_output: Any = None,
        allow_reuse: bool = True,
        version: str | None = None,
    ) -> None:
        if name is None:
            raise ValueError("name is required")
        if not isinstance(name, str):
            raise ValueError("name must be a string")
        if hyperdrive_config is None:
            raise ValueError("hyperdrive_config is required")
        if not isinstance(hyperdrive_config, HyperDriveConfig):
            raise ValueError(f"Unexpected hyperdrive_config type: {type(hyperdrive_config)}")
        if hyperdrive_config.pipeline is not None:
            raise ValueError("hyperdrive_config initiated with pipeline is not supported. Please use estimator.")
        estimator, script_run = hyperdrive_config.estimator, hyperdrive_config.run_config
        if estimator is not None:
            run_config: RunConfiguration = estimator.run_config
        elif script_run is not None:
            run_config = script_run.run_config
        else:
            raise ValueError("run_config has not been provided either from Estimator or HyperDriveConfig")
        using_script_run = estimator is None
        if run_config.arguments and not using_script_run:
            raise ValueError(
                "arguments in Estimator run_config should not be provided. Please use arguments in the step"
            )
        # v1 looks for data_references on the estimator's RunConfiguration only (a ScriptRunConfig has none).
        if not using_script_run and run_config.data_references:
            raise ValueError(
                "data_references in Estimator run_config should not be provided.Please use inputs in the step"
            )
        arguments = estimator_entry_script_arguments
        if arguments is None and not using_script_run:
            raise ValueError(
                "estimator_entry_script_arguments is a required parameter if using Estimator.If the Estimators entry "
                "script does not accept commandline arguments, set the parameter value to empty list"
            )
        if arguments is not None and not isinstance(arguments, list):
            raise ValueError("estimator_entry_script_arguments expects arguments as a list.")
        if using_script_run:
            if arguments is not None and run_config.arguments:
                raise ValueError(
                    "Only one of estimator_entry_script_arguments and ScriptRunConfig.arguments should be set."
                )
            if run_config.arguments:
                arguments = list(run_config.arguments)
            if arguments is None:
                arguments = []
        outputs = list(outputs or [])
        if metrics_output is not None:
            if not isinstance(metrics_output, (PipelineData, DataReference)):
                raise ValueError(f"Unexpected metrics_output type: {type(metrics_output)}")
            if isinstance(metrics_output, DataReference):
                raise UserErrorException(
                    "HyperDriveStep(metrics_output=DataReference(...)) writes to a datastore path, which Slurm "
                    "pipelines do not have; pass a PipelineData (metrics_output=PipelineData('metrics')) and read "
                    "it in the next step"
                )
            metrics_output._training_output = TrainingOutput("Metrics")
            outputs.append(metrics_output)
        self._hyperdrive_config = hyperdrive_config
        self._estimator = estimator
        rc = copy_run_config(run_config)
        rc.arguments = []
        super().__init__(
            script_name=rc.script or "", name=name, arguments=arguments, compute_target=rc.target, runconfig=rc,
            inputs=inputs, outputs=outputs, source_directory=hyperdrive_config.source_directory,
            allow_reuse=allow_reuse, version=version,
        )

    @property
    def hyperdrive_config(self) -> HyperDriveConfig:
        return self._hyperdrive_config

    def _resolve_run_config(self, rc: RunConfiguration, source_directory: str) -> ResolvedRun:
        if isinstance(self._estimator, _EstimatorBase):
            return self._estimator._resolve_run_config(rc)
        return super()._resolve_run_config(rc, source_directory)

    def _resolve(self, index: int, context: GraphContext) -> ResolvedStep:
        step = super()._resolve(index, context)
        if step.run.target == LOCAL_TARGET:
            raise HyperDriveScenarioNotSupportedException(
                f"step {self.name!r}: {LOCAL_REFUSAL} hpcest keeps this refusal, so a pipeline with a HyperDriveStep "
                f"cannot run on compute_target='local': give the step's "
                f"{'estimator' if self._estimator is not None else 'ScriptRunConfig'} and the pipeline's other steps "
                f"compute_target='<cluster profile>' (see `hpcest cluster list`)"
            )
        trial = replace(step.run, config_kind=f"HyperDrive trial of {step.run.config_kind}")
        sweep = self._hyperdrive_config._resolved_sweep(trial=trial)
        notes = tuple(
            f"step {self.name!r}: output {o.name!r} has no training_output, so the sweep writes nothing into it; "
            f"attach one (PipelineData(..., training_output=TrainingOutput('Model', model_file=...)))"
            for o in step.outputs
            if o.training_output is None
        )
        return replace(step, run=trial, sweep=replace(sweep, notes=(*sweep.notes, *notes)))
