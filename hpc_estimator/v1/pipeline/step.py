"""PipelineStep and the script-step base: v1's step rules, and what a step resolves to.

A step is checked in two places, as in v1: its constructor (port names, argument/input
consistency, parameters) and the pipeline's graph build (script present, each output produced by
one step, runconfig_pipeline_params names, parameter defaults that agree across steps). Every
message and exception type is v1's (``tests/data/v1_reference/pipeline_rules.json``); where v1
raised a bare ``Exception`` we raise ``UserErrorException``, which is one.

At submission a step resolves, with the submission's parameter values, into a
:class:`~.resolved.ResolvedStep`: the ResolvedRun of its run configuration (the same resolution an
estimator or ScriptRunConfig gets) plus the pipeline data it reads and writes. Reading the file
system is limited to v1's own existence checks (script, source directory).
"""

from __future__ import annotations

import copy
import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ...errors import UserErrorException
from ..data import DATA_REFERENCE_TOKEN, DataPath, DataReference, DatasetConsumptionConfig, Datastore, FileDataset
from ..deprecation import warn_deprecated
from ..resolve import resolve_run_configuration
from ..resolved import ResolvedRun
from ..runconfig import RunConfiguration
from ..script_params import register_data
from ..script_run_config import MAX_DURATION_SECONDS_DEFAULT
from .data import _NOT_A_NAME, InputPortBinding, PipelineData, PipelineParameter, parameter_env_name
from .output_dataset import as_port, output_data
from .resolved import ResolvedStep, StepInput, StepOutput

# The run-configuration properties v1 knows by name (its module parameter provider), and the
# four of them runconfig_pipeline_params may bind to a PipelineParameter.
RUNCONFIG_PROPERTIES = (
    "Target", "TargetType", "AutoPrepareEnvironment", "MLCComputeType", "Framework", "Communicator", "Script",
    "Command", "Arguments", "PrepareEnvironment", "BaseDockerImage", "DockerEnabled", "DockerArguments",
    "RunConfiguration", "JobName", "MaxRunDurationSeconds", "EnvironmentVariables", "InterpreterPath",
    "SharedVolumes", "ShmSize", "GpuSupport", "BaseImageRegistryAddress", "BaseImageRegistryUsername",
    "BaseImageRegistryPassword", "SparkRepositories", "SparkMavenPackages", "SparkConfiguration",
    "PrecachePackages", "HistoryOutputCollection", "ExposedPorts", "ContainerInstanceRegion",
    "ContainerInstanceCpuCores", "ContainerInstanceMemoryGb", "UserManagedDependencies", "CondaDependencies",
    "NodeCount", "YarnDeployMode", "MpiProcessCountPerNode", "TensorflowWorkerCount",
    "TensorflowParameterServerCount", "AMLComputeName", "AMLComputeVmSize", "AMLComputeVmPriority",
    "AMLComputeLocation", "AMLComputeRetainCluster", "AMLComputeNodeCount", "SourceDirectoryDataStore",
    "DirectoriesToWatch", "BaseDockerfile", "BatchAiSubscriptionId", "BatchAiResourceGroup",
    "BatchAiWorkspaceName", "ClusterName", "NativeSharedDirectory",
)
PARAMETERIZABLE = ("NodeCount", "MpiProcessCountPerNode", "TensorflowWorkerCount", "TensorflowParameterServerCount")


def _input_port_name(item: Any) -> str:
    if isinstance(item, DataReference):
        return item.data_reference_name
    return str(item.name)


def _output_port_name(item: Any) -> str:
    return str(item._output_name)


def _training_output(item: Any) -> tuple[str | None, str | None]:
    training = item._training_output
    if training is None:
        return None, None
    return str(training.type).lower(), training.model_file


def _defaults_differ(first: PipelineParameter, second: PipelineParameter, message: str) -> None:
    if first.default_value != second.default_value:
        raise UserErrorException(message.format(first.name, first.default_value, second.default_value))


_SAME_NAME = "Pipeline parameters with same name {0} but different values {1}, {2} used"


def _collect_parameters(items: Any, found: dict[str, PipelineParameter]) -> None:
    for item in items:
        if isinstance(item, PipelineParameter):
            if item.name in found:
                _defaults_differ(found[item.name], item, _SAME_NAME)
            else:
                found[item.name] = item


class GraphContext:
    """What a step needs from the pipeline being built or resolved."""

    def __init__(self, default_source_directory: str, values: Mapping[str, Any] | None = None) -> None:
        self.default_source_directory = default_source_directory
        self.values: Mapping[str, Any] = values or {}
        self.nodes: dict[int, int] = {}  # id(step) -> its index in the graph

    def node_of(self, step: Any) -> int:
        return self.nodes[id(step)]

    def value(self, parameter: PipelineParameter) -> Any:
        value = self.values.get(parameter.name, parameter.default_value)
        if isinstance(value, (FileDataset, DatasetConsumptionConfig, DataPath)):
            raise UserErrorException(
                f"PipelineParameter {parameter.name!r} holds a {type(value).__name__}; on Slurm pipeline parameters "
                f"are values (int, float, bool, str). Pass data to the step as an input instead."
            )
        return value


class PipelineStep:
    """Base of all pipeline steps (v1 ``azureml.pipeline.core.PipelineStep`` signature)."""

    def __init__(
        self,
        name: str,
        inputs: Sequence[Any] | None,
        outputs: Sequence[Any] | None,
        arguments: Sequence[Any] | None = None,
        fix_port_name_collisions: bool = False,
        resource_inputs: Sequence[Any] | None = None,
    ) -> None:
        self.name = name
        self.run_after_steps: list[PipelineStep] = []
        step_type = type(self).__name__
        self.step_type = step_type[:-4] if step_type.endswith("Base") else step_type
        self.step_type = self.step_type.lstrip("_")
        # v1 edits the lists it was given; copies keep the caller's lists as they were.
        # A promoted output (data.as_dataset()) is its PipelineData, or its binding, to a step.
        inputs = [as_port(item) for item in inputs or []]
        outputs = [output_data(item) for item in outputs or []]
        arguments = [as_port(item) for item in arguments or []]
        if resource_inputs:
            raise UserErrorException(
                "resource_inputs (data downloaded into the script folder) are not supported on Slurm; pass the data "
                "as inputs and read it from its path"
            )
        self._process_arguments_and_io(arguments, inputs, outputs)
        self._validate_io_types(inputs, outputs)
        input_names = [_input_port_name(i) for i in inputs]
        output_names = [_output_port_name(o) for o in outputs]
        self._assert_valid_port_names(input_names, output_names, fix_port_name_collisions)
        self._inputs = inputs
        self._arguments = arguments
        self._outputs = outputs
        for output in outputs:
            output._set_producer(self)
        if fix_port_name_collisions:
            self._fix_port_name_collisions(input_names, output_names)
        self._validate_arguments()

    # -- constructor checks (v1's order) ---------------------------------------------------------

    @staticmethod
    def _process_arguments_and_io(arguments: list[Any], inputs: list[Any], outputs: list[Any]) -> None:
        for index, argument in enumerate(arguments):
            if isinstance(argument, tuple):
                raise UserErrorException(
                    "(DataPath or PipelineParameter, DataPathComputeBinding) tuples are not supported on Slurm; pass "
                    "a DataReference (datastore.path('dir').as_mount()) as an input and argument instead"
                )
            if isinstance(argument, FileDataset):
                raise ValueError(
                    "Datasets cannot be used directly as arguments. Please make sure you've called the "
                    "as_named_input method on the dataset object."
                )
            if isinstance(argument, DatasetConsumptionConfig):
                arguments[index] = str(argument)
                if not any(item is argument for item in inputs):
                    inputs.append(argument)

    @staticmethod
    def _validate_io_types(inputs: list[Any], outputs: list[Any]) -> None:
        for item in inputs:
            if isinstance(item, FileDataset):
                raise ValueError(
                    f"{type(item)} cannot be directly used as a step's input. Please call the as_named_input method "
                    f"on {type(item)} and pass the returned DatasetConsumptionConfig instance into the step."
                )
            if not isinstance(item, (PipelineData, InputPortBinding, DataReference, DatasetConsumptionConfig)):
                raise ValueError(f"Unexpected input type: {type(item)}")
        for item in outputs:
            if not isinstance(item, PipelineData):
                raise ValueError(f"Unexpected output type: {type(item)}")

    @staticmethod
    def _assert_valid_port_names(inputs: list[str], outputs: list[str], fix_collisions: bool) -> None:
        def valid(names: list[str], kind: str) -> None:
            for name in names:
                if _NOT_A_NAME.search(name):
                    raise ValueError(
                        f"[{name}] is not a valid {kind} name as it may contain only letters, digits, and underscores."
                    )

        def unique(names: list[str], kind: str, seen: set[str] | None = None) -> None:
            seen = set() if seen is None else seen
            for name in names:
                if name in seen:
                    raise ValueError(f"[{name}] is repeated. {kind.capitalize()} port names must be unique.")
                seen.add(name)

        valid(inputs, "input")
        unique(inputs, "input")
        valid(outputs, "output")
        unique(outputs, "output")
        if not fix_collisions:
            unique(inputs, "Input and Output", set(outputs))

    def _fix_port_name_collisions(self, input_names: list[str], output_names: list[str]) -> None:
        """v1: an input named like one of the step's outputs is renamed INPUT_<name> (arguments follow)."""
        taken = set(output_names)
        renamed: dict[int, Any] = {}
        inputs = []
        for name, item in zip(input_names, self._inputs):
            if isinstance(item, InputPortBinding) and name not in taken:
                name = item.get_bind_object_name()
            if name not in taken:
                inputs.append(item)
                continue
            new_name = f"INPUT_{name}"
            new: Any
            if isinstance(item, DataReference):
                new = DataReference(item.datastore, new_name, item.path_on_datastore, item.mode,
                                    item.path_on_compute, item.overwrite)
            elif isinstance(item, DatasetConsumptionConfig):
                new = DatasetConsumptionConfig(new_name, item.dataset, item.mode, item.path_on_compute)
            elif isinstance(item, InputPortBinding):
                new = InputPortBinding(new_name, item.bind_object, item.bind_mode, item.path_on_compute,
                                       item.overwrite)
                renamed[id(item.bind_object)] = new
            else:
                new = InputPortBinding(new_name, item)
            renamed[id(item)] = new
            inputs.append(new)
        self._inputs = inputs
        self._arguments = [renamed.get(id(a), a) for a in self._arguments]

    def _validate_arguments(self) -> None:
        def in_inputs(argument: Any) -> bool:
            return any(
                item is argument or (isinstance(item, InputPortBinding) and item.bind_object is argument)
                for item in self._inputs
            )

        for argument in self._arguments:
            if isinstance(argument, InputPortBinding):
                if not any(item is argument or argument.bind_object is item for item in self._inputs):
                    raise ValueError(f"Input {argument.name} appears in arguments list but is not in the input list")
            elif isinstance(argument, PipelineData):
                if not (any(o is argument for o in self._outputs) or in_inputs(argument)):
                    raise ValueError(
                        f"Input/Output {argument.name} appears in arguments list but is not in the input/output lists"
                    )
            elif isinstance(argument, DataReference) and not in_inputs(argument):
                raise ValueError(
                    f"Input {argument.data_reference_name} appears in arguments list but is not in the input list"
                )

    def run_after(self, step: PipelineStep) -> None:
        """Run this step after ``step`` completes (v1)."""
        self.run_after_steps.append(step)

    # -- graph build and resolution (overridden by the script steps) ---------------------------

    def _check_in_graph(self, context: GraphContext, parameters: dict[str, PipelineParameter]) -> None:
        """v1's create_node checks, at Pipeline construction; adds the step's parameters to ``parameters``."""
        for output in self._outputs:
            if output._producer is not self:
                raise ValueError(
                    f"Step output {output.name} can not be used as an output for step {self.name}, as it is already "
                    f"an output of step {output._producer.name}."
                )

    def _resolve(self, index: int, context: GraphContext) -> ResolvedStep:
        raise UserErrorException(f"{type(self).__name__} steps cannot run on Slurm")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def node_id(index: int, name: str) -> str:
    """A stable 8-hex-digit node id (v1's ids are random; messages name nodes by them)."""
    return hashlib.sha1(f"{index}\0{name}".encode()).hexdigest()[:8]


def copy_run_config(rc: RunConfiguration) -> RunConfiguration:
    """A copy a step may change without touching the caller's RunConfiguration (or estimator)."""
    clone = copy.copy(rc)
    clone.arguments = list(rc.arguments)
    clone.data_references = dict(rc.data_references)
    clone.data = dict(rc.data)
    clone.mpi = copy.copy(rc.mpi)
    clone.tensorflow = copy.copy(rc.tensorflow)
    clone.pytorch = copy.copy(rc.pytorch)
    clone._environment_variables = dict(rc.environment_variables)
    return clone


class _PythonScriptStepBase(PipelineStep):
    """A script (or command) run with a RunConfiguration: PythonScriptStep, EstimatorStep, CommandStep, MpiStep."""

    # v1's script steps rename an input named like an output (INPUT_<name>); HyperDriveStep refuses it.
    _fixes_port_name_collisions = True

    def __init__(
        self,
        script_name: str | None = None,
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
        command: str | None = None,
    ) -> None:
        params = dict(params or {})
        if name is None:
            name = script_name
        if not script_name and not command:
            raise ValueError("script_name is required")
        if script_name and not isinstance(script_name, str):
            raise ValueError("script_name must be a string")
        if source_directory is not None:
            source_directory = os.fspath(source_directory)
        self._source_directory = source_directory
        if hash_paths:
            warn_deprecated(
                "Parameter 'hash_paths' is deprecated, will be removed. All files under source_directory are hashed "
                "except files listed in .amlignore or .gitignore."
            )
        self._script_name = script_name
        self._command = command
        if runconfig is not None and not isinstance(runconfig, RunConfiguration):
            run_config = getattr(runconfig, "run_config", None)
            if not isinstance(run_config, RunConfiguration):
                raise UserErrorException(
                    f"runconfig must be a RunConfiguration, got {type(runconfig).__name__}; for a ScriptRunConfig "
                    f"pass src.run_config"
                )
            # v1 passed the ScriptRunConfig on unread; its run configuration is what it stands for.
            self._source_directory = self._source_directory or getattr(runconfig, "source_directory", None)
            runconfig = run_config
        self._compute_target = runconfig.target if compute_target is None and runconfig is not None else compute_target
        self._params = params
        self._runconfig = runconfig
        self._runconfig_pipeline_params = dict(runconfig_pipeline_params) if runconfig_pipeline_params else None
        self._allow_reuse = allow_reuse
        self._version = version
        self._parameters_implicit: dict[str, PipelineParameter] = {}
        _collect_parameters(arguments or [], self._parameters_implicit)
        self._parameters_in_params: dict[str, PipelineParameter] = {}
        _collect_parameters(params.values(), self._parameters_in_params)
        if params and self._runconfig_pipeline_params:
            for key in params:
                if key in self._runconfig_pipeline_params:
                    raise ValueError(f"Duplicate parameter {key} in params and runconfig_pipeline_params parameters")
        self._parameters_runconfig: dict[str, PipelineParameter] = {}
        for key, value in (self._runconfig_pipeline_params or {}).items():
            if not isinstance(value, PipelineParameter):
                raise ValueError(
                    f"Invalid type ({type(value).__name__}) for parameter {key}. Expected type is PipelineParameter"
                )
            _collect_parameters([value], self._parameters_runconfig)
        for parameter in self._parameters_implicit.values():
            if parameter.name in self._params:
                raise UserErrorException(f"Parameter name {parameter.name} is already in use")
            self._params[parameter.name] = parameter
        super().__init__(name or "", inputs, outputs, arguments,
                         fix_port_name_collisions=self._fixes_port_name_collisions)

    # -- graph build ----------------------------------------------------------------------------

    def _source_dir(self, context: GraphContext) -> str:
        return self._source_directory if self._source_directory is not None else context.default_source_directory

    def _check_in_graph(self, context: GraphContext, parameters: dict[str, PipelineParameter]) -> None:
        if not self._command:
            script_path = os.path.join(self._source_dir(context), str(self._script_name))
            if not os.path.isfile(script_path):
                raise ValueError(
                    f"Step [{self.name}]: script not found at: {os.path.abspath(script_path)}. Make sure to specify an "
                    f"appropriate source_directory on the Step or default_source_directory on the Pipeline."
                )
        super()._check_in_graph(context, parameters)
        known = set(RUNCONFIG_PROPERTIES) | set(self._params)
        for key in self._runconfig_pipeline_params or {}:
            if key not in known:
                raise ValueError(f"Runconfig property name {key} is not valid")
            if key not in PARAMETERIZABLE:
                raise ValueError(f"Runconfig property {key} is not parameterizable")
        for parameter in self._parameters_runconfig.values():
            for others in (self._parameters_in_params, self._parameters_implicit):
                if parameter.name in others:
                    _defaults_differ(others[parameter.name], parameter, _SAME_NAME)
        for group in (self._parameters_in_params, self._parameters_implicit, self._parameters_runconfig):
            for parameter in group.values():
                if parameter.name in parameters:
                    _defaults_differ(
                        parameters[parameter.name],
                        parameter,
                        "Graph already has pipeline parameter with same name {0} but different default values {1}, {2}",
                    )
                else:
                    parameters[parameter.name] = parameter

    def _pipeline_data_sources(self) -> list[Any]:
        """The PipelineData objects this step reads (their producers must be in the graph)."""
        found = []
        for item in self._inputs:
            bound = item.bind_object if isinstance(item, InputPortBinding) else item
            if isinstance(bound, PipelineData):
                found.append((_input_port_name(item), bound))
        return found

    # -- resolution -----------------------------------------------------------------------------

    def _argument_tokens(self) -> list[str]:
        """The arguments as v1 resolved them: data as $AZUREML_DATAREFERENCE_<port>, parameters as
        $AML_PARAMETER_<name>, everything else as its text."""
        tokens: list[str] = []
        for argument in self._arguments:
            tokens.append(self._token(argument))
        return tokens

    def _token(self, argument: Any) -> str:
        if isinstance(argument, InputPortBinding):
            for item in self._inputs:
                if item is argument or argument.bind_object is item:
                    return DATA_REFERENCE_TOKEN.format(_input_port_name(item))
        if isinstance(argument, (PipelineData, DataReference)):
            for item in self._inputs:
                if item is argument:
                    return DATA_REFERENCE_TOKEN.format(_input_port_name(item))
                if isinstance(item, InputPortBinding) and item.bind_object is argument:
                    return DATA_REFERENCE_TOKEN.format(item.name)
            return DATA_REFERENCE_TOKEN.format(_output_port_name(argument))
        if isinstance(argument, PipelineParameter):
            return "$" + parameter_env_name(argument.name)
        if isinstance(argument, str):
            if argument.startswith("parameter:"):
                name = argument.split("parameter:")[1]
                if name in self._params:
                    return "$" + parameter_env_name(name)
            return argument
        if isinstance(argument, (Datastore, DataPath)):
            raise UserErrorException(
                f"{type(argument).__name__} {argument!r} cannot be a step argument; pass a DataReference "
                f"(datastore.path('dir').as_mount()) and list it in inputs too"
            )
        return str(argument)

    def _step_run_config(self) -> RunConfiguration:
        """A copy of the step's run configuration with its script, arguments and target set."""
        rc = copy_run_config(self._runconfig) if self._runconfig is not None else RunConfiguration()
        rc.target = self._compute_target
        rc.command = None
        rc.script = self._script_name
        rc.arguments = self._argument_tokens()
        return rc

    def _apply_runconfig_parameters(self, rc: RunConfiguration, context: GraphContext) -> None:
        for key, parameter in (self._runconfig_pipeline_params or {}).items():
            value = context.value(parameter)
            if key == "NodeCount":
                rc.node_count = value
            elif key == "MpiProcessCountPerNode":
                rc.mpi.process_count_per_node = value
            elif key == "TensorflowWorkerCount":
                rc.tensorflow.worker_count = value
            elif key == "TensorflowParameterServerCount":
                rc.tensorflow.parameter_server_count = value

    def _register_data_inputs(self, rc: RunConfiguration) -> list[tuple[InputPortBinding | PipelineData, Any]]:
        """Datastore and dataset inputs go on the run configuration as for any run; pipeline data is returned."""
        pipeline_data = []
        for item in self._inputs:
            bound: Any = item.bind_object if isinstance(item, InputPortBinding) else item
            if isinstance(bound, PipelineData):
                pipeline_data.append((item, bound))
                continue
            if isinstance(item, InputPortBinding):
                if isinstance(bound, DataReference):
                    bound = DataReference(bound.datastore, item.name, bound.path_on_datastore, item.bind_mode,
                                          item.path_on_compute, bool(item.overwrite))
                elif isinstance(bound, DatasetConsumptionConfig):
                    bound = DatasetConsumptionConfig(item.name, bound.dataset, item.bind_mode, item.path_on_compute)
                else:
                    raise UserErrorException(
                        f"input {item.name!r} binds a {type(bound).__name__}; bind PipelineData, a DataReference or "
                        f"a dataset (as_named_input)"
                    )
            register_data(bound, rc)
        return pipeline_data

    def _resolve_run_config(self, rc: RunConfiguration, source_directory: str) -> ResolvedRun:
        # ScriptRunConfig's 30-day default is no request for a limit (as for a single run).
        return resolve_run_configuration(
            rc, config_kind=self.step_type, source_directory=source_directory,
            default_duration=MAX_DURATION_SECONDS_DEFAULT,
        )

    def _resolve(self, index: int, context: GraphContext) -> ResolvedStep:
        rc = self._step_run_config()
        self._apply_runconfig_parameters(rc, context)
        pipeline_data = self._register_data_inputs(rc)
        run = self._resolve_run_config(rc, self._source_dir(context))
        inputs = []
        for item, data in pipeline_data:
            if isinstance(item, InputPortBinding):
                inputs.append(StepInput(item.name, item.bind_mode, context.node_of(data._producer),
                                        data._output_name, item.path_on_compute))
            else:
                inputs.append(StepInput(data.name, "mount", context.node_of(data._producer), data._output_name))
        outputs = tuple(
            StepOutput(_output_port_name(o), o.name, o._pipeline_output_name, *_training_output(o))
            for o in self._outputs
        )
        parameters = []
        for key, value in self._params.items():
            shown = context.value(value) if isinstance(value, PipelineParameter) else value
            parameters.append((parameter_env_name(key), shown if isinstance(shown, str) else str(shown)))
        return ResolvedStep(
            index=index,
            name=self.name,
            step_type=self.step_type,
            node_id=node_id(index, self.name),
            run=replace(run, notes=(*run.notes, *self._notes())),
            inputs=tuple(inputs),
            outputs=outputs,
            after=tuple(context.node_of(s) for s in self.run_after_steps),
            allow_reuse=bool(self._allow_reuse),
            version=None if self._version is None else str(self._version),
            parameters=tuple(parameters),
        )

    def _notes(self) -> tuple[str, ...]:
        """What this step wants said at submission (e.g. inputs v1 silently dropped)."""
        return ()
