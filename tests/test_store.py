"""Run history store: SQLite in WAL mode shared by many processes."""

from __future__ import annotations

import multiprocessing
import re
import sqlite3
from pathlib import Path

import pytest

from hpc_estimator.errors import UserErrorException
from hpc_estimator.runs.store import SCHEMA_VERSION, RunStore, new_run_id

N_PROCS = 8
RUNS_PER_PROC = 50


def _worker(db: str, worker: int) -> list[str]:
    # Each process opens its own connection, as separate `hpcest` invocations would.
    store = RunStore(db)
    ids = []
    for i in range(RUNS_PER_PROC):
        rec = store.create_run(f"exp{worker % 3}", "cluster", "slurm", tags={"w": worker, "i": i})
        store.set_job_id(rec.run_id, str(worker * 1000 + i))
        store.update_status(rec.run_id, "Queued", detail="Priority")
        store.update_status(rec.run_id, "Running")
        store.update_status(rec.run_id, "Completed" if i % 2 else "Failed", exit_code=i % 2 - 1)
        ids.append(rec.run_id)
    store.close()
    return ids


def test_concurrent_processes_lose_nothing(tmp_path: Path) -> None:
    """8 processes writing at once: every run lands, every status is final, no id is shared."""
    db = str(tmp_path / "runs.db")
    RunStore(db).close()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(N_PROCS) as pool:
        results = pool.starmap(_worker, [(db, w) for w in range(N_PROCS)])
    all_ids = [rid for ids in results for rid in ids]
    assert len(set(all_ids)) == N_PROCS * RUNS_PER_PROC
    store = RunStore(db)
    assert store.count() == N_PROCS * RUNS_PER_PROC
    runs = store.list()
    assert len(runs) == N_PROCS * RUNS_PER_PROC
    assert all(r.status in ("Completed", "Failed") for r in runs)
    assert all(r.job_id is not None and r.ended_at is not None for r in runs)
    assert store.active_runs() == []
    # Each run went through exactly the four states we wrote, in order.
    sample = runs[0]
    assert [c.status for c in store.history(sample.run_id)] == [
        "NotStarted",
        "Queued",
        "Running",
        sample.status,
    ]


def test_database_is_in_wal_mode(tmp_path: Path) -> None:
    """WAL is what lets pollers read while a submitter writes; check it is really on disk."""
    RunStore(tmp_path / "runs.db").close()
    conn = sqlite3.connect(tmp_path / "runs.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_schema_1_store_is_upgraded_in_place(tmp_path: Path) -> None:
    """A run history written by the previous release keeps its runs and gains parent/kind/name."""
    path = tmp_path / "runs.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE runs (run_id TEXT PRIMARY KEY, experiment TEXT NOT NULL, target TEXT NOT NULL,"
        " backend TEXT NOT NULL, job_id TEXT, remote_dir TEXT, status TEXT NOT NULL, status_detail TEXT,"
        " created_at TEXT NOT NULL, started_at TEXT, ended_at TEXT, tags TEXT NOT NULL DEFAULT '{}',"
        " properties TEXT NOT NULL DEFAULT '{}', spec TEXT NOT NULL DEFAULT '{}', exit_code INTEGER);"
        "CREATE TABLE status_history (run_id TEXT NOT NULL, status TEXT NOT NULL, detail TEXT, at TEXT NOT NULL);"
        "INSERT INTO runs (run_id, experiment, target, backend, status, created_at)"
        " VALUES ('old_1', 'e', 'local', 'local', 'Completed', '2026-11-01T00:00:00.000000Z');"
        "PRAGMA user_version = 1;"
    )
    conn.close()
    with RunStore(path) as store:
        old = store.get("old_1")
        assert (old.status, old.parent_id, old.kind) == ("Completed", None, "run")
        parent = store.create_run("e", "local", "local", kind="pipeline")
        step = store.create_run("e", "local", "local", parent_id=parent.run_id, kind="step", name="train")
        assert [r.run_id for r in store.children(parent.run_id)] == [step.run_id]
        assert step.run_id not in [r.run_id for r in store.list(top_level=True)]


def test_directory_path_means_runs_db_inside(tmp_path: Path) -> None:
    """RunStore(<dir>) opens <dir>/runs.db so callers can pass the .hpcest directory."""
    with RunStore(tmp_path) as store:
        assert store.path == tmp_path / "runs.db"


def test_run_id_shape_and_uniqueness() -> None:
    """Ids follow <experiment>_<unix-ts>_<8 hex> and odd experiment names are made safe."""
    rid = new_run_id("my exp/1")
    assert re.fullmatch(r"my_exp_1_\d{10}_[0-9a-f]{8}", rid)
    assert len({new_run_id("e") for _ in range(2000)}) == 2000


def test_explicit_duplicate_id_is_refused(tmp_path: Path) -> None:
    """A caller-chosen id that exists already fails with a message instead of overwriting."""
    with RunStore(tmp_path) as store:
        store.create_run("e", "local", "local", run_id="fixed")
        with pytest.raises(UserErrorException, match="already exists"):
            store.create_run("e", "local", "local", run_id="fixed")


def test_update_status_is_idempotent_and_terminal_is_final(tmp_path: Path) -> None:
    """Repeated polls add no history; a late 'Running' cannot undo 'Completed'."""
    with RunStore(tmp_path) as store:
        rid = store.create_run("e", "c", "slurm").run_id
        assert store.update_status(rid, "Queued", detail="Resources")
        assert not store.update_status(rid, "Queued", detail="Resources")
        assert store.update_status(rid, "Queued", detail="Priority")  # reason change is recorded
        assert store.update_status(rid, "Running")
        started = store.get(rid).started_at
        assert store.update_status(rid, "Completed", exit_code=0)
        assert not store.update_status(rid, "Running")
        rec = store.get(rid)
        assert rec.status == "Completed" and rec.exit_code == 0 and rec.started_at == started
        assert rec.ended_at is not None and rec.is_terminal
        assert [(c.status, c.detail) for c in store.history(rid)] == [
            ("NotStarted", None),
            ("Queued", "Resources"),
            ("Queued", "Priority"),
            ("Running", None),
            ("Completed", None),
        ]


def test_unknown_status_is_rejected(tmp_path: Path) -> None:
    """Only v1 status strings enter the store, so Run.get_status() stays v1-compatible."""
    with RunStore(tmp_path) as store:
        rid = store.create_run("e", "c", "slurm").run_id
        with pytest.raises(UserErrorException, match="Completed"):
            store.update_status(rid, "COMPLETED")


def test_list_filters_and_order(tmp_path: Path) -> None:
    """list() is newest first, filters by experiment/activity; active_runs() by target."""
    with RunStore(tmp_path) as store:
        a = store.create_run("a", "c1", "slurm").run_id
        b = store.create_run("b", "c2", "slurm").run_id
        c = store.create_run("a", "c1", "local").run_id
        store.update_status(c, "Completed")
        assert [r.run_id for r in store.list()] == [c, b, a]
        assert [r.run_id for r in store.list("a")] == [c, a]
        assert [r.run_id for r in store.list("a", active_only=True)] == [a]
        assert [r.run_id for r in store.list(limit=1)] == [c]
        assert [r.run_id for r in store.active_runs("c2")] == [b]


def test_tags_merge_and_properties_are_immutable(tmp_path: Path) -> None:
    """set_tags merges like v1; properties cannot be changed once set."""
    with RunStore(tmp_path) as store:
        rid = store.create_run("e", "c", "slurm", tags={"a": 1}, spec={"argv": ["x"]}).run_id
        store.set_tags(rid, {"b": "two"})
        store.set_tags(rid, {"a": 3})
        store.add_properties(rid, {"p": 1})
        store.add_properties(rid, {"p": 1})
        with pytest.raises(UserErrorException, match="immutable"):
            store.add_properties(rid, {"p": 2})
        rec = store.get(rid)
        assert rec.tags == {"a": 3, "b": "two"} and rec.properties == {"p": 1}
        assert rec.spec == {"argv": ["x"]}


def test_unknown_run_names_the_problem(tmp_path: Path) -> None:
    """Looking up a missing run says which id and where it looked."""
    with RunStore(tmp_path) as store, pytest.raises(UserErrorException, match="nope"):
        store.get("nope")


def test_open_reader_does_not_block_writer(tmp_path: Path) -> None:
    """A poller in the middle of a read transaction must not stall a submission (WAL property).

    In rollback-journal mode this write would fail with "database is locked" after the short
    busy timeout, because committing needs the reader gone.
    """
    store = RunStore(tmp_path, busy_timeout_ms=200)
    first = store.create_run("e", "c", "slurm").run_id
    reader = sqlite3.connect(tmp_path / "runs.db", isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
    second = store.create_run("e", "c", "slurm").run_id  # reader still holds its snapshot
    store.update_status(first, "Running")
    # The reader keeps its consistent snapshot until it ends its transaction.
    assert reader.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
    reader.execute("COMMIT")
    assert reader.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2
    assert {r.run_id for r in store.list()} == {first, second}
    reader.close()
    store.close()
