"""Path-based analogues of the v1 data objects: Datastore, DataPath, DataReference, Dataset.

On a Slurm cluster "data in a datastore" is a directory on the shared filesystem, so a
``Datastore`` is a name plus an absolute root directory, and every reference resolves to an
absolute ``cluster_path``. The objects only describe data; the compiler decides how to bind or copy
it into the job (mount = bind the directory, download = copy it to ``path_on_compute`` first).

Names end up in environment variables (``AZUREML_DATAREFERENCE_<name>``), so they are restricted to
letters, digits and underscores, as in v1.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from typing import Any

from ..errors import UserErrorException
from .keywords import explain_call_errors

SUPPORTED_DATAREF_MODES = ["mount", "download", "upload"]
DATA_REFERENCE_TOKEN = "$AZUREML_DATAREFERENCE_{}"
DATASET_ARGUMENT_TEMPLATE = "DatasetConsumptionConfig:{}"
DATASET_MODES = ("direct", "mount", "download")

_NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")


def _check_name(value: Any, parameter: str) -> str:
    if not isinstance(value, str) or not _NAME_RE.match(value):
        raise UserErrorException(
            f"{parameter} must contain only letters, digits and underscores (it becomes part of an "
            f"environment variable name), got {value!r}. Rename it, e.g. {_sanitize(str(value))!r}."
        )
    return value


def _sanitize(value: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", value).strip("_")
    return cleaned or "data"


def _short_hash(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()[:8]


def check_cluster_path(value: Any, parameter: str) -> str:
    """An absolute POSIX path on the cluster, as a string; anything else is a UserErrorException."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not value or not posixpath.isabs(value):
        raise UserErrorException(
            f"{parameter} must be an absolute path on the cluster's shared filesystem "
            f"(e.g. '/shared/data'), got {value!r}. Give the full path starting with '/'."
        )
    if "\n" in value or "\0" in value:
        raise UserErrorException(f"{parameter} must not contain newlines or NUL bytes, got {value!r}.")
    return posixpath.normpath(value)


def _relative_path(value: Any, parameter: str) -> str | None:
    """A path inside a datastore; leading slashes mean "from the datastore root" and '..' may not escape."""
    if value is None:
        return None
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise UserErrorException(f"{parameter} must be a string path inside the datastore, got {value!r}.")
    stripped = value.lstrip("/")
    if not stripped:
        return None
    normal = posixpath.normpath(stripped)
    if normal == ".." or normal.startswith("../"):
        raise UserErrorException(
            f"{parameter} {value!r} points outside the datastore root. Use a path below the root, "
            f"or register another Datastore for that directory."
        )
    return None if normal == "." else normal


class Datastore:
    """A named directory on the cluster's shared filesystem (v1: a registered storage account)."""

    @explain_call_errors
    def __init__(self, name: str, root_path: str | os.PathLike[str]) -> None:
        self.name = _check_name(name, "Datastore name")
        self.root_path = check_cluster_path(root_path, "Datastore root_path")

    def cluster_path(self, path_on_datastore: str | None = None) -> str:
        """Absolute cluster path of ``path_on_datastore`` (the root when None)."""
        relative = _relative_path(path_on_datastore, "path_on_datastore")
        return self.root_path if relative is None else posixpath.join(self.root_path, relative)

    def path(self, path: str | None = None, data_reference_name: str | None = None) -> DataPath:
        """A ``DataPath`` for ``path`` below the root."""
        return DataPath(self, path, data_reference_name)

    def as_mount(self) -> DataReference:
        """The whole datastore, mounted; the reference is named after the datastore (as in v1)."""
        return DataReference(self, data_reference_name=self.name, mode="mount")

    def as_download(self, path_on_compute: str | None = None) -> DataReference:
        return DataReference(self, data_reference_name=self.name, mode="download", path_on_compute=path_on_compute)

    def as_upload(self, path_on_compute: str | None = None) -> DataReference:
        return DataReference(self, data_reference_name=self.name, mode="upload", path_on_compute=path_on_compute)

    def __repr__(self) -> str:
        return f"Datastore(name={self.name!r}, root_path={self.root_path!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Datastore):
            return NotImplemented
        return (self.name, self.root_path) == (other.name, other.root_path)

    def __hash__(self) -> int:
        return hash((self.name, self.root_path))


def _check_datastore(value: Any, parameter: str) -> Datastore:
    if not isinstance(value, Datastore):
        raise UserErrorException(
            f"{parameter} must be a Datastore (Datastore(name, root_path)), got {type(value).__name__}."
        )
    return value


class DataPath:
    """A path inside a datastore (v1 ``azureml.data.datapath.DataPath``); used by ``resume_from``."""

    @explain_call_errors
    def __init__(
        self, datastore: Datastore | None = None, path_on_datastore: str | None = None, name: str | None = None
    ) -> None:
        self.datastore = _check_datastore(datastore, "DataPath datastore")
        self.path_on_datastore = _relative_path(path_on_datastore, "path_on_datastore")
        self.name = None if name is None else _check_name(name, "DataPath name")

    @property
    def cluster_path(self) -> str:
        return self.datastore.cluster_path(self.path_on_datastore)

    def create_data_reference(
        self, data_reference_name: str | None = None, datapath_compute_binding: Any = None
    ) -> DataReference:
        mode = getattr(datapath_compute_binding, "mode", None) or "mount"
        path_on_compute = getattr(datapath_compute_binding, "path_on_compute", None)
        return DataReference(
            self.datastore,
            data_reference_name or self.name,
            self.path_on_datastore,
            mode=mode,
            path_on_compute=path_on_compute,
        )

    def as_mount(self) -> DataReference:
        return self.create_data_reference()

    def as_download(self, path_on_compute: str | None = None, overwrite: bool = False) -> DataReference:
        return DataReference(
            self.datastore,
            self.name,
            self.path_on_datastore,
            mode="download",
            path_on_compute=path_on_compute,
            overwrite=overwrite,
        )

    def __repr__(self) -> str:
        return f"DataPath(datastore={self.datastore.name!r}, path_on_datastore={self.path_on_datastore!r})"


class DataReference:
    """A datastore path made available to a run (v1 signature).

    ``str(ref)`` is the token ``$AZUREML_DATAREFERENCE_<name>`` that the job replaces with the
    mounted or downloaded path. Without a name, the datastore name is used for the root and a
    stable name derived from the path otherwise (v1 used a random one; stable names keep
    compiled scripts reproducible).
    """

    @explain_call_errors
    def __init__(
        self,
        datastore: Datastore,
        data_reference_name: str | None = None,
        path_on_datastore: str | None = None,
        mode: str = "mount",
        path_on_compute: str | None = None,
        overwrite: bool = False,
    ) -> None:
        self.datastore = _check_datastore(datastore, "DataReference datastore")
        self.path_on_datastore = _relative_path(path_on_datastore, "path_on_datastore")
        if data_reference_name is None:
            if self.path_on_datastore is None:
                data_reference_name = self.datastore.name
            else:
                data_reference_name = (
                    f"{self.datastore.name}_{_short_hash(self.datastore.name, self.path_on_datastore)}"
                )
        self.data_reference_name = _check_name(data_reference_name, "data_reference_name")
        if not isinstance(mode, str) or mode.lower() not in SUPPORTED_DATAREF_MODES:
            raise UserErrorException(f"DataReference mode must be one of {SUPPORTED_DATAREF_MODES}, got {mode!r}.")
        self.mode = mode.lower()
        if path_on_compute is not None:
            if isinstance(path_on_compute, os.PathLike):
                path_on_compute = os.fspath(path_on_compute)
            if not isinstance(path_on_compute, str) or "\n" in path_on_compute:
                raise UserErrorException(f"path_on_compute must be a path string, got {path_on_compute!r}.")
        self.path_on_compute = path_on_compute
        self.overwrite = bool(overwrite)

    @property
    def cluster_path(self) -> str:
        """Absolute path of the referenced data on the cluster's shared filesystem."""
        return self.datastore.cluster_path(self.path_on_datastore)

    def _with(self, **changes: Any) -> DataReference:
        values: dict[str, Any] = {
            "data_reference_name": self.data_reference_name,
            "path_on_datastore": self.path_on_datastore,
            "mode": self.mode,
            "path_on_compute": self.path_on_compute,
            "overwrite": self.overwrite,
        }
        values.update(changes)
        return DataReference(self.datastore, **values)

    def as_mount(self) -> DataReference:
        return self._with(mode="mount")

    def as_download(self, path_on_compute: str | None = None, overwrite: bool = False) -> DataReference:
        return self._with(mode="download", path_on_compute=path_on_compute, overwrite=overwrite)

    def as_upload(self, path_on_compute: str | None = None, overwrite: bool = False) -> DataReference:
        return self._with(mode="upload", path_on_compute=path_on_compute, overwrite=overwrite)

    def path(self, path: str | None = None, data_reference_name: str | None = None) -> DataReference:
        """A reference to ``path`` below this one (same mode)."""
        relative = _relative_path(path, "path")
        if relative is None:
            joined = self.path_on_datastore
        elif self.path_on_datastore is None:
            joined = relative
        else:
            joined = posixpath.join(self.path_on_datastore, relative)
        return DataReference(
            self.datastore,
            data_reference_name,
            joined,
            mode=self.mode,
            path_on_compute=self.path_on_compute,
            overwrite=self.overwrite,
        )

    def to_config(self) -> DataReference:
        """What v1 stored in ``run_config.data_references``; here the reference itself (a copy)."""
        return self._with()

    def __str__(self) -> str:
        return DATA_REFERENCE_TOKEN.format(self.data_reference_name)

    def __repr__(self) -> str:
        return (
            f"DataReference(datastore={self.datastore.name!r}, "
            f"data_reference_name={self.data_reference_name!r}, "
            f"path_on_datastore={self.path_on_datastore!r}, mode={self.mode!r}, "
            f"path_on_compute={self.path_on_compute!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DataReference):
            return NotImplemented
        return (
            self.datastore,
            self.data_reference_name,
            self.path_on_datastore,
            self.mode,
            self.path_on_compute,
            self.overwrite,
        ) == (
            other.datastore,
            other.data_reference_name,
            other.path_on_datastore,
            other.mode,
            other.path_on_compute,
            other.overwrite,
        )

    def __hash__(self) -> int:
        return hash((self.data_reference_name, self.cluster_path, self.mode))


class DatasetConsumptionConfig:
    """How a run consumes a dataset: ``name`` (its key in ``run_config.data``), ``mode``,
    the data's ``cluster_path`` and an optional ``path_on_compute`` (v1 signature).

    In arguments it stands for the token ``DatasetConsumptionConfig:<name>``, which the job
    replaces with the local path of the data.
    """

    @explain_call_errors
    def __init__(
        self, name: str, dataset: FileDataset, mode: str = "direct", path_on_compute: str | None = None
    ) -> None:
        self.name = _check_name(name, "dataset input name")
        if not isinstance(dataset, FileDataset):
            raise UserErrorException(
                f"DatasetConsumptionConfig needs a FileDataset (Dataset.File.from_files(...)), "
                f"got {type(dataset).__name__}."
            )
        self.dataset = dataset
        if mode not in DATASET_MODES:
            raise UserErrorException(f"dataset mode must be one of {list(DATASET_MODES)}, got {mode!r}.")
        self.mode = mode
        if path_on_compute is not None and (not isinstance(path_on_compute, str) or "\n" in path_on_compute):
            raise UserErrorException(f"path_on_compute must be a path string, got {path_on_compute!r}.")
        self.path_on_compute = path_on_compute

    @property
    def cluster_path(self) -> str:
        return self.dataset.cluster_path

    def as_mount(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        return DatasetConsumptionConfig(self.name, self.dataset, "mount", path_on_compute)

    def as_download(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        return DatasetConsumptionConfig(self.name, self.dataset, "download", path_on_compute)

    @property
    def arg_val(self) -> str:
        return DATASET_ARGUMENT_TEMPLATE.format(self.name)

    def __str__(self) -> str:
        return self.arg_val

    def __repr__(self) -> str:
        return (
            f"DatasetConsumptionConfig(name={self.name!r}, mode={self.mode!r}, "
            f"cluster_path={self.cluster_path!r}, path_on_compute={self.path_on_compute!r})"
        )


class FileDataset:
    """Files at one cluster path (v1: ``Dataset.File.from_files``)."""

    def __init__(self, cluster_path: str) -> None:
        self.cluster_path = check_cluster_path(cluster_path, "dataset path")

    def _default_name(self) -> str:
        return f"input_{_short_hash(self.cluster_path)}"

    def as_named_input(self, name: str) -> DatasetConsumptionConfig:
        return DatasetConsumptionConfig(name, self, "direct")

    def as_mount(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        return DatasetConsumptionConfig(self._default_name(), self, "mount", path_on_compute)

    def as_download(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        return DatasetConsumptionConfig(self._default_name(), self, "download", path_on_compute)

    def __repr__(self) -> str:
        return f"FileDataset(cluster_path={self.cluster_path!r})"


def _dataset_path(path: Any) -> str:
    if isinstance(path, (list, tuple)) and len(path) == 1 and not isinstance(path[0], Datastore):
        path = path[0]
    if isinstance(path, (DataPath, DataReference)):
        return path.cluster_path
    if isinstance(path, tuple) and len(path) == 2 and isinstance(path[0], Datastore):
        return path[0].cluster_path(path[1])
    if isinstance(path, (str, os.PathLike)):
        return check_cluster_path(path, "Dataset.File.from_files path")
    raise UserErrorException(
        f"Dataset.File.from_files path must be one absolute cluster path, a (Datastore, path) tuple or "
        f"a DataPath, got {path!r}. For several directories create one dataset per directory."
    )


class _FileDatasetFactory:
    @staticmethod
    def from_files(
        path: Any, validate: bool = True, partition_format: str | None = None, is_file: bool = False
    ) -> FileDataset:
        """A FileDataset for ``path``; nothing is checked on disk (``validate`` is accepted, unused)."""
        return FileDataset(_dataset_path(path))


class Dataset:
    """Entry point as in v1: ``Dataset.File.from_files(path)``."""

    File = _FileDatasetFactory


class Data:
    """The raw run-configuration data binding of v1; estimators reject it (use DataReference)."""

    def __init__(
        self,
        data_location: Any = None,
        mechanism: str | None = None,
        environment_variable_name: str | None = None,
        path_on_compute: str | None = None,
        overwrite: bool = False,
        options: Any = None,
    ) -> None:
        self.data_location = data_location
        self.mechanism = mechanism
        self.environment_variable_name = environment_variable_name
        self.path_on_compute = path_on_compute
        self.overwrite = overwrite
        self.options = options


class OutputData(Data):
    """The raw run-configuration output binding of v1; estimators reject it."""
