"""The workspace's registries of datasets and models, in the workspace store (``.hpcest/runs.db``).

Their own tables beside the run history (``runs/store.py`` keeps the runs): each registration is
one ``BEGIN IMMEDIATE`` transaction, so two notebooks registering the same name at once get
versions 1 and 2, never the same one. A model's files live in ``.hpcest/models/<name>/<version>/``;
they are copied into a temporary directory first and moved into place inside the transaction that
numbers the version, so a version never exists without its files nor its files without a version.
"""

from __future__ import annotations

import builtins
import json
import os
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .store import utc_now

_SCHEMA = """
CREATE TABLE IF NOT EXISTS datasets (
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    id          TEXT NOT NULL UNIQUE,
    definition  TEXT NOT NULL,
    description TEXT,
    tags        TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS models (
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    files_dir   TEXT NOT NULL,
    entry       TEXT NOT NULL,
    run_id      TEXT,
    experiment  TEXT,
    description TEXT,
    tags        TEXT NOT NULL DEFAULT '{}',
    properties  TEXT NOT NULL DEFAULT '{}',
    framework   TEXT,
    framework_version TEXT,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS saved_datasets (
    id          TEXT PRIMARY KEY,
    definition  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS model_datasets (
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    scenario    TEXT NOT NULL,
    dataset_id  TEXT NOT NULL,
    PRIMARY KEY (name, version, position)
);
CREATE INDEX IF NOT EXISTS model_datasets_by_dataset ON model_datasets (dataset_id);
"""

MODELS_DIR = "models"


class AssetRegistry:
    """Datasets and models of one workspace. Safe to share between threads and processes."""

    def __init__(self, history_dir: str | Path, *, busy_timeout_ms: int = 60_000) -> None:
        self.history_dir = Path(history_dir)
        self.history_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.history_dir / "runs.db"
        self._conn = sqlite3.connect(
            str(self.path), isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000
        )
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        self._conn.execute("PRAGMA journal_mode = WAL")
        with self._write() as conn:
            for statement in _statements(_SCHEMA):
                conn.execute(statement)

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

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- datasets -------------------------------------------------------------------------------

    def add_dataset(
        self, name: str, definition: dict[str, Any], *, description: str | None, tags: dict[str, Any]
    ) -> dict[str, Any]:
        """Register ``definition`` as the next version of ``name``; returns the new record."""
        with self._write() as conn:
            row = conn.execute("SELECT MAX(version) FROM datasets WHERE name = ?", (name,)).fetchone()
            version = int(row[0] or 0) + 1
            conn.execute(
                "INSERT INTO datasets (name, version, id, definition, description, tags, created_at)"
                " VALUES (?,?,?,?,?,?,?)",
                (name, version, str(uuid.uuid4()), json.dumps(definition, sort_keys=True), description,
                 json.dumps(tags), utc_now()),
            )
        record = self.get_dataset(name, version)
        assert record is not None
        return record

    def get_dataset(self, name: str, version: int | None) -> dict[str, Any] | None:
        """Version ``version`` of ``name`` (None: the latest), or None."""
        sql = "SELECT * FROM datasets WHERE name = ?"
        params: builtins.list[Any] = [name]
        if version is not None:
            sql += " AND version = ?"
            params.append(version)
        with self._lock:
            row = self._conn.execute(sql + " ORDER BY version DESC LIMIT 1", params).fetchone()
        return None if row is None else _dataset_record(row)

    def save_dataset(self, definition: dict[str, Any]) -> str:
        """Keep an unregistered dataset's definition under an id of its own (v1's "saved" dataset,
        which a model registered with it refers to); returns the id."""
        dataset_id = str(uuid.uuid4())
        with self._write() as conn:
            conn.execute(
                "INSERT INTO saved_datasets (id, definition, created_at) VALUES (?,?,?)",
                (dataset_id, json.dumps(definition, sort_keys=True), utc_now()),
            )
        return dataset_id

    def get_dataset_by_id(self, dataset_id: str) -> dict[str, Any] | None:
        """A registered dataset version or a saved (unregistered) dataset by its id, or None."""
        with self._lock:
            row = self._conn.execute("SELECT * FROM datasets WHERE id = ?", (dataset_id,)).fetchone()
            saved = None if row is not None else self._conn.execute(
                "SELECT * FROM saved_datasets WHERE id = ?", (dataset_id,)
            ).fetchone()
        if row is not None:
            return _dataset_record(row)
        if saved is None:
            return None
        return {"name": None, "version": None, "id": saved["id"], "definition": json.loads(saved["definition"]),
                "description": None, "tags": {}, "created_at": saved["created_at"]}

    def dataset_names(self) -> builtins.list[str]:
        with self._lock:
            rows = self._conn.execute("SELECT DISTINCT name FROM datasets ORDER BY name").fetchall()
        return [r[0] for r in rows]

    # -- models ---------------------------------------------------------------------------------

    def add_model(
        self,
        name: str,
        fill: Callable[[Path], str],
        *,
        run_id: str | None = None,
        experiment: str | None = None,
        description: str | None = None,
        tags: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        framework: str | None = None,
        framework_version: str | None = None,
        datasets: Sequence[tuple[str, str]] = (),
    ) -> dict[str, Any]:
        """Register the next version of model ``name``; ``fill(directory)`` puts its files into the
        (empty) directory and returns the name of the file or folder the model is (its entry).
        ``datasets``: (scenario, dataset id) pairs, in order, as v1's registration recorded them."""
        root = self.history_dir / MODELS_DIR
        incoming = root / ".incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        staging = incoming / uuid.uuid4().hex
        staging.mkdir()
        try:
            entry = fill(staging)
            with self._write() as conn:
                row = conn.execute("SELECT MAX(version) FROM models WHERE name = ?", (name,)).fetchone()
                version = int(row[0] or 0) + 1
                final = root / name / str(version)
                final.parent.mkdir(parents=True, exist_ok=True)
                if final.exists():  # left by a registration whose transaction rolled back
                    shutil.rmtree(final)
                os.rename(staging, final)
                conn.execute(
                    "INSERT INTO models (name, version, files_dir, entry, run_id, experiment, description, tags,"
                    " properties, framework, framework_version, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (name, version, str(final.relative_to(self.history_dir)), entry, run_id, experiment,
                     description, json.dumps(tags or {}), json.dumps(properties or {}), framework,
                     framework_version, utc_now()),
                )
                conn.executemany(
                    "INSERT INTO model_datasets (name, version, position, scenario, dataset_id) VALUES (?,?,?,?,?)",
                    [(name, version, i, scenario, dataset_id) for i, (scenario, dataset_id) in enumerate(datasets)],
                )
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        record = self.get_model(name, version)
        assert record is not None
        return record

    def get_model(self, name: str, version: int | None) -> dict[str, Any] | None:
        sql = "SELECT * FROM models WHERE name = ?"
        params: builtins.list[Any] = [name]
        if version is not None:
            sql += " AND version = ?"
            params.append(version)
        with self._lock:
            row = self._conn.execute(sql + " ORDER BY version DESC LIMIT 1", params).fetchone()
        return None if row is None else self._model_record(row)

    def list_models(
        self, name: str | None = None, run_id: str | None = None, dataset_id: str | None = None
    ) -> builtins.list[dict[str, Any]]:
        """Every model version (newest first), optionally of one name, one run, or registered with
        one dataset."""
        clauses, params = [], []
        if name is not None:
            clauses.append("models.name = ?")
            params.append(name)
        if run_id is not None:
            clauses.append("models.run_id = ?")
            params.append(run_id)
        if dataset_id is not None:
            clauses.append(
                "EXISTS (SELECT 1 FROM model_datasets d WHERE d.name = models.name AND d.version = models.version"
                " AND d.dataset_id = ?)"
            )
            params.append(dataset_id)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM models" + where + " ORDER BY created_at DESC, version DESC", params
            ).fetchall()
            # The listed versions' datasets in one query, not one per version.
            datasets: dict[tuple[str, int], builtins.list[tuple[str, str]]] = {}
            for d in self._conn.execute(
                "SELECT d.name, d.version, d.scenario, d.dataset_id FROM model_datasets d JOIN models"
                " ON d.name = models.name AND d.version = models.version" + where + " ORDER BY d.position",
                params,
            ):
                datasets.setdefault((d[0], d[1]), []).append((d[2], d[3]))
        return [self._model_record(r, datasets.get((r["name"], r["version"]), [])) for r in rows]

    def update_model_tags(self, name: str, version: int, tags: dict[str, Any], properties: dict[str, Any]) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE models SET tags = ?, properties = ? WHERE name = ? AND version = ?",
                (json.dumps(tags), json.dumps(properties), name, version),
            )

    def _model_record(
        self, row: sqlite3.Row, datasets: builtins.list[tuple[str, str]] | None = None
    ) -> dict[str, Any]:
        """The record of one model version; ``datasets`` its (scenario, id) pairs when already read."""
        data = dict(row)
        if datasets is None:
            with self._lock:
                datasets = [
                    (scenario, dataset_id) for scenario, dataset_id in self._conn.execute(
                        "SELECT scenario, dataset_id FROM model_datasets WHERE name = ? AND version = ?"
                        " ORDER BY position",
                        (data["name"], data["version"]),
                    )
                ]
        data["datasets"] = datasets
        data["tags"] = json.loads(data["tags"])
        data["properties"] = json.loads(data["properties"])
        data["files_dir"] = str(self.history_dir / data["files_dir"])
        return data


def _dataset_record(row: sqlite3.Row) -> dict[str, Any]:
    data = dict(row)
    data["definition"] = json.loads(data["definition"])
    data["tags"] = json.loads(data["tags"])
    return data


def _statements(schema: str) -> builtins.list[str]:
    # executescript() would commit the open transaction; run the statements one by one inside it.
    return [s.strip() for s in schema.split(";") if s.strip()]
