"""The workspace: a project directory holding ``hpcest.toml`` and the run history (``.hpcest/``).

It plays the part of the Azure ML v1 ``Workspace``: ``Workspace.from_config()`` walks up from the
current directory looking for ``hpcest.toml`` (also ``.hpcest/hpcest.toml``), the way v1 looks
for ``config.json`` and ``.azureml/config.json``. ``HPCEST_WORKSPACE`` names a workspace
directory explicitly (the CLI and tests use it).

The file::

    [workspace]
    name = "my-project"
    default_target = "local"

    [clusters.mycluster]              # keys = ClusterProfile fields
    transport = "ssh"
    host = "login1"

    [clusters.mycluster.vm_sizes.Standard_NC24]
    partition = "gpu"
    gpus = 4

``add_profile`` / ``remove_profile`` rewrite the file atomically (temp file + rename). The
rewrite is generated from the parsed data, so comments in the file are not kept.
"""

from __future__ import annotations

import functools
import math
import os
import posixpath
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..cluster.profile import LOCAL_PROFILE, ClusterProfile
from ..errors import ConfigError
from ..util.atomic import write_atomic
from ..v1.compute import ComputeTarget, target_override
from ..v1.data import Datastore
from .store import RunStore

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

CONFIG_NAME = "hpcest.toml"
HISTORY_DIR = ".hpcest"
ENV_VAR = "HPCEST_WORKSPACE"
LOCAL = "local"
# v1 workspaces came with these two datastores; the first is the default.
DEFAULT_DATASTORE = "workspaceblobstore"
WORKSPACE_DATASTORES = (DEFAULT_DATASTORE, "workspacefilestore")

MINIMAL_EXAMPLE = """\
[workspace]
name = "my-project"
default_target = "local"

# [clusters.mycluster]
# transport = "ssh"
# host = "login.cluster.example.org"
# partition = "gpu"
"""


class WorkspaceTarget(ComputeTarget):
    """A compute target of a loaded workspace, carrying its resolved cluster profile."""

    def __init__(self, workspace: Workspace, name: str, profile: ClusterProfile) -> None:
        super().__init__(workspace, name)
        self.profile = profile

    @property
    def backend(self) -> str:
        # "local" always means this machine without Slurm; a [clusters.local] table only tunes
        # its settings (container runtime, python, env).
        return "local" if self.name == LOCAL else "slurm"

    def __repr__(self) -> str:
        return f"WorkspaceTarget(name={self.name!r}, backend={self.backend!r})"


# --- TOML reading --------------------------------------------------------------------------


# The top-level tables of hpcest.toml.
TOP_LEVEL_KEYS = ("workspace", "clusters")


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise ConfigError(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[e.start]:02x} at column {column}); TOML files are UTF-8: "
            f"save {path.name} as UTF-8 (e.g. iconv -f latin1 -t utf-8)"
        ) from None


def _top_level_line(text: str, key: str) -> int | None:
    """Line of a top-level ``key = ...`` (before any table) or of a ``[key]`` / ``[key.x]`` header."""
    in_table = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_table = True
            header = stripped.strip("[]").split(".")[0].strip().strip("\"'")
            if header == key:
                return number
        elif not in_table and re.match(rf"^[\"']?{re.escape(key)}[\"']?\s*[=.]", stripped):
            return number
    return None


def _check_top_level(path: Path, data: Mapping[str, Any], text: str) -> None:
    if not data:
        raise ConfigError(
            f"{path} is empty (no [workspace] table); write one like this, or run `hpcest init` in an empty "
            f"directory:\n\n{MINIMAL_EXAMPLE}"
        )
    unknown = [key for key in data if key not in TOP_LEVEL_KEYS]
    if unknown:
        key = unknown[0]
        line = _top_level_line(text, key)
        where = f"{path}:{line}" if line else str(path)
        shown = f"\n    {line} | {text.splitlines()[line - 1]}" if line else ""
        raise ConfigError(
            f"{where}: unknown top-level key {key!r}; hpcest.toml has the tables [workspace] and "
            f"[clusters.<name>] only (a cluster setting belongs under [clusters.<name>]){shown}"
        )


def _read_toml(path: Path) -> tuple[dict[str, Any], str]:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"cannot read workspace file {path}: {e.strerror}") from e
    text = _decode(path, raw)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        where = ""
        m = re.search(r"line (\d+)", str(e))
        if m:
            lineno = int(m.group(1))
            lines = text.splitlines()
            if 0 < lineno <= len(lines):
                where = f"\n    {lineno} | {lines[lineno - 1]}"
            location = f"{path}:{lineno}"
        else:
            location = str(path)
        raise ConfigError(f"{location}: invalid TOML: {e}{where}\nFix the syntax of this file.") from e
    _check_top_level(path, data, text)
    return data, text


def _header_path(header: str) -> list[str]:
    return [part.strip().strip('"').strip("'") for part in header.split(".")]


def _find_line(text: str, table: list[str], key: str | None) -> int | None:
    """Line number (1-based) of ``key`` inside ``[table]`` (or of the header when key is None).

    Best effort for the simple layout hpcest writes and people usually type; dotted keys and
    inline tables are not traced (then the error simply has no line).
    """
    current: list[str] | None = None
    header_re = re.compile(r"^\s*\[([^\[\]]+)\]\s*(?:#.*)?$")
    key_re = re.compile(r"^\s*[\"']?([A-Za-z0-9_.-]+)[\"']?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        m = header_re.match(line)
        if m:
            current = _header_path(m.group(1))
            if key is None and current == table:
                return number
            continue
        if key is not None and current == table:
            km = key_re.match(line)
            if km and km.group(1) == key:
                return number
    return None


def _profile_error(path: Path, text: str, name: str, err: ConfigError) -> ConfigError:
    """Add the file and line to a ClusterProfile error (which already names the key)."""
    message = str(err)
    key = None
    m = re.search(r"key '([^']+)'", message) or re.search(r"unknown key\(s\) ([^,;]+)", message)
    if m:
        key = m.group(1)
    table = ["clusters", name]
    lineno = None
    if key is not None:
        parts = key.split(".")
        lineno = _find_line(text, table, parts[0])
        if lineno is None and len(parts) > 1:
            lineno = _find_line(text, [*table, *parts[:-1]], None)
        if lineno is None:
            lineno = _find_line(text, [*table, *parts], None)
    if lineno is None:
        lineno = _find_line(text, table, None)
    if lineno is None:
        return ConfigError(f"{path}: {message}")
    line = text.splitlines()[lineno - 1]
    return ConfigError(f"{path}:{lineno}: {message}\n    {lineno} | {line}")


# --- TOML writing (the small subset our schema uses) ----------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _toml_string(key)


def _toml_string(value: str) -> str:
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v, where) for v in value) + "]"
    if isinstance(value, Mapping):
        # Only reached for tables inside arrays, which our schema does not use.
        inner = ", ".join(f"{_toml_key(str(k))} = {_toml_value(v, where)}" for k, v in value.items())
        return "{" + inner + "}"
    raise ConfigError(f"cannot write {where} = {value!r} to TOML: unsupported type {type(value).__name__}")


def dumps_toml(data: Mapping[str, Any]) -> str:
    """Serialise nested tables of scalars / lists, as read back identically by tomllib."""
    chunks: list[str] = []

    def emit(prefix: list[str], table: Mapping[str, Any]) -> None:
        scalars = [(k, v) for k, v in table.items() if not isinstance(v, Mapping)]
        tables = [(k, v) for k, v in table.items() if isinstance(v, Mapping)]
        if prefix and (scalars or not tables):
            chunks.append("[" + ".".join(_toml_key(p) for p in prefix) + "]\n")
        for k, v in scalars:
            chunks.append(f"{_toml_key(str(k))} = {_toml_value(v, '.'.join([*prefix, str(k)]))}\n")
        if prefix and (scalars or not tables):
            chunks.append("\n")
        for k, v in tables:
            emit([*prefix, str(k)], v)

    emit([], data)
    return "".join(chunks).rstrip("\n") + "\n"


def _atomic_write(path: Path, text: str) -> None:
    write_atomic(path, text.encode("utf-8"))


# --- the workspace ---------------------------------------------------------------------------


def _find_config(start: Path, file_name: str) -> Path | None:
    """``start`` itself if it is a file, else walk up looking for file_name or .hpcest/file_name."""
    if start.is_file():
        return start
    for directory in (start, *start.parents):
        for candidate in (directory / file_name, directory / HISTORY_DIR / file_name):
            if candidate.is_file():
                return candidate
    return None


class Workspace:
    """A project directory with ``hpcest.toml``; holds cluster profiles and the run history."""

    def __init__(self, config_file: str | Path) -> None:
        self.config_file = Path(config_file).resolve()
        # .hpcest/hpcest.toml belongs to the directory that holds .hpcest.
        parent = self.config_file.parent
        self._path = parent.parent if parent.name == HISTORY_DIR else parent
        self._data, self._text = _read_toml(self.config_file)
        self._profiles = self._load_profiles()
        self._store: RunStore | None = None
        # Environment.register() stores environments here (in memory, per process).
        self.environments: dict[str, Any] = {}
        self._registry: Any = None
        self._datastores: dict[str, Datastore] | None = None
        self._datastores_base: str | None = None
        self._default_datastore = DEFAULT_DATASTORE
        self._check_default_target()

    # -- constructors ---------------------------------------------------------------------

    @classmethod
    def from_config(
        cls,
        path: str | Path | None = None,
        auth: Any = None,
        _logger: Any = None,
        _file_name: str | None = None,
    ) -> Workspace:
        """Find ``hpcest.toml`` like v1 ``Workspace.from_config`` finds ``config.json``.

        ``path`` may be the file itself or a directory to start from; without it,
        ``$HPCEST_WORKSPACE`` or else the current directory is the start. ``auth`` and
        ``_logger`` are accepted for v1 compatibility and ignored.
        """
        return cls(cls._find_config_file(path, _file_name))

    @staticmethod
    def _find_config_file(path: str | Path | None = None, _file_name: str | None = None) -> Path:
        """The ``hpcest.toml`` that ``from_config(path)`` loads (see there)."""
        file_name = _file_name or CONFIG_NAME
        if path is None:
            env = os.environ.get(ENV_VAR)
            if env:
                env_dir = Path(env).expanduser()
                # No walking up here: the variable names the workspace exactly.
                candidates = (
                    [env_dir] if env_dir.is_file() else [env_dir / file_name, env_dir / HISTORY_DIR / file_name]
                )
                found = next((c for c in candidates if c.is_file()), None)
                if found is None:
                    raise ConfigError(
                        f"{ENV_VAR}={env} does not contain {file_name}. Point {ENV_VAR} at a "
                        f"workspace directory, or create one with `hpcest init {env}`."
                    )
                return found
            start = Path.cwd()
        else:
            start = Path(path).expanduser()
            if not start.exists():
                raise ConfigError(f"workspace path {start} does not exist")
        found = _find_config(start.resolve(), file_name)
        if found is None:
            raise ConfigError(
                f"no {file_name} found in {start} or any parent directory (also looked in "
                f"{HISTORY_DIR}/ subdirectories). Run `hpcest init` in your project directory, or "
                f"create {file_name} yourself; a minimal one is:\n\n{MINIMAL_EXAMPLE}"
            )
        return found

    @classmethod
    def create(cls, path: str | Path, name: str | None = None, exist_ok: bool = True) -> Workspace:
        """Write a minimal ``hpcest.toml`` in ``path`` (created if needed) and load it."""
        directory = Path(path).expanduser().resolve()
        config = directory / CONFIG_NAME
        if config.exists():
            if not exist_ok:
                raise ConfigError(
                    f"{config} already exists; pass exist_ok=True to reuse it or choose another directory"
                )
            return cls(config)
        directory.mkdir(parents=True, exist_ok=True)
        data = {"workspace": {"name": name or directory.name, "default_target": LOCAL}}
        _atomic_write(config, dumps_toml(data))
        return cls(config)

    # -- profiles -------------------------------------------------------------------------

    def _clusters_table(self) -> Mapping[str, Any]:
        clusters = self._data.get("clusters", {})
        if not isinstance(clusters, Mapping):
            raise ConfigError(f"{self.config_file}: 'clusters' must be a table of [clusters.<name>] tables")
        return clusters

    def _load_profiles(self) -> dict[str, ClusterProfile]:
        section = self._data.get("workspace", {})
        if not isinstance(section, Mapping):
            raise ConfigError(f"{self.config_file}: 'workspace' must be a table ([workspace])")
        unknown = sorted(set(section) - {"name", "default_target"})
        if unknown:
            raise ConfigError(
                f"{self.config_file}: unknown key(s) {', '.join(unknown)} in [workspace]; "
                "known keys are name, default_target"
            )
        profiles: dict[str, ClusterProfile] = {LOCAL: LOCAL_PROFILE}
        for name, table in self._clusters_table().items():
            if not isinstance(table, Mapping):
                raise ConfigError(f"{self.config_file}: 'clusters.{name}' must be a table")
            try:
                profiles[name] = ClusterProfile.from_mapping(name, table)
            except ConfigError as e:
                raise _profile_error(self.config_file, self._text, name, e) from None
            except TypeError as e:  # e.g. a wrong value type inside vm_sizes
                raise _profile_error(
                    self.config_file, self._text, name, ConfigError(f"cluster profile {name!r}: {e}")
                ) from None
        return profiles

    def _check_default_target(self) -> None:
        default = self.default_target
        if default not in self._profiles:
            line = _find_line(self._text, ["workspace"], "default_target")
            where = f"{self.config_file}:{line}" if line else str(self.config_file)
            raise ConfigError(
                f"{where}: default_target = {default!r} names no cluster; define "
                f"[clusters.{default}] or use one of: {', '.join(sorted(self._profiles))}"
            )

    @property
    def name(self) -> str:
        section = self._data.get("workspace", {})
        return str(section.get("name") or self._path.name)

    @property
    def path(self) -> Path:
        return self._path

    @property
    def history_dir(self) -> Path:
        return self._path / HISTORY_DIR

    @property
    def default_target(self) -> str:
        return str(self._data.get("workspace", {}).get("default_target", LOCAL))

    @property
    def profiles(self) -> dict[str, ClusterProfile]:
        return dict(self._profiles)

    @property
    def compute_targets(self) -> dict[str, WorkspaceTarget]:
        return {name: WorkspaceTarget(self, name, prof) for name, prof in self._profiles.items()}

    def get_profile(self, name: str) -> ClusterProfile:
        try:
            return self._profiles[name]
        except KeyError:
            raise ConfigError(
                f"no cluster profile {name!r} in {self.config_file}; known: "
                f"{', '.join(sorted(self._profiles))}. Add a [clusters.{name}] table "
                f"(or run `hpcest cluster add {name} --host LOGIN_NODE`)."
            ) from None

    def get_default_compute_target(self) -> WorkspaceTarget:
        return self.compute_targets[self.default_target]

    def add_profile(self, name: str, mapping: Mapping[str, Any], *, replace: bool = False) -> ClusterProfile:
        """Validate and add ``[clusters.<name>]``, rewriting hpcest.toml atomically."""
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or "." in name:
            raise ConfigError(
                f"cluster name {name!r} must use letters, digits, '_' or '-' only (it is a TOML table name)"
            )
        existing = self._clusters_table()
        if name in existing and not replace:
            raise ConfigError(
                f"cluster {name!r} already exists in {self.config_file}; pass replace=True (hpcest cluster add "
                f"--replace) or remove it first"
            )
        # None means "not set" (TOML has no null); leave such keys out.
        mapping = {k: v for k, v in mapping.items() if v is not None}
        profile = ClusterProfile.from_mapping(name, mapping)  # validate before touching the file
        data = dict(self._data)
        clusters = dict(existing)
        clusters[name] = _plain(mapping)
        data["clusters"] = clusters
        self._rewrite(data)
        return profile

    def remove_profile(self, name: str) -> None:
        existing = self._clusters_table()
        if name not in existing:
            raise ConfigError(f"no [clusters.{name}] in {self.config_file}; nothing to remove")
        if self.default_target == name:
            raise ConfigError(
                f"cluster {name!r} is the default_target of {self.config_file}; change default_target first"
            )
        data = dict(self._data)
        data["clusters"] = {k: v for k, v in existing.items() if k != name}
        if not data["clusters"]:
            del data["clusters"]
        self._rewrite(data)

    def set_default_target(self, name: str) -> None:
        self.get_profile(name)
        data = dict(self._data)
        data["workspace"] = {**data.get("workspace", {}), "default_target": name}
        self._rewrite(data)

    def _rewrite(self, data: Mapping[str, Any]) -> None:
        text = dumps_toml(data)
        # Load what we are about to write first: never leave a file we cannot read back.
        reread = tomllib.loads(text)
        _atomic_write(self.config_file, text)
        self._data, self._text = reread, text
        self._profiles = self._load_profiles()

    # -- run history ----------------------------------------------------------------------

    @property
    def run_store(self) -> RunStore:
        if self._store is None:
            self._store = RunStore(self.history_dir / "runs.db")
        return self._store

    # -- data and models (datastores on the cluster, registries in the store) -----------------

    def data_target(self) -> str:
        """The target whose shared filesystem holds the datastores (v1's storage was reachable from every
        compute; a directory is reachable from one cluster): ``hpcest run --target``, else the default
        target when it is a cluster, else the workspace's only cluster, else this machine."""
        override = target_override()
        if override:
            return override
        if self.default_target != LOCAL:
            return self.default_target
        clusters = [name for name in self._profiles if name != LOCAL]
        return clusters[0] if len(clusters) == 1 else LOCAL

    def _data_backend(self) -> Any:
        from ..backends import get_backend

        target = self.data_target()
        self.get_profile(target)
        return get_backend(self, target)

    @property
    def datastores(self) -> dict[str, Datastore]:
        """v1's two workspace datastores, as directories ``<workdir>/datastores/<name>`` of the data target.

        Naming them contacts nothing: their root is found on the data target when first asked for
        (a ``~`` in the workdir is resolved there), so a registry-only call works with the cluster down."""
        if self._datastores is None:
            self._datastores = {
                name: Datastore._of_workspace(self, name, functools.partial(self._datastore_root, name))
                for name in WORKSPACE_DATASTORES
            }
        return dict(self._datastores)

    def _datastore_root(self, name: str) -> str:
        if self._datastores_base is None:
            _cas, runs_root = self._data_backend().snapshot_store()
            self._datastores_base = posixpath.join(posixpath.dirname(runs_root.rstrip("/")), "datastores")
        return posixpath.join(self._datastores_base, name)

    def get_default_datastore(self) -> Datastore:
        return self.datastores[self._default_datastore]

    def set_default_datastore(self, name: str) -> None:
        if name not in self.datastores:
            raise ConfigError(f"no datastore {name!r}; the workspace has {', '.join(sorted(self.datastores))}")
        self._default_datastore = name

    def datastore_files(self, datastore: Datastore) -> Any:
        """Uploads and downloads for one of this workspace's datastores (``runs/datastore_files.py``)."""
        from .datastore_files import DatastoreFiles

        backend = self._data_backend()
        cas, _runs = backend.snapshot_store()
        umask = self.get_profile(self.data_target()).umask
        return DatastoreFiles(lambda: backend.transport, datastore.root_path, cas, umask, datastore.name)

    def cluster_files(self) -> Any:
        """Reading the files datasets name, on the data target's filesystem."""
        from .datastore_files import ClusterFiles

        backend = self._data_backend()
        return ClusterFiles(lambda: backend.transport)

    def dataset_registry(self) -> Any:
        """The registered datasets and models (``runs/registry.py``), in the workspace store."""
        if self._registry is None:
            from .registry import AssetRegistry

            self._registry = AssetRegistry(self.history_dir)
        return self._registry

    @property
    def datasets(self) -> dict[str, Any]:
        from ..v1.data import Dataset

        return Dataset.get_all(self)

    @property
    def models(self) -> dict[str, Any]:
        """The latest version of each registered model, by name (v1: ``ws.models``, which is
        ``Model.list(ws, latest=True)``: the highest version of each name)."""
        from .model import Model

        return {model.name: model for model in Model.list(self, latest=True)}

    @property
    def experiments(self) -> dict[str, Any]:
        from .experiment import Experiment

        names = sorted({r.experiment for r in self.run_store.list()})
        return {name: Experiment(self, name, _skip_name_validation=True) for name in names}

    def get_run(self, run_id: str) -> Any:
        from .run import Run

        return Run.get(self, run_id)

    def _submit_pipeline(self, experiment_name: str, pipeline: Any, **kwargs: Any) -> Any:
        """``Pipeline.submit(experiment_name, ...)``: the same as ``Experiment(ws, name).submit(pipeline, ...)``."""
        from .experiment import Experiment

        return Experiment(self, experiment_name).submit(pipeline, **kwargs)

    def close(self) -> None:
        if self._registry is not None:
            self._registry.close()
            self._registry = None
        if self._store is not None:
            self._store.close()
            self._store = None

    def __repr__(self) -> str:
        return f"Workspace(name={self.name!r}, path={str(self._path)!r})"


def _plain(value: Any) -> Any:
    """Mappings/tuples/dataclass-ish values → plain dicts/lists for the TOML writer."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__ if getattr(value, k) is not None}
    return value
