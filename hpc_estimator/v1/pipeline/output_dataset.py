"""``PipelineData.as_dataset()``: a step output promoted to a FileDataset (v1
``azureml.pipeline.core.pipeline_output_dataset.PipelineOutputFileDataset``).

In v1 the promoted output was registered as a dataset in the service and the consumer got it
mounted or downloaded through the dataset machinery. On Slurm a dataset of files is a directory on
the shared filesystem, and that directory is exactly the PipelineData's: a step that writes the
promoted output writes the PipelineData, and a step that reads it reads the PipelineData, mounted
(v1's default) or downloaded, under its input name (``as_named_input``). Steps take these objects
wherever v1 did (outputs, inputs, arguments) and see the PipelineData or its binding
(:func:`as_port`), so ordering, paths and reuse are the PipelineData's own.
"""

from __future__ import annotations

import copy
from typing import Any

from ...errors import UserErrorException
from .data import InputPortBinding, PipelineData

_TABULAR = (
    "promoting a pipeline output to a TabularDataset ({call}) needs Azure's dataset service; on Slurm the "
    "output is a directory of files: pass the PipelineData (or data.as_dataset()) to the next step and read "
    "the files there, e.g. pandas.read_csv(os.path.join(path, name))"
)


class PipelineOutputFileDataset:
    """A PipelineData promoted to a FileDataset (v1 signature: ``PipelineOutputFileDataset(pipeline_data)``)."""

    def __init__(self, pipeline_data: PipelineData) -> None:
        if not isinstance(pipeline_data, PipelineData):
            raise UserErrorException(
                f"PipelineOutputFileDataset wraps a PipelineData, got {type(pipeline_data).__name__}: "
                f"use PipelineData(name).as_dataset()"
            )
        self._pipeline_data = pipeline_data
        self._input_name: str | None = None
        self._mode = "mount"
        self._path_on_compute: str | None = None
        self._binding: InputPortBinding | None = None

    @property
    def name(self) -> str:
        return self._pipeline_data.name

    @property
    def input_name(self) -> str:
        """The name the consuming step knows it by (v1: the output's name until as_named_input)."""
        return self._input_name or self._pipeline_data.name

    @property
    def pipeline_data(self) -> PipelineData:
        return self._pipeline_data

    def _with(self, **changes: Any) -> PipelineOutputFileDataset:
        other = copy.copy(self)
        other._binding = None
        for key, value in changes.items():
            setattr(other, key, value)
        return other

    def as_named_input(self, name: str) -> PipelineOutputFileDataset:
        return self._with(_input_name=name)

    def as_mount(self, path_on_compute: str | None = None) -> PipelineOutputFileDataset:
        return self._with(_mode="mount", _path_on_compute=path_on_compute)

    def as_download(self, path_on_compute: str | None = None) -> PipelineOutputFileDataset:
        return self._with(_mode="download", _path_on_compute=path_on_compute)

    def as_direct(self) -> PipelineOutputFileDataset:
        raise UserErrorException(
            "as_direct() hands the step a dataset id for Azure's dataset service; on Slurm the output is a "
            "directory: use as_mount() (the default) or as_download()"
        )

    def create_input_binding(self) -> InputPortBinding:
        """A new binding of this input on every call, as in v1."""
        return InputPortBinding(self.input_name, self._pipeline_data, self._mode, self._path_on_compute)

    def _step_binding(self) -> InputPortBinding:
        """The binding steps see for this object: the same one every time, as a step matches the
        arguments it reads to its inputs by identity (hpcest's own; v1 keeps the dataset itself)."""
        if self._binding is None:
            self._binding = self.create_input_binding()
        return self._binding

    def parse_delimited_files(self, *args: Any, **kwargs: Any) -> Any:
        raise UserErrorException(_TABULAR.format(call="as_dataset().parse_delimited_files()"))

    def parse_parquet_files(self, *args: Any, **kwargs: Any) -> Any:
        raise UserErrorException(_TABULAR.format(call="as_dataset().parse_parquet_files()"))

    def register(self, name: str, create_new_version: bool = True) -> PipelineOutputFileDataset:
        raise UserErrorException(
            "registering a pipeline output as a dataset needs Azure's dataset service; on Slurm the output is "
            "the step run's directory: read it with StepRun.get_output_data(name), or register the files "
            "after the run (Dataset.File.from_files under hpcest run)"
        )

    def __str__(self) -> str:
        return str(self._pipeline_data)

    def __repr__(self) -> str:
        return f"PipelineOutputFileDataset({self._pipeline_data.name!r})"


def as_port(item: Any) -> Any:
    """What a step sees of ``item``: a promoted output is its PipelineData (v1's defaults) or its binding."""
    if not isinstance(item, PipelineOutputFileDataset):
        return item
    if item._input_name is None and item._mode == "mount" and item._path_on_compute is None:
        return item._pipeline_data
    return item._step_binding()


def output_data(item: Any) -> Any:
    """What a step writes for ``item``: a promoted output writes its PipelineData."""
    return item._pipeline_data if isinstance(item, PipelineOutputFileDataset) else item
