"""A workspace whose one cluster profile, ``cluster``, reaches Slurm through the local transport
without containers; the tests put a stand-in scheduler on PATH (or none) and the work directory
under their own ``tmp_path``. Closed, with its backends, when the test is done."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hpc_estimator.backends import close_all
from hpc_estimator.runs.workspace import Workspace

CLUSTER = "cluster"


@contextmanager
def cluster_workspace(tmp_path: Path, name: str) -> Iterator[Workspace]:
    ws = Workspace.create(tmp_path / "ws", name=name)
    ws.add_profile(CLUSTER, {"transport": "local", "workdir": str(tmp_path / "work"), "container_runtime": "none"})
    try:
        yield ws
    finally:
        close_all()
        ws.close()
