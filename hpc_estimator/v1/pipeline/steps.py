"""The script steps of v1 ``azureml.pipeline.steps``: PythonScriptStep, EstimatorStep, CommandStep, MpiStep.

Each is a run configuration plus a script or command, so each resolves through the same
``resolve_run_configuration`` as a ScriptRunConfig (an EstimatorStep through its estimator's own
resolution): resources, image and distribution are exactly those of a single run. The steps never
change the objects they are given (v1's EstimatorStep cleared the estimator's target, arguments
and data references in place; here a copy is cleared).
"""

from __future__ import annotations

import os
import shlex
import sys
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import UserErrorException
from ..deprecation import warn_deprecated
from ..estimator import Estimator, MMLBaseEstimator, _EstimatorBase
from ..resolved import ResolvedRun
from ..runconfig import RunConfiguration
from ..script_run_config import ScriptRunConfig
from .data import PipelineParameter
from .step import _PythonScriptStepBase, copy_run_config

_USE_COMMAND_STEP = (
    "is deprecated. Please use 'CommandStep' from 'azureml.pipeline.steps.CommandStep' instead "
    "(hpcest: from hpc_estimator import CommandStep)."
)


class PythonScriptStep(_PythonScriptStepBase):
    """Run a Python script with a RunConfiguration (v1 signature)."""

    def __init__(
        self,
        script_name: str,
        name: str | None = None,
        arguments: Sequence[Any] | None = None,
        compute_target: Any = None,
        runconfig: RunConfiguration | None = None,
        runconfig_pipeline_params: Mapping[str, Any] | None = None,
        inputs: Sequence[Any] | None = None,
        outputs: Sequence[Any] | None = None,
        params: Mapping[str, Any] | None = None,
        source_directory: str | None = None,
        allow_reuse: bool = True,
        version: str | None = None,
        hash_paths: Sequence[str] | None = None,
    ) -> None:
        super().__init__(
            script_name=script_name, name=name, arguments=arguments, compute_target=compute_target,
            runconfig=runconfig, runconfig_pipeline_params=runconfig_pipeline_params, inputs=inputs,
            outputs=outputs, params=params, source_directory=source_directory, allow_reuse=allow_reuse,
            version=version, hash_paths=hash_paths,
        )


class EstimatorStep(PythonScriptStep):
    """Run an estimator as a step (v1 signature; deprecated there in favour of CommandStep)."""

    def __init__(
        self,
        name: str | None = None,
        estimator: Any = None,
        estimator_entry_script_arguments: Sequence[Any] | None = None,
        runconfig_pipeline_params: Mapping[str, Any] | None = None,
        inputs: Sequence[Any] | None = None,
        outputs: Sequence[Any] | None = None,
        compute_target: Any = None,
        allow_reuse: bool = True,
        version: str | None = None,
    ) -> None:
        warn_deprecated(f"'EstimatorStep' {_USE_COMMAND_STEP}")
        if estimator is None or compute_target is None:
            raise ValueError("Estimator, compute_target parameters are required")
        if estimator.run_config.arguments:
            raise ValueError(
                "script_params in Estimator should not be provided to EstimatorStep. Please use "
                "estimator_entry_script_arguments instead."
            )
        if estimator_entry_script_arguments is None:
            raise ValueError(
                "estimator_entry_script_arguments is a required parameter. If the Estimators entryscript does not "
                "accept commandline arguments, set the parameter value to empty list"
            )
        if estimator.run_config.data:
            raise ValueError(
                "Unable to create EstimatorStep as inputs are specified in the Estimator. Please specify all the "
                "inputs in EstimatorStep instead."
            )
        if not isinstance(estimator, MMLBaseEstimator):
            raise UserErrorException("Estimator parameter is not of valid type")
        rc = copy_run_config(estimator.run_config)
        self._dropped_references = sorted(rc.data_references)
        rc.target = None
        rc.arguments = []
        rc.data_references = {}
        self._estimator = estimator
        super().__init__(
            name=name, script_name=rc.script or "", arguments=estimator_entry_script_arguments,
            compute_target=compute_target, runconfig=rc, runconfig_pipeline_params=runconfig_pipeline_params,
            inputs=inputs, outputs=outputs, source_directory=estimator.source_directory, allow_reuse=allow_reuse,
            version=version,
        )

    def _resolve_run_config(self, rc: RunConfiguration, source_directory: str) -> ResolvedRun:
        if isinstance(self._estimator, _EstimatorBase):
            return self._estimator._resolve_run_config(rc)
        return super()._resolve_run_config(rc, source_directory)

    def _notes(self) -> tuple[str, ...]:
        if not self._dropped_references:
            return ()
        return (
            f"step {self.name!r}: the estimator's inputs {', '.join(self._dropped_references)} are not used (v1's "
            f"EstimatorStep drops an estimator's DataReference inputs); list them in EstimatorStep(inputs=[...]) "
            f"and estimator_entry_script_arguments",
        )


class CommandStep(_PythonScriptStepBase):
    """Run a command line (v1 signature: ``command`` is the first parameter)."""

    def __init__(
        self,
        command: str | Sequence[Any] | None = None,
        name: str | None = None,
        compute_target: Any = None,
        runconfig: ScriptRunConfig | RunConfiguration | None = None,
        runconfig_pipeline_params: Mapping[str, Any] | None = None,
        inputs: Sequence[Any] | None = None,
        outputs: Sequence[Any] | None = None,
        params: Mapping[str, Any] | None = None,
        source_directory: str | None = None,
        allow_reuse: bool = True,
        version: str | None = None,
    ) -> None:
        rc: RunConfiguration | None = None
        if runconfig:
            if isinstance(runconfig, ScriptRunConfig):
                source_directory = source_directory if source_directory else runconfig.source_directory
                rc = copy_run_config(runconfig.run_config)
                if runconfig.command:
                    rc.command = runconfig.command
            elif isinstance(runconfig, RunConfiguration):
                rc = copy_run_config(runconfig)
            else:
                raise UserErrorException(
                    f"runconfig must be a ScriptRunConfig or RunConfiguration, got {type(runconfig).__name__}"
                )
            command = command if command else rc.command
            rc.command = None
        if not command:
            raise ValueError("command is required either from command directly or runconfig.")
        items = list(command) if isinstance(command, (list, tuple)) else None
        if items is not None and not items:
            raise ValueError("command is required either from command directly or runconfig.")
        first = str(items[0]) if items is not None else str(command)
        if not name:
            name = "CommandStep_" + first.split(" ", 1)[0]
        split = shlex.split(first, posix="win" not in sys.platform)
        if not split:
            raise ValueError("command is required either from command directly or runconfig.")
        arguments: list[Any] = [*split[1:], *(items[1:] if items is not None else [])]
        if source_directory and not os.path.isdir(source_directory):
            raise ValueError(
                "source_directory should be an existing directory or None for commands already in the target system."
            )
        if not source_directory:
            source_directory = os.getcwd()
        super().__init__(
            command=split[0], script_name=None, name=name, arguments=arguments, compute_target=compute_target,
            runconfig=rc, runconfig_pipeline_params=runconfig_pipeline_params, inputs=inputs,
            outputs=outputs, params=params, source_directory=source_directory, allow_reuse=allow_reuse,
            version=version,
        )

    def _step_run_config(self) -> RunConfiguration:
        rc = super()._step_run_config()
        # The whole command line: its first word as v1 split it, then the resolved arguments.
        rc.command = [shlex.quote(str(self._command)), *rc.arguments]
        rc.script = None
        rc.arguments = []
        return rc


class MpiStep(PythonScriptStep):
    """An MPI job as a step (v1 signature; deprecated there in favour of CommandStep)."""

    def __init__(
        self,
        name: str | None = None,
        source_directory: str | None = None,
        script_name: str | None = None,
        arguments: Sequence[Any] | None = None,
        compute_target: Any = None,
        node_count: int | PipelineParameter | None = None,
        process_count_per_node: int | PipelineParameter | None = None,
        inputs: Sequence[Any] | None = None,
        outputs: Sequence[Any] | None = None,
        allow_reuse: bool = True,
        version: str | None = None,
        hash_paths: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        warn_deprecated(f"'MpiStep' {_USE_COMMAND_STEP}")
        required = [name, source_directory, script_name, arguments, compute_target, node_count, process_count_per_node]
        if any(value is None for value in required):
            raise ValueError(
                "One of the requirement parameters (name, source_directory, script_name, arguments, compute_target, "
                "node_count, process_count_per_node) is not set"
            )
        runconfig_pipeline_params: dict[str, PipelineParameter] = {}
        if isinstance(node_count, PipelineParameter):
            runconfig_pipeline_params["NodeCount"] = node_count
            node_count = node_count.default_value
        if isinstance(process_count_per_node, PipelineParameter):
            runconfig_pipeline_params["MpiProcessCountPerNode"] = process_count_per_node
            process_count_per_node = process_count_per_node.default_value
        environment_variables = kwargs.get("environment_variables")
        with warnings.catch_warnings():
            # The estimator is MpiStep's own building block; its deprecation notices are not the user's.
            warnings.simplefilter("ignore", DeprecationWarning)
            estimator = Estimator(
                source_directory=str(source_directory), compute_target=compute_target, entry_script=script_name,
                script_params={}, node_count=node_count, distributed_backend="mpi",  # type: ignore[arg-type]
                process_count_per_node=process_count_per_node,  # type: ignore[arg-type]
                use_gpu=kwargs.get("use_gpu", False), use_docker=kwargs.get("use_docker", True),
                custom_docker_image=kwargs.get("custom_docker_image"),
                image_registry_details=kwargs.get("image_registry_details"),
                user_managed=kwargs.get("user_managed", False), conda_packages=kwargs.get("conda_packages"),
                pip_packages=kwargs.get("pip_packages"),
                pip_requirements_file_path=kwargs.get("pip_requirements_file_path"),
                environment_definition=kwargs.get("environment_definition"),
            )
        rc = copy_run_config(estimator.run_config)
        if environment_variables:
            # v1 passed them as step params (AML_PARAMETER_<name>); they are also set under their own names.
            rc.environment_variables = {**rc.environment_variables, **environment_variables}
        super().__init__(
            name=name, source_directory=source_directory, script_name=str(script_name), arguments=arguments,
            runconfig=rc, runconfig_pipeline_params=runconfig_pipeline_params or None,
            params=environment_variables, compute_target=compute_target, inputs=inputs, outputs=outputs,
            allow_reuse=allow_reuse, version=version, hash_paths=hash_paths,
        )
