"""Eight processes submitting at once: every run is recorded, staged and completes.

Real processes share one workspace (SQLite WAL history) and one content store for the source
snapshot, and all stage the same files at the same moment.
"""

from __future__ import annotations

import multiprocessing
import warnings
from pathlib import Path

from hpc_estimator import Estimator, Experiment, Workspace


def _submit(args: tuple[str, str, int]) -> str:
    ws_path, src, i = args
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = Workspace.from_config(ws_path)
        est = Estimator(src, compute_target="local", entry_script="t.py", script_params={"--i": i}, use_docker=False)
        run = Experiment(ws, "burst").submit(est)
        status = run.wait_for_completion(raise_on_error=False)["status"]
    return f"{run.id} {status}"


def test_eight_processes_submitting_at_once_lose_nothing(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "t.py").write_text("import sys\nprint('run', sys.argv[2])\n")
    for k in range(20):
        (src / f"data{k}.txt").write_text(f"shared file {k}\n" * 100)
    ws = Workspace.create(tmp_path / "ws")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(8) as pool:
        results = pool.map(_submit, [(str(ws.path), str(src), i) for i in range(8)])
    ids = [r.split()[0] for r in results]
    assert len(set(ids)) == 8
    assert [r for r in results if not r.endswith(" Completed")] == []
    records = ws.run_store.list(experiment="burst")
    assert sorted(r.run_id for r in records) == sorted(ids)
    assert all(r.status == "Completed" for r in records)
    for rec in records:
        assert (Path(rec.remote_dir) / "src" / "data19.txt").read_text() == "shared file 19\n" * 100
    ws.close()
