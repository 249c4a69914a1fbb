"""Inside the job: the ``Run.get_context()`` object training scripts log metrics to.

The job script gives every rank ``AZUREML_RUN_ID``, ``HPCEST_RUN_DIR`` (the run directory as this
process sees it), ``HPCEST_EXPERIMENT`` and the usual rank variables. Each rank appends JSON lines
to ``<run_dir>/metrics/<rank>.jsonl``: one ``write()`` per line on an ``O_APPEND`` descriptor, so
a line is on disk as soon as ``log`` returns and ranks never share a file (no locking needed, which
matters on NFS/Lustre). Tags and properties set in the job go to the same file; the submitting
side merges them into the run history.

``read_metrics`` merges every rank's file into the shape v1 ``Run.get_metrics()`` returns.
Outside a job ``get_context()`` returns an :class:`OfflineRun` whose ``log*`` methods only print,
exactly as v1 does when run outside Azure ML.

Training code runs with whatever Python its container has (the v1 framework images pinned 3.6),
so this module runs on Python >= 3.6 and needs nothing but the standard library: annotations
that older interpreters cannot evaluate are strings, and it also works as a lone file.
"""

import itertools
import json
import os
import shutil
import sys
import threading
import time
import types
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

try:
    from ..errors import UserErrorException
except ImportError:  # pragma: no cover - this file copied alone into a job's container

    class UserErrorException(Exception):  # type: ignore[no-redef]
        """The caller passed something invalid (v1 name)."""


RUN_ID_VAR = "AZUREML_RUN_ID"
RUN_DIR_VAR = "HPCEST_RUN_DIR"
EXPERIMENT_VAR = "HPCEST_EXPERIMENT"
RANK_VARS = ("RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID")
METRICS_DIR = "metrics"


class MetricTypeError(UserErrorException, TypeError):
    """A value cannot be logged with this method (also a TypeError, as Python users expect)."""


def current_rank(environ: "Mapping[str, str] | None" = None) -> int:
    """This process's global rank from the first rank variable that is set (0 when none)."""
    env = os.environ if environ is None else environ
    for var in RANK_VARS:
        value = env.get(var)
        if value is not None and value.strip().lstrip("-").isdigit():
            return int(value)
    return 0


def _scalar(name: str, value: Any) -> Any:
    """A JSON-able scalar, or MetricTypeError naming the method to use instead."""
    if isinstance(value, (list, tuple, range, set, frozenset, types.GeneratorType)):
        raise MetricTypeError(
            f"Run.log({name!r}, ...) got a {type(value).__name__}; log() records one value. "
            f"Use run.log_list({name!r}, values) to log a list of values."
        )
    if isinstance(value, Mapping):
        raise MetricTypeError(
            f"Run.log({name!r}, ...) got a dict; use run.log_row({name!r}, **columns) or "
            f"run.log_table({name!r}, {{column: [values]}})."
        )
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    item = getattr(value, "item", None)  # numpy / torch scalars
    if callable(item):
        try:
            converted = item()
        except (ValueError, TypeError, RuntimeError):
            converted = None
        if isinstance(converted, (bool, int, float, str)):
            return converted
    raise MetricTypeError(
        f"Run.log({name!r}, ...) cannot record a {type(value).__name__}; log a number, string or "
        "bool (convert it first, e.g. float(x))."
    )


def _list(name: str, value: Any) -> "list[Any]":
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        tolist = getattr(value, "tolist", None)  # numpy arrays
        if callable(tolist) and not isinstance(value, (str, bytes)):
            value = tolist()
        else:
            raise MetricTypeError(
                f"Run.log_list({name!r}, ...) needs a list of values, got {type(value).__name__}; "
                f"use run.log({name!r}, value) for a single value."
            )
    return [_scalar(name, v) for v in value]


class _Experiment:
    """The ``run.experiment`` object: only ``name`` is meaningful inside a job."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Experiment(name={self.name!r})"


# Each named input's path is in AZUREML_DATAREFERENCE_<name> (v1's variable); the submitting side
# (v1/data.py, compile/environment.py) takes the name from here, since this file must stand alone.
DATAREFERENCE_PREFIX = "AZUREML_DATAREFERENCE_"


class JobRunContext:
    """The run a training process belongs to (v1 ``Run`` method names and signatures)."""

    def __init__(self, run_id: str, run_dir: "str | Path", experiment: str = "", rank: "int | None" = None) -> None:
        self._id = run_id
        self.run_dir = Path(run_dir)
        self._experiment = _Experiment(experiment)
        self.rank = current_rank() if rank is None else rank
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._tags: dict[str, Any] = {}
        self._properties: dict[str, Any] = {}

    # -- identity -------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self._id

    @property
    def name(self) -> str:
        return self._id

    @property
    def experiment(self) -> "_Experiment":
        return self._experiment

    @property
    def status(self) -> str:
        return "Running"

    def get_status(self) -> str:
        return "Running"

    @property
    def tags(self) -> "dict[str, Any]":
        return dict(self._tags)

    @property
    def properties(self) -> "dict[str, Any]":
        return dict(self._properties)

    @property
    def input_datasets(self) -> "dict[str, str]":
        """v1's ``run.input_datasets[name]``: where each named input is in this job (a mounted or
        downloaded dataset is a path here; v1 gave the same path for ``as_mount()``/``as_download()``)."""
        return {key[len(DATAREFERENCE_PREFIX):]: value for key, value in os.environ.items()
                if key.startswith(DATAREFERENCE_PREFIX)}

    @property
    def metrics_file(self) -> Path:
        return self.run_dir / METRICS_DIR / f"{self.rank}.jsonl"

    def __repr__(self) -> str:
        return f"Run(experiment={self._experiment.name!r}, id={self._id!r}, rank={self.rank})"

    # -- writing --------------------------------------------------------------------------

    def _emit(self, kind: str, **fields: Any) -> None:
        record = {"t": time.time(), "rank": self.rank, "seq": 0, "kind": kind, **fields}
        with self._lock:
            record["seq"] = next(self._seq)
            line = (json.dumps(record, default=str) + "\n").encode("utf-8")
            if self._fd is None:
                self.metrics_file.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.metrics_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            # One write per line: with O_APPEND the line lands whole at the end of the file.
            os.write(self._fd, line)

    def log(self, name: str, value: Any, description: str = "", step: "int | None" = None) -> None:
        """Log one value; logging the same name again builds a list (v1 semantics)."""
        if step is not None and not isinstance(step, int):
            raise MetricTypeError(f"Run.log({name!r}, ..., step={step!r}): step must be an int")
        self._emit("metric", type="scalar", name=name, value=_scalar(name, value), description=description, step=step)

    def log_list(self, name: str, value: Any, description: str = "") -> None:
        self._emit("metric", type="list", name=name, value=_list(name, value), description=description)

    def log_row(self, name: str, description: "str | None" = None, **kwargs: Any) -> None:
        row = {col: _scalar(f"{name}.{col}", v) for col, v in kwargs.items()}
        self._emit("metric", type="row", name=name, value=row, description=description or "")

    def log_table(self, name: str, value: "Mapping[str, Any]", description: str = "") -> None:
        if not isinstance(value, Mapping):
            raise MetricTypeError(
                f"Run.log_table({name!r}, ...) needs a dict of column name -> list of values, "
                f"got {type(value).__name__}"
            )
        table = {str(col): _list(f"{name}.{col}", v) for col, v in value.items()}
        self._emit("metric", type="table", name=name, value=table, description=description)

    def log_image(
        self, name: str, path: "str | os.PathLike[str] | None" = None, plot: Any = None, description: str = ""
    ) -> None:
        """Keep an image (a file, or a matplotlib figure/pyplot) under ``<run_dir>/images/``."""
        if (path is None) == (plot is None):
            raise UserErrorException("Run.log_image needs exactly one of path= or plot=")
        images = self.run_dir / "images"
        images.mkdir(parents=True, exist_ok=True)
        if path is not None:
            suffix = Path(path).suffix or ".png"
            target = images / f"{name}{suffix}"
            shutil.copyfile(path, target)
        else:
            target = images / f"{name}.png"
            plot.savefig(target)
        self._emit(
            "metric", type="image", name=name, value=str(target.relative_to(self.run_dir)), description=description
        )

    def tag(self, key: str, value: Any = None) -> None:
        value = "" if value is None else str(value)
        self._tags[key] = value
        self._emit("tag", name=key, value=value)

    def set_tags(self, tags: "Mapping[str, Any] | Iterable[str]") -> None:
        """v1 accepts a dict, or a list of keys (each tagged with an empty value)."""
        items = tags.items() if isinstance(tags, Mapping) else ((k, None) for k in tags)
        for key, value in items:
            self.tag(key, value)

    def get_tags(self) -> "dict[str, Any]":
        return dict(self._tags)

    def add_properties(self, properties: "Mapping[str, Any]") -> None:
        for key, value in properties.items():
            if key in self._properties and self._properties[key] != value:
                raise UserErrorException(f"property {key!r} is already set; properties are immutable")
            self._properties[key] = value
            self._emit("property", name=key, value=value)

    def complete(self, _set_status: bool = True) -> None:
        self._emit("status", value="Completed")

    def fail(self, error_details: Any = None, error_code: Any = None, _set_status: bool = True) -> None:
        self._emit(
            "status", value="Failed", error_details=str(error_details) if error_details else None, error_code=error_code
        )

    def flush(self, timeout_seconds: int = 300) -> None:
        """Every line is written when ``log`` returns; nothing is buffered."""

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> "JobRunContext":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading --------------------------------------------------------------------------

    def get_metrics(
        self, name: "str | None" = None, recursive: bool = False, run_type: "str | None" = None, populate: bool = False
    ) -> "dict[str, Any]":
        """All ranks' metrics so far, as v1 returns them; ``recursive=True`` keys them by run id."""
        metrics = read_metrics(self.run_dir)
        if name is not None:
            metrics = {name: metrics[name]} if name in metrics else {}
        return {self._id: metrics} if recursive else metrics


class OfflineRun:
    """What ``get_context()`` returns outside a job: logging prints, nothing is stored (v1)."""

    def __init__(self) -> None:
        self._id = f"OfflineRun_{uuid.uuid4()}"
        self._experiment = _Experiment("offline")
        self._tags: dict[str, Any] = {}

    @property
    def id(self) -> str:
        return self._id

    @property
    def name(self) -> str:
        return self._id

    @property
    def experiment(self) -> "_Experiment":
        return self._experiment

    @property
    def tags(self) -> "dict[str, Any]":
        return dict(self._tags)

    def get_status(self) -> str:
        return "Running"

    def _print(self, kind: str, name: str, value: Any) -> None:
        print(f"Attempted to log {kind} metric {name}:\n{value}", file=sys.stdout)

    # v1's offline log() has no step parameter: passing step= is a TypeError there too.
    def log(self, name: str, value: Any, description: str = "") -> None:
        _scalar(name, value)
        self._print("scalar", name, value)

    def log_list(self, name: str, value: Any, description: str = "") -> None:
        self._print("list", name, value)

    def log_row(self, name: str, description: "str | None" = None, **kwargs: Any) -> None:
        self._print("row", name, kwargs)

    def log_table(self, name: str, value: Any, description: str = "") -> None:
        self._print("table", name, value)

    def log_image(self, name: str, path: Any = None, plot: Any = None, description: str = "") -> None:
        self._print("image", name, path if path is not None else plot)

    def tag(self, key: str, value: Any = None) -> None:
        self._tags[key] = "" if value is None else str(value)
        print(f"Attempted to set tag {key}:\n{value}", file=sys.stdout)

    def set_tags(self, tags: "Mapping[str, Any] | Iterable[str]") -> None:
        items = tags.items() if isinstance(tags, Mapping) else ((k, None) for k in tags)
        for key, value in items:
            self.tag(key, value)

    def add_properties(self, properties: "Mapping[str, Any]") -> None:
        print(f"Attempted to add properties {dict(properties)}", file=sys.stdout)

    def upload_file(self, name: str, path_or_stream: Any, datastore_name: "str | None" = None) -> None:
        print(f"Attempted to upload file {name} from {path_or_stream}", file=sys.stdout)

    def complete(self, _set_status: bool = True) -> None:
        """Nothing to complete offline."""

    def fail(self, error_details: Any = None, error_code: Any = None, _set_status: bool = True) -> None:
        print(f"Attempted to fail the offline run: {error_details}", file=sys.stdout)

    def flush(self, timeout_seconds: int = 300) -> None:
        """Nothing is buffered offline."""

    def __repr__(self) -> str:
        return f"Run(id={self._id!r}, offline=True)"


def get_context(
    allow_offline: bool = True, used_for_context_manager: bool = False, **kwargs: Any
) -> "JobRunContext | OfflineRun":
    """The current run: a :class:`JobRunContext` inside an hpcest job, else an offline run."""
    run_id = os.environ.get(RUN_ID_VAR)
    run_dir = os.environ.get(RUN_DIR_VAR)
    if run_id and run_dir:
        return JobRunContext(run_id, run_dir, os.environ.get(EXPERIMENT_VAR, ""))
    if not allow_offline:
        missing = " and ".join(v for v, val in ((RUN_ID_VAR, run_id), (RUN_DIR_VAR, run_dir)) if not val)
        raise UserErrorException(
            f"Run.get_context(allow_offline=False) was called outside an hpcest job ({missing} not "
            "set). Submit the script with Experiment.submit(...) so it runs as a job, or call "
            "Run.get_context() (allow_offline=True) to get an offline run that prints metrics."
        )
    return OfflineRun()


# --- merging ---------------------------------------------------------------------------------


def _metric_files(source: "str | os.PathLike[str] | Iterable[str | os.PathLike[str]]") -> "list[Path]":
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_file():
            return [path]
        if (path / METRICS_DIR).is_dir():
            path = path / METRICS_DIR
        return sorted(path.glob("*.jsonl")) if path.is_dir() else []
    return [Path(p) for p in source]


def read_events(source: "str | os.PathLike[str] | Iterable[str | os.PathLike[str]]") -> "list[dict[str, Any]]":
    """Every record from the given run dir / metrics dir / files, in logging order.

    A line that is not valid JSON (a rank killed in the middle of a write) is skipped.
    """
    events: list[dict[str, Any]] = []
    for path in _metric_files(source):
        try:
            events.extend(parse_events(path.read_bytes()))
        except FileNotFoundError:
            continue
    return in_logging_order(events)


def parse_events(data: "bytes | str") -> "list[dict[str, Any]]":
    """Records from JSON-lines text; lines that are not a JSON object are skipped."""
    events: list[dict[str, Any]] = []
    for line in data.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def in_logging_order(events: "list[dict[str, Any]]") -> "list[dict[str, Any]]":
    """Records of all ranks in the order they were logged (time, then rank, then each rank's sequence)."""
    return sorted(events, key=lambda e: (e.get("t", 0), e.get("rank", 0), e.get("seq", 0)))


def _as_list(value: Any) -> "list[Any]":
    return list(value) if isinstance(value, list) else [value]


def read_metrics(source: "str | os.PathLike[str] | Iterable[str | os.PathLike[str]]") -> "dict[str, Any]":
    """Merge logged metrics into v1 ``get_metrics()`` form, in the order they were logged.

    One ``log`` → the value; repeated ``log`` or ``log_list`` → a list; ``log_row`` → a dict of
    column lists; ``log_table`` → a dict of column lists (a table logged again extends the
    columns); ``log_image`` → the image path relative to the run directory.
    """
    return merge_metrics(read_events(source))


def merge_metrics(events: "Iterable[dict[str, Any]]") -> "dict[str, Any]":
    """Fold ordered records into the v1 ``get_metrics()`` shape (see :func:`read_metrics`)."""
    metrics: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for event in events:
        if event.get("kind") != "metric":
            continue
        name, kind, value = event.get("name"), event.get("type"), event.get("value")
        if not isinstance(name, str):
            continue
        seen = counts.get(name, 0)
        counts[name] = seen + 1
        if kind in ("scalar", "image"):
            metrics[name] = value if seen == 0 else [*_as_list(metrics[name]), value]
        elif kind == "list" and isinstance(value, list):
            metrics[name] = list(value) if seen == 0 else [*_as_list(metrics[name]), *value]
        elif kind in ("row", "table") and isinstance(value, dict):
            current = metrics.get(name) if seen else None
            if not isinstance(current, dict):
                current = {}
            for col, v in value.items():
                current.setdefault(col, []).extend(v if kind == "table" else [v])
            metrics[name] = current
    return metrics


def read_tags(source: "str | os.PathLike[str] | Iterable[str | os.PathLike[str]]") -> "dict[str, Any]":
    """Tags set inside the job (the last value of each key wins)."""
    return merge_tags(read_events(source))


def merge_tags(events: "Iterable[dict[str, Any]]") -> "dict[str, Any]":
    return {e["name"]: e.get("value") for e in events if e.get("kind") == "tag" and isinstance(e.get("name"), str)}
