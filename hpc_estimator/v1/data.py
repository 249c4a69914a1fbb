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
import importlib
import os
import posixpath
import re
from collections.abc import Callable
from typing import Any, NoReturn, cast

from ..errors import UserErrorException
from ..runtime.context import DATAREFERENCE_PREFIX
from .exceptions import azure_only_call
from .keywords import explain_call_errors
from .workspace_protocol import DataWorkspace

SUPPORTED_DATAREF_MODES = ["mount", "download", "upload"]
# ``$AZUREML_DATAREFERENCE_<name>``: v1's stand-in for a data reference in a run's arguments.
DATA_REFERENCE_TOKEN = f"${DATAREFERENCE_PREFIX}{{}}"
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


# v1 registered Azure storage services as datastores; on a cluster the data is a directory.
_REGISTER_INSTEAD = (
    "copy the data onto the cluster's shared filesystem, e.g. ws.get_default_datastore().upload('data', "
    "target_path='data'), or name a directory that is already there: Datastore('name', '/cluster/path')"
)


def _refused_registration(method: str) -> staticmethod[..., NoReturn]:
    """v1's static ``Datastore.<method>(...)``, which registered Azure storage: it refuses, saying what to do."""
    return staticmethod(
        azure_only_call(
            f"Datastore.{method}(...)",
            "registering Azure storage (or Databricks/HDFS) as a datastore",
            _REGISTER_INSTEAD,
        )
    )


class Datastore:
    """A named directory on the cluster's shared filesystem (v1: a registered storage account).

    Two ways to get one: v1's ``Datastore(workspace, name=None)`` (also ``Datastore.get``,
    ``ws.get_default_datastore()``, ``ws.datastores[name]``) returns a datastore of the workspace,
    which can upload files (``datastore_files.py`` of the runs does the transfers); hpcest's
    ``Datastore(name, root_path)`` names any directory on the cluster (no uploads: it has no
    workspace).
    """

    @explain_call_errors
    def __init__(self, workspace: Any, name: str | os.PathLike[str] | None = None) -> None:
        self.workspace: Any = None
        self._find_root: Callable[[], str] | None = None
        if isinstance(workspace, str):
            # hpcest's form: Datastore(name, root_path).
            self.name = _check_name(workspace, "Datastore name")
            self._root_path: str | None = check_cluster_path(name, "Datastore root_path")
            return
        if not isinstance(workspace, DataWorkspace):
            raise UserErrorException(
                "Datastore(workspace, name) needs a Workspace (Workspace.from_config()), got "
                f"{type(workspace).__name__}; "
                "to name a directory on the cluster use Datastore('name', '/absolute/cluster/path')."
            )
        # v1's ws.datastores is a property, kept out of the protocol (see workspace_protocol).
        datastores: dict[str, Datastore] = cast(Any, workspace).datastores
        found = workspace.get_default_datastore() if name is None else datastores.get(os.fspath(name))
        if found is None:
            raise UserErrorException(
                f"the workspace has no datastore {name!r}; it has: {', '.join(sorted(datastores))}. "
                "Datastores for directories of your own: Datastore('name', '/absolute/cluster/path')."
            )
        self.name, self.workspace = found.name, found.workspace
        self._root_path, self._find_root = found._root_path, found._find_root

    @classmethod
    def _of_workspace(cls, workspace: Any, name: str, find_root: Callable[[], str]) -> Datastore:
        """A datastore of ``workspace`` whose root ``find_root()`` gives when first asked for (it may
        need the cluster; naming the datastore must not)."""
        store = cls.__new__(cls)
        store.name, store.workspace = name, workspace
        store._root_path, store._find_root = None, find_root
        return store

    @property
    def root_path(self) -> str:
        """The datastore's absolute directory on the cluster."""
        if self._root_path is None:
            assert self._find_root is not None
            self._root_path = self._find_root()
        return self._root_path

    @staticmethod
    def get(workspace: Any, datastore_name: str) -> Datastore:
        return Datastore(workspace, datastore_name)

    @staticmethod
    def get_default(workspace: Any) -> Datastore:
        return Datastore(workspace)

    def set_as_default(self) -> None:
        self._workspace_for("set_as_default").set_default_datastore(self.name)

    def _workspace_for(self, call: str) -> Any:
        if self.workspace is None:
            raise UserErrorException(
                f"datastore.{call}(): {self.name!r} was made as Datastore(name, root_path), which belongs to no "
                "workspace; get a workspace datastore instead: ws.get_default_datastore() or Datastore(ws, name)."
            )
        return self.workspace

    def _files(self, call: str) -> Any:
        return self._workspace_for(call).datastore_files(self)

    def upload(
        self, src_dir: str, target_path: str | None = None, overwrite: bool = False, show_progress: bool = True
    ) -> DataReference:
        """Copy the local directory ``src_dir`` to ``target_path`` below the datastore root (only new
        contents travel); returns the DataReference of ``target_path``, as v1."""
        self._files("upload").upload(src_dir, target_path, overwrite=overwrite, show_progress=show_progress)
        return DataReference(self, path_on_datastore=target_path)

    def upload_files(
        self,
        files: list[str],
        relative_root: str | None = None,
        target_path: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> DataReference:
        """Copy local ``files`` (their paths below ``relative_root``, default: their common directory)."""
        self._files("upload_files").upload_files(
            files, relative_root, target_path, overwrite=overwrite, show_progress=show_progress
        )
        return DataReference(self, path_on_datastore=target_path)

    def download(
        self, target_path: str, prefix: str | None = None, overwrite: bool = False, show_progress: bool = True
    ) -> int:
        """Copy the files below ``prefix`` to the local ``target_path``; returns how many were copied."""
        files = self._files("download")
        return int(files.download(target_path, prefix, overwrite=overwrite, show_progress=show_progress))

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

    # v1's static methods that registered an Azure storage service as a datastore.
    register_azure_blob_container = _refused_registration("register_azure_blob_container")
    register_azure_file_share = _refused_registration("register_azure_file_share")
    register_azure_data_lake = _refused_registration("register_azure_data_lake")
    register_azure_data_lake_gen2 = _refused_registration("register_azure_data_lake_gen2")
    register_azure_sql_database = _refused_registration("register_azure_sql_database")
    register_azure_postgre_sql = _refused_registration("register_azure_postgre_sql")
    register_azure_my_sql = _refused_registration("register_azure_my_sql")
    register_dbfs = _refused_registration("register_dbfs")
    register_hdfs = _refused_registration("register_hdfs")


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
    """Files at one cluster path (v1: ``Dataset.File.from_files``).

    A dataset made from a workspace datastore (or fetched from the workspace's registry) knows its
    workspace, so it can be registered and its files read on this machine (``download``,
    ``to_path``; a TabularDataset's ``to_pandas_dataframe``).
    """

    def __init__(self, cluster_path: str, _workspace: Any = None) -> None:
        self.cluster_path = check_cluster_path(cluster_path, "dataset path")
        self._workspace = _workspace
        # Set when the dataset is registered (or fetched by name), as v1's registered datasets.
        self.name: str | None = None
        self.version: int | None = None
        self.id: str | None = None
        self.description: str | None = None
        self.tags: dict[str, Any] = {}

    def _default_name(self) -> str:
        return f"input_{_short_hash(self.cluster_path)}"

    def as_named_input(self, name: str) -> DatasetConsumptionConfig:
        return DatasetConsumptionConfig(name, self, "direct")

    def as_mount(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        return DatasetConsumptionConfig(self._default_name(), self, "mount", path_on_compute)

    def as_download(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        return DatasetConsumptionConfig(self._default_name(), self, "download", path_on_compute)

    # -- the workspace's registry (runs/registry.py keeps it) -----------------------------------

    def _definition(self) -> dict[str, Any]:
        return {"kind": "file", "path": self.cluster_path}

    def register(
        self,
        workspace: Any,
        name: str,
        description: str | None = None,
        tags: dict[str, Any] | None = None,
        create_new_version: bool = False,
    ) -> FileDataset:
        """Record the dataset under ``name`` in the workspace (a new version with ``create_new_version``)."""
        from .dataset_registration import register

        return register(self, workspace, name, description, tags, create_new_version)

    def _files(self, call: str) -> Any:
        if self._workspace is None:
            raise UserErrorException(
                f"dataset.{call}(): this dataset names the cluster path {self.cluster_path!r} but no workspace, so "
                "hpcest cannot reach its files; make it from a workspace datastore, "
                "Dataset.File.from_files((ws.get_default_datastore(), 'path')), or register it and "
                "use Dataset.get_by_name(ws, name)."
            )
        return self._workspace.cluster_files()

    def to_path(self) -> list[str]:
        """The dataset's files, relative to its path, each with a leading '/' (v1's form)."""
        return ["/" + name for name in self._files("to_path").list_files(self.cluster_path)]

    def download(
        self, target_path: str | None = None, overwrite: bool = False, ignore_not_found: bool = False
    ) -> list[str]:
        """Copy the files to ``target_path`` (default: a new temporary directory); returns their absolute
        local paths. Without ``overwrite``, a file already there stops the download before anything is
        copied, as v1."""
        import tempfile

        target = os.path.abspath(target_path or tempfile.mkdtemp(prefix="hpcest-dataset-"))

        def refuse_existing(destinations: list[Any]) -> None:
            if overwrite:
                return
            for local in destinations:
                if os.path.exists(local):
                    raise UserErrorException(
                        f'File "{local}" already exists. Set overwrite=True to overwrite it, '
                        "or choose an empty target path."
                    )

        downloaded, _kept = self._files("download").download_tree(
            self.cluster_path, target, overwrite=True, before=refuse_existing
        )
        if not downloaded and not ignore_not_found:
            raise UserErrorException(f"dataset {self.name or self.cluster_path!r}: no files at {self.cluster_path}")
        return downloaded

    def __repr__(self) -> str:
        registered = f", name={self.name!r}, version={self.version!r}" if self.name else ""
        return f"{type(self).__name__}(cluster_path={self.cluster_path!r}{registered})"


class TabularDataset(FileDataset):
    """Delimited files at one cluster path (v1: ``Dataset.Tabular.from_delimited_files``).

    In a run it is consumed as its file path (``as_named_input(name)``; v1 handed the job a dataset
    object, a script reads the path with pandas instead). ``to_pandas_dataframe()`` reads it here,
    where pandas is installed.
    """

    def __init__(
        self,
        cluster_path: str,
        _workspace: Any = None,
        *,
        separator: str = ",",
        header: bool = True,
        encoding: str = "utf8",
        limit: int | None = None,
    ) -> None:
        super().__init__(cluster_path, _workspace)
        self.separator = separator
        self.header = header
        self.encoding = encoding
        self._limit = limit

    def _definition(self) -> dict[str, Any]:
        return {"kind": "tabular", "path": self.cluster_path, "separator": self.separator,
                "header": self.header, "encoding": self.encoding}

    def take(self, count: int) -> TabularDataset:
        """The first ``count`` records (v1: a new dataset)."""
        if not isinstance(count, int) or count < 0:
            raise UserErrorException(f"take(count): count must be a whole number >= 0, got {count!r}")
        taken = TabularDataset(self.cluster_path, self._workspace, separator=self.separator, header=self.header,
                               encoding=self.encoding, limit=count)
        return taken

    def to_pandas_dataframe(self, on_error: str = "null", out_of_range_datetime: str = "null") -> Any:
        """The records as a pandas DataFrame (read through the cluster's transport)."""
        import tempfile

        try:
            pandas: Any = importlib.import_module("pandas")
        except ImportError:
            raise UserErrorException(
                "to_pandas_dataframe() needs pandas on this machine: python3 -m pip install pandas"
            ) from None
        files = self._files("to_pandas_dataframe")
        with tempfile.TemporaryDirectory(prefix="hpcest-read-") as tmp:
            local, _kept = files.download_tree(self.cluster_path, tmp, overwrite=True)  # one transfer
            frames = [
                pandas.read_csv(path, sep=self.separator, header=0 if self.header else None, encoding=self.encoding)
                for path in local
            ]
        if not frames:
            raise UserErrorException(f"dataset {self.name or self.cluster_path!r}: no files at {self.cluster_path}")
        frame = pandas.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        return frame if self._limit is None else frame.head(self._limit)


def _dataset_path(path: Any, factory: str = "Dataset.File.from_files") -> tuple[str, Any]:
    """The cluster path ``path`` names, and the workspace of its datastore (None for a plain path)."""
    if isinstance(path, (list, tuple)) and len(path) == 1 and not isinstance(path[0], Datastore):
        path = path[0]
    if isinstance(path, (DataPath, DataReference)):
        return path.cluster_path, path.datastore.workspace
    if isinstance(path, tuple) and len(path) == 2 and isinstance(path[0], Datastore):
        return path[0].cluster_path(path[1]), path[0].workspace
    if isinstance(path, (str, os.PathLike)):
        return check_cluster_path(path, f"{factory} path"), None
    raise UserErrorException(
        f"{factory} path must be one absolute cluster path, a (Datastore, path) tuple or "
        f"a DataPath, got {path!r}. For several directories create one dataset per directory."
    )


class _FileDatasetFactory:
    @staticmethod
    def from_files(
        path: Any, validate: bool = True, partition_format: str | None = None, is_file: bool = False
    ) -> FileDataset:
        """A FileDataset for ``path``; nothing is checked on disk (``validate`` is accepted, unused)."""
        cluster_path, workspace = _dataset_path(path)
        return FileDataset(cluster_path, workspace)


class _TabularDatasetFactory:
    @staticmethod
    def from_delimited_files(
        path: Any,
        validate: bool = True,
        include_path: bool = False,
        infer_column_types: bool = True,
        set_column_types: Any = None,
        separator: str = ",",
        header: Any = True,
        partition_format: str | None = None,
        support_multi_line: bool = False,
        empty_as_string: bool = False,
        encoding: str = "utf8",
    ) -> TabularDataset:
        """A TabularDataset of the delimited file (or the files of a directory) at ``path``."""
        cluster_path, workspace = _dataset_path(path, "Dataset.Tabular.from_delimited_files")
        if not isinstance(separator, str) or len(separator) != 1:
            raise UserErrorException(f"separator must be one character, got {separator!r}")
        # v1 also took PromoteHeadersBehavior values; anything but "no header" means a header row.
        has_header = bool(header) and str(header).upper() not in ("NO_HEADERS", "PROMOTEHEADERSBEHAVIOR.NO_HEADERS")
        return TabularDataset(cluster_path, workspace, separator=separator, header=has_header, encoding=encoding)


class Dataset:
    """Entry point as in v1: ``Dataset.File.from_files(path)``, ``Dataset.Tabular.from_delimited_files(path)``,
    and the workspace's registry: ``Dataset.get_by_name(ws, name)``."""

    File = _FileDatasetFactory
    Tabular = _TabularDatasetFactory

    @staticmethod
    def get_by_name(workspace: Any, name: str, version: Any = "latest", **kwargs: Any) -> FileDataset:
        from .dataset_registration import get_by_name

        return get_by_name(workspace, name, version)

    @staticmethod
    def get_by_id(workspace: Any, id: str, **kwargs: Any) -> FileDataset:
        from .dataset_registration import get_by_id

        return get_by_id(workspace, id)

    @staticmethod
    def get_all(workspace: Any) -> dict[str, FileDataset]:
        from .dataset_registration import get_all

        return get_all(workspace)


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
