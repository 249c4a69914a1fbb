"""PipelineData, its input bindings and PipelineParameter (v1 ``azureml.pipeline.core``).

A PipelineData is data one step writes and later steps read. It names a directory only once a
pipeline run exists (on a cluster: a directory per pipeline run and output name on the shared
filesystem), so the objects here are names and modes; the lowering decides the paths. In
arguments a PipelineData stands for ``$AZUREML_DATAREFERENCE_<name>``, as in v1.

The rules, messages and exception types are v1's (``tests/data/v1_reference/pipeline_rules.json``).
"""

from __future__ import annotations

import re
from typing import Any

from ..data import DATA_REFERENCE_TOKEN, DatasetConsumptionConfig, FileDataset

# v1 checks names with re.search(r"\W"): letters, digits and underscores only.
_NOT_A_NAME = re.compile(r"\W")
OUTPUT_MODES = ("mount", "upload")
INPUT_MODES = ("mount", "download")
PARAMETER_ENV_PREFIX = "AML_PARAMETER_"  # a step parameter's variable; $AML_PARAMETER_<name> in arguments


def parameter_env_name(name: str) -> str:
    """The environment variable v1 set for a step parameter (``ParamDef._param_name_to_env_variable``)."""
    return PARAMETER_ENV_PREFIX + re.sub(r"[~\W]", "_", name)


class PipelineData:
    """Intermediate data written by one step and read by others (v1 signature)."""

    def __init__(
        self,
        name: str,
        datastore: Any = None,
        output_name: str | None = None,
        output_mode: str = "mount",
        output_path_on_compute: str | None = None,
        output_overwrite: bool | None = None,
        data_type: str | None = None,
        is_directory: bool | None = None,
        pipeline_output_name: str | None = None,
        training_output: Any = None,
    ) -> None:
        if not name:
            raise ValueError("PipelineData name cannot be empty")
        if _NOT_A_NAME.search(name):
            raise ValueError(
                f"PipelineData name: [{name}] is not a valid, as it may contain only letters, digits, and underscores."
            )
        self._name = name
        if output_name is None:
            output_name = name
        if _NOT_A_NAME.search(output_name):
            raise ValueError(
                f"PipelineData output_name: [{output_name}] is not a valid, as it may contain only letters, "
                f"digits, and underscores."
            )
        self._output_name = output_name
        # Kept for what v1 code reads back; the data itself lives in the pipeline run's directory
        # on the cluster, whatever datastore is named.
        self._datastore = datastore
        self._producer: Any = None
        self._output_mode = output_mode
        self._output_path_on_compute = output_path_on_compute
        self._output_overwrite = output_overwrite
        self._data_type = data_type
        self._is_directory = is_directory
        self._pipeline_output_name = pipeline_output_name
        if self._output_mode not in OUTPUT_MODES:
            raise ValueError(f"Invalid output mode [{self._output_mode}]")
        self._training_output = training_output

    def _set_producer(self, step: Any) -> None:
        self._producer = step

    def as_download(
        self, input_name: str | None = None, path_on_compute: str | None = None, overwrite: bool | None = None
    ) -> InputPortBinding:
        return self.create_input_binding(
            input_name=input_name, mode="download", path_on_compute=path_on_compute, overwrite=overwrite
        )

    def as_mount(self, input_name: str | None = None) -> InputPortBinding:
        return self.create_input_binding(input_name=input_name, mode="mount")

    def as_input(self, input_name: str) -> InputPortBinding:
        return self.create_input_binding(input_name=input_name)

    def create_input_binding(
        self,
        input_name: str | None = None,
        mode: str | None = None,
        path_on_compute: str | None = None,
        overwrite: bool | None = None,
    ) -> InputPortBinding:
        if input_name is None:
            input_name = self._name
        if mode is None:
            mode = "mount"
        if mode not in INPUT_MODES:
            raise ValueError(f"Input [{input_name}] has an invalid mode [{mode}]")
        return InputPortBinding(
            name=input_name, bind_object=self, bind_mode=mode, path_on_compute=path_on_compute, overwrite=overwrite
        )

    def get_env_variable_name(self) -> str:
        # v1 returns str(self), the "$"-prefixed token, despite the method's name.
        return str(self)

    def as_dataset(self) -> Any:
        """This output promoted to a FileDataset (v1); on Slurm the same directory (see output_dataset)."""
        from .output_dataset import PipelineOutputFileDataset

        return PipelineOutputFileDataset(self)

    @property
    def name(self) -> str:
        return self._name

    @property
    def datastore(self) -> Any:
        return self._datastore

    @property
    def data_type(self) -> str | None:
        return self._data_type

    def __str__(self) -> str:
        return DATA_REFERENCE_TOKEN.format(self.name)

    def __repr__(self) -> str:
        return self.__str__()


class TrainingOutput:
    """A specialised output of a HyperDriveStep (or AutoMLStep): its metrics, or its best model (v1 signature).

    Attached to a PipelineData (``PipelineData(..., training_output=TrainingOutput("Model",
    model_file="outputs/model.pkl"))``); HyperDriveStep's ``metrics_output`` gets ``TrainingOutput("Metrics")``.
    """

    def __init__(self, type: str, iteration: int | None = None, metric: str | None = None,
                 model_file: str | None = None) -> None:
        kind = type.lower()
        if kind == "metrics":
            if iteration or metric:
                raise ValueError("Iteration and metric shouldn't be provided for output type: Metrics")
        elif kind == "model":
            if iteration and metric:
                raise ValueError("Both iteration and metric cannot be provided for output type: Model")
        else:
            # v1 passes the type as a second argument, so the message is a tuple's text.
            raise ValueError("Unknown training output type has been provided:", type)
        self._type = type
        self._iteration = iteration
        self._metric = metric
        self._model_file = model_file

    @property
    def type(self) -> str:
        return self._type

    @property
    def iteration(self) -> int | None:
        return self._iteration

    @property
    def metric(self) -> str | None:
        return self._metric

    @property
    def model_file(self) -> str | None:
        return self._model_file

    def __repr__(self) -> str:
        return f"TrainingOutput(type={self._type!r}, model_file={self._model_file!r})"


class InputPortBinding:
    """How a step consumes a PipelineData (or other data): its input name and mount/download (v1 signature)."""

    def __init__(
        self,
        name: str,
        bind_object: Any = None,
        bind_mode: str = "mount",
        path_on_compute: str | None = None,
        overwrite: bool | None = None,
        is_resource: bool = False,
        additional_transformations: Any = None,
        **kwargs: Any,
    ) -> None:
        if bind_object is None:
            raise ValueError("bind_object is required")
        if bind_mode not in INPUT_MODES:
            raise ValueError("invalid bind_mode " + str(bind_mode))
        self.name = name
        self.bind_object = bind_object
        self.bind_mode = bind_mode
        self.path_on_compute = path_on_compute
        self.overwrite = overwrite
        self.is_resource = is_resource
        self.additional_transformations = additional_transformations

    @property
    def data_reference_name(self) -> str:
        return self.name

    def get_bind_object_name(self) -> str:
        bound = self.bind_object
        return str(getattr(bound, "data_reference_name", None) or bound.name)

    def __str__(self) -> str:
        return DATA_REFERENCE_TOKEN.format(self.name)

    def __repr__(self) -> str:
        return f"InputPortBinding(name={self.name!r}, bind_mode={self.bind_mode!r}, bind_object={self.bind_object!r})"


class PipelineParameter:
    """A value fixed at submission: ``pipeline.submit(..., pipeline_parameters={name: value})`` (v1 signature)."""

    def __init__(self, name: str, default_value: Any) -> None:
        self.name = name
        self.default_value = default_value
        # v1 also accepts DataPath and datasets as defaults; scalars are what Slurm steps can use.
        if not isinstance(default_value, (int, str, bool, float, FileDataset, DatasetConsumptionConfig)):
            raise ValueError(f"Default value is of unsupported type: {type(default_value).__name__}")

    def __str__(self) -> str:
        return f"PipelineParameter_Name:{self.name}_Default:{self.default_value}"

    def __repr__(self) -> str:
        return f"PipelineParameter(name={self.name!r}, default_value={self.default_value!r})"
