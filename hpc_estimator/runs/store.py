"""Run history: one SQLite database per workspace (``<workspace>/.hpcest/runs.db``).

Several processes use it at once (a notebook submitting, ``hpcest`` commands polling, HyperDrive
sweeps submitting children), so:

* the database runs in WAL mode: readers never block the writer and see a consistent snapshot;
* every write is its own short ``BEGIN IMMEDIATE`` transaction, taking the write lock up front
  so two writers queue on ``busy_timeout`` instead of failing with "database is locked" halfway;
* run ids carry 32 random bits and are inserted under a primary key; a clash retries with a
  new suffix, so two processes can never share an id.

WAL needs a local filesystem (not NFS); the workspace lives on the submitting machine, which is
where this database belongs. Cluster-side state (metrics, exit codes) stays in run directories.
"""

from __future__ import annotations

import builtins
import json
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import ConfigError, UserErrorException
from ..job.state import JobState

SCHEMA_VERSION = 2

# Azure ML v1 run status strings.
STATUSES = (
    "NotStarted",
    "Starting",
    "Provisioning",
    "Preparing",
    "Queued",
    "Running",
    "Finalizing",
    "CancelRequested",
    "Completed",
    "Failed",
    "Canceled",
    "NotResponding",
)
TERMINAL_STATUSES = frozenset({"Completed", "Failed", "Canceled"})
# The one place a neutral job state becomes a v1 run status.
V1_STATUS: dict[JobState, str] = {
    JobState.QUEUED: "Queued",
    JobState.STARTING: "Starting",
    JobState.RUNNING: "Running",
    JobState.COMPLETED: "Completed",
    JobState.FAILED: "Failed",
    JobState.CANCELED: "Canceled",
}
ACTIVE_STATUSES = tuple(s for s in STATUSES if s not in TERMINAL_STATUSES)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id        TEXT PRIMARY KEY,
    experiment    TEXT NOT NULL,
    target        TEXT NOT NULL,
    backend       TEXT NOT NULL CHECK (backend IN ('local', 'slurm')),
    job_id        TEXT,
    remote_dir    TEXT,
    status        TEXT NOT NULL,
    status_detail TEXT,
    created_at    TEXT NOT NULL,
    started_at    TEXT,
    ended_at      TEXT,
    tags          TEXT NOT NULL DEFAULT '{}',
    properties    TEXT NOT NULL DEFAULT '{}',
    spec          TEXT NOT NULL DEFAULT '{}',
    exit_code     INTEGER,
    parent_id     TEXT REFERENCES runs (run_id),
    kind          TEXT NOT NULL DEFAULT 'run',
    name          TEXT,
    unseen_since  TEXT,
    inferred      INTEGER NOT NULL DEFAULT 0,
    annotations_seen TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_experiment ON runs (experiment, created_at);
CREATE INDEX IF NOT EXISTS runs_by_target_status ON runs (target, status);
CREATE TABLE IF NOT EXISTS status_history (
    run_id  TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    status  TEXT NOT NULL,
    detail  TEXT,
    at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS status_history_by_run ON status_history (run_id);
CREATE INDEX IF NOT EXISTS runs_by_parent ON runs (parent_id);
"""

# Schema 1 -> 2: runs can have a parent (pipeline steps, sweep trials), a kind and a name; the
# poller remembers since when the scheduler stopped listing a job, and whether a terminal status
# was inferred (no exit code, no scheduler verdict) and may still be corrected, and how much of
# each rank's metrics file has been read for tags and properties set inside the job.
_UPGRADE_1_TO_2 = """
ALTER TABLE runs ADD COLUMN parent_id TEXT REFERENCES runs (run_id);
ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'run';
ALTER TABLE runs ADD COLUMN name TEXT;
ALTER TABLE runs ADD COLUMN unseen_since TEXT;
ALTER TABLE runs ADD COLUMN inferred INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN annotations_seen TEXT;
CREATE INDEX IF NOT EXISTS runs_by_parent ON runs (parent_id);
"""
# What a run is: a single run, a pipeline and its steps, a sweep and its trials.
RUN_KINDS = ("run", "pipeline", "step", "sweep", "trial")


def utc_now() -> str:
    """ISO 8601 UTC with microseconds; fixed width, so text order is time order."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_from_epoch(seconds: float) -> str:
    """``utc_now``'s format for a Unix time."""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_run_id(experiment: str) -> str:
    """``<experiment>_<unix-ts>_<8 hex>`` (v1 ids look like ``<experiment>_<unix-ts>_<hex>``)."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", experiment)[:200] or "run"
    return f"{safe}_{int(time.time())}_{secrets.token_hex(4)}"


@dataclass(frozen=True)
class StatusChange:
    status: str
    detail: str | None
    at: str


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    experiment: str
    target: str
    backend: str
    job_id: str | None
    remote_dir: str | None
    status: str
    status_detail: str | None
    created_at: str
    started_at: str | None
    ended_at: str | None
    tags: dict[str, Any]
    properties: dict[str, Any]
    spec: dict[str, Any]
    exit_code: int | None
    parent_id: str | None = None
    kind: str = "run"
    name: str | None = None
    unseen_since: str | None = None
    inferred: bool = False
    annotations_seen: str | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @classmethod
    def _from_row(cls, row: sqlite3.Row) -> RunRecord:
        data = dict(row)
        for key in ("tags", "properties", "spec"):
            data[key] = json.loads(data[key])
        data["inferred"] = bool(data.get("inferred"))
        return cls(**data)


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise UserErrorException(
            f"unknown run status {status!r}; use one of the Azure ML run statuses: {', '.join(STATUSES)}"
        )


class RunStore:
    """The run table of one workspace. Safe to share between threads and processes."""

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 60_000) -> None:
        path = Path(path)
        if path.is_dir():
            path = path / "runs.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # isolation_level=None: we issue BEGIN ourselves, so each write is exactly one
        # transaction and reads run in autocommit (no long-lived read snapshot).
        self._conn = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000
        )
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise ConfigError(
                f"run store {path}: SQLite could not switch to WAL mode (got {mode!r}); the "
                "workspace must be on a local filesystem, not NFS. Move it or set HPCEST_WORKSPACE."
            )
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._migrate()

    # -- plumbing -------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _migrate(self) -> None:
        with self._write() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise ConfigError(
                    f"run store {self.path} has schema version {version}, newer than this hpcest "
                    f"understands ({SCHEMA_VERSION}); upgrade hpcest."
                )
            if version < SCHEMA_VERSION:
                has_runs = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'runs'").fetchone()
                script = _UPGRADE_1_TO_2 if has_runs and version == 1 else _SCHEMA
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writes ---------------------------------------------------------------------------

    def create_run(
        self,
        experiment: str,
        target: str,
        backend: str,
        *,
        run_id: str | None = None,
        remote_dir: str | None = None,
        status: str = "NotStarted",
        tags: Mapping[str, Any] | None = None,
        properties: Mapping[str, Any] | None = None,
        spec: Mapping[str, Any] | None = None,
        parent_id: str | None = None,
        kind: str = "run",
        name: str | None = None,
    ) -> RunRecord:
        """Insert a new run and return it. Without ``run_id`` a unique one is generated.

        ``parent_id`` makes it a child run (a pipeline step, a sweep trial); ``kind`` is one of
        RUN_KINDS and ``name`` the child's name within its parent (step name, trial number).
        """
        _check_status(status)
        if kind not in RUN_KINDS:
            raise UserErrorException(f"run kind must be one of {', '.join(RUN_KINDS)}, got {kind!r}")
        if backend not in ("local", "slurm"):
            raise UserErrorException(f"backend must be 'local' or 'slurm', got {backend!r}")
        now = utc_now()
        for _attempt in range(20):
            rid = run_id or new_run_id(experiment)
            try:
                with self._write() as conn:
                    conn.execute(
                        "INSERT INTO runs (run_id, experiment, target, backend, remote_dir, status,"
                        " created_at, tags, properties, spec, parent_id, kind, name)"
                        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        (
                            rid,
                            experiment,
                            target,
                            backend,
                            remote_dir,
                            status,
                            now,
                            json.dumps(dict(tags or {})),
                            json.dumps(dict(properties or {})),
                            json.dumps(dict(spec or {}), default=str),
                            parent_id,
                            kind,
                            name,
                        ),
                    )
                    conn.execute(
                        "INSERT INTO status_history (run_id, status, detail, at) VALUES (?,?,?,?)",
                        (rid, status, None, now),
                    )
            except sqlite3.IntegrityError:
                if run_id is not None:
                    raise UserErrorException(
                        f"run id {run_id!r} already exists in {self.path}; pick another id or let hpcest generate one"
                    ) from None
                continue
            return self.get(rid)
        raise RuntimeError("could not generate a unique run id after 20 attempts")  # pragma: no cover

    def set_job_id(self, run_id: str, job_id: str | None, *, remote_dir: str | None = None) -> None:
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE runs SET job_id = ?, remote_dir = COALESCE(?, remote_dir) WHERE run_id = ?",
                (job_id, remote_dir, run_id),
            )
            self._require_row(cur, run_id)

    def update_status(
        self,
        run_id: str,
        status: str,
        *,
        detail: str | None = None,
        exit_code: int | None = None,
        inferred: bool = False,
    ) -> bool:
        """Move a run to ``status``; returns True when something changed.

        Idempotent: repeating the current status and detail is a no-op (pollers call this on
        every tick). A terminal status (Completed/Failed/Canceled) is final: a late poll that
        still sees "Running" cannot resurrect the run. The one exception is a terminal status that
        was ``inferred`` (the job vanished without a verdict): evidence arriving later (its
        exit-code file) corrects it.
        """
        _check_status(status)
        now = utc_now()
        with self._write() as conn:
            row = conn.execute(
                "SELECT status, status_detail, exit_code, inferred FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
            if row is None:
                raise UserErrorException(f"no run {run_id!r} in {self.path}")
            correcting = bool(row["inferred"]) and status in TERMINAL_STATUSES and not inferred
            if row["status"] in TERMINAL_STATUSES and not correcting and status != row["status"]:
                return False
            if row["status"] in TERMINAL_STATUSES and not correcting and inferred:
                return False
            new_exit = exit_code if exit_code is not None else row["exit_code"]
            if (
                row["status"] == status
                and row["status_detail"] == detail
                and row["exit_code"] == new_exit
                and bool(row["inferred"]) == inferred
            ):
                return False
            conn.execute(
                "UPDATE runs SET status = ?, status_detail = ?, exit_code = ?, inferred = ?, unseen_since = NULL,"
                " started_at = CASE WHEN started_at IS NULL AND ? THEN ? ELSE started_at END,"
                " ended_at = CASE WHEN (ended_at IS NULL OR ?) AND ? THEN ? ELSE ended_at END"
                " WHERE run_id = ?",
                (
                    status,
                    detail,
                    new_exit,
                    int(inferred),
                    status in ("Running", "Finalizing"),
                    now,
                    correcting,
                    status in TERMINAL_STATUSES,
                    now,
                    run_id,
                ),
            )
            if row["status"] != status or row["status_detail"] != detail:
                conn.execute(
                    "INSERT INTO status_history (run_id, status, detail, at) VALUES (?,?,?,?)",
                    (run_id, status, detail, now),
                )
            return True

    def mark_unseen(self, run_id: str) -> None:
        """Remember when the scheduler first answered without listing this run's job."""
        with self._write() as conn:
            conn.execute(
                "UPDATE runs SET unseen_since = COALESCE(unseen_since, ?) WHERE run_id = ?", (utc_now(), run_id)
            )

    def mark_seen(self, run_id: str) -> None:
        with self._write() as conn:
            conn.execute("UPDATE runs SET unseen_since = NULL WHERE run_id = ? AND unseen_since IS NOT NULL", (run_id,))

    def set_times(self, run_id: str, *, started_at: str | None = None, ended_at: str | None = None) -> None:
        """Record when the job really started / ended (from the files it wrote), replacing the time a
        poll first saw it; None leaves a value as it is."""
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE runs SET started_at = COALESCE(?, started_at), ended_at = COALESCE(?, ended_at)"
                " WHERE run_id = ?",
                (started_at, ended_at, run_id),
            )
            self._require_row(cur, run_id)

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        """Merge ``tags`` into the run's tags (v1 ``Run.set_tags`` adds/overwrites keys)."""
        self._merge_json(run_id, "tags", tags)

    def remove_tags(self, run_id: str, keys: Sequence[str]) -> None:
        """Delete tags by key (v1 ``Run.remove_tags``); keys that are not set are ignored."""
        with self._write() as conn:
            row = conn.execute("SELECT tags FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if row is None:
                raise UserErrorException(f"no run {run_id!r} in {self.path}")
            current = json.loads(row["tags"])
            for key in keys:
                current.pop(key, None)
            conn.execute("UPDATE runs SET tags = ? WHERE run_id = ?", (json.dumps(current), run_id))

    def add_properties(self, run_id: str, properties: Mapping[str, Any]) -> None:
        """Add properties; like v1, an existing property cannot be changed."""
        with self._write() as conn:
            row = conn.execute("SELECT properties FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if row is None:
                raise UserErrorException(f"no run {run_id!r} in {self.path}")
            current = json.loads(row["properties"])
            for key, value in properties.items():
                if key in current and current[key] != value:
                    raise UserErrorException(
                        f"run {run_id!r}: property {key!r} is already set to {current[key]!r}; "
                        "properties are immutable, use tags for values that change"
                    )
                current[key] = value
            conn.execute("UPDATE runs SET properties = ? WHERE run_id = ?", (json.dumps(current), run_id))

    def apply_job_annotations(self, run_id: str, events: Sequence[Mapping[str, Any]], *, final: bool) -> None:
        """Record tags and properties the job set (``tag``/``property`` records of its metrics files).

        Each rank's records are applied once, in order, after what the client set before reading
        them: a tag set in the job overwrites an older value, as the later ``set_tags`` did in v1.
        A property the job sets that is already set keeps its first value (properties are
        immutable; the job's own ``add_properties`` already refused a different one). ``final``:
        the run had ended when the records were read, so nothing more will come.
        """
        with self._write() as conn:
            row = conn.execute(
                "SELECT tags, properties, annotations_seen FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
            if row is None:
                raise UserErrorException(f"no run {run_id!r} in {self.path}")
            tags, properties = json.loads(row["tags"]), json.loads(row["properties"])
            seen = json.loads(row["annotations_seen"] or "{}")
            counts: dict[str, int] = dict(seen.get("counts", {}))
            index: dict[str, int] = {}
            for event in events:
                if event.get("kind") not in ("tag", "property") or not isinstance(event.get("name"), str):
                    continue
                rank = str(event.get("rank", 0))
                index[rank] = index.get(rank, 0) + 1
                if index[rank] <= counts.get(rank, 0):
                    continue  # applied by an earlier read
                if event["kind"] == "tag":
                    tags[event["name"]] = event.get("value")
                else:
                    properties.setdefault(event["name"], event.get("value"))
            counts.update({rank: max(n, counts.get(rank, 0)) for rank, n in index.items()})
            conn.execute(
                "UPDATE runs SET tags = ?, properties = ?, annotations_seen = ? WHERE run_id = ?",
                (json.dumps(tags), json.dumps(properties), json.dumps({"counts": counts, "final": final}), run_id),
            )

    def _merge_json(self, run_id: str, column: str, values: Mapping[str, Any]) -> None:
        with self._write() as conn:
            row = conn.execute(f"SELECT {column} FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if row is None:
                raise UserErrorException(f"no run {run_id!r} in {self.path}")
            current = json.loads(row[column])
            current.update(values)
            conn.execute(f"UPDATE runs SET {column} = ? WHERE run_id = ?", (json.dumps(current), run_id))

    @staticmethod
    def _require_row(cur: sqlite3.Cursor, run_id: str) -> None:
        if cur.rowcount == 0:
            raise UserErrorException(f"no run {run_id!r} in the run store")

    # -- reads ----------------------------------------------------------------------------

    def get(self, run_id: str) -> RunRecord:
        with self._lock:
            row = self._conn.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise UserErrorException(f"no run {run_id!r} in {self.path}; list runs with `hpcest runs` to see valid ids")
        return RunRecord._from_row(row)

    def list(
        self,
        experiment: str | None = None,
        *,
        active_only: bool = False,
        status: str | None = None,
        limit: int | None = None,
        top_level: bool = False,
        kind: str | None = None,
    ) -> builtins.list[RunRecord]:
        """Runs, newest first (like v1 ``Experiment.get_runs``); ``top_level`` leaves out child runs,
        ``kind`` keeps one kind of run (one of RUN_KINDS)."""
        clauses: builtins.list[str] = []
        params: builtins.list[Any] = []
        if top_level:
            clauses.append("parent_id IS NULL")
        if kind is not None:
            clauses.append("kind = ?")
            params.append(kind)
        if experiment is not None:
            clauses.append("experiment = ?")
            params.append(experiment)
        if active_only:
            clauses.append(f"status IN ({','.join('?' * len(ACTIVE_STATUSES))})")
            params.extend(ACTIVE_STATUSES)
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        sql = "SELECT * FROM runs"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY created_at DESC, rowid DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        with self._lock:
            rows = self._conn.execute(sql, params).fetchall()
        return [RunRecord._from_row(r) for r in rows]

    def active_runs(self, target: str | None = None) -> builtins.list[RunRecord]:
        """Runs not yet terminal, or terminal only by inference (optionally on one compute target):
        what a poller must watch."""
        sql = f"SELECT * FROM runs WHERE (status IN ({','.join('?' * len(ACTIVE_STATUSES))}) OR inferred = 1)"
        params: builtins.list[Any] = list(ACTIVE_STATUSES)
        if target is not None:
            sql += " AND target = ?"
            params.append(target)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY created_at", params).fetchall()
        return [RunRecord._from_row(r) for r in rows]

    def children(self, parent_id: str) -> builtins.list[RunRecord]:
        """The child runs of ``parent_id`` (steps, trials), in the order they were created."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM runs WHERE parent_id = ? ORDER BY created_at, rowid", (parent_id,)
            ).fetchall()
        return [RunRecord._from_row(r) for r in rows]

    def history(self, run_id: str) -> builtins.list[StatusChange]:
        """Every status transition of a run, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT status, detail, at FROM status_history WHERE run_id = ? ORDER BY rowid",
                (run_id,),
            ).fetchall()
        return [StatusChange(r["status"], r["detail"], r["at"]) for r in rows]

    def count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
