"""``Run.get_portal_url()`` says where the run's files are, from the profile alone.

Protects: a run on this machine (or on a cluster reached without SSH) gives a file URI of its run
directory; a run over SSH gives ssh://user@host/run-dir from the profile. Nothing is contacted
and no backend is built to answer (the login node does not exist).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hpc_estimator import Run, Workspace


def test_portal_url_comes_from_the_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hpc_estimator.backends as backends

    def no_backend(*args: object, **kwargs: object) -> None:
        raise AssertionError("get_portal_url built a backend")

    monkeypatch.setattr(backends, "get_backend", no_backend)
    ws = Workspace.create(tmp_path / "project", name="urls")
    ws.add_profile("login", {"transport": "ssh", "host": "login.invalid", "user": "alice", "workdir": "/scratch/a"})
    ws.add_profile("anon", {"transport": "ssh", "host": "anon.invalid", "workdir": "/scratch/b"})
    ws.add_profile("here", {"transport": "local", "workdir": str(tmp_path / "work")})
    store = ws.run_store
    cases = {
        "login": ("slurm", "/scratch/a/runs/r_1", "ssh://alice@login.invalid/scratch/a/runs/r_1"),
        "anon": ("slurm", "/scratch/b/runs/r_2", "ssh://anon.invalid/scratch/b/runs/r_2"),
        "here": ("slurm", str(tmp_path / "work" / "runs" / "r_3"), (tmp_path / "work" / "runs" / "r_3").as_uri()),
        "local": ("local", str(tmp_path / "h" / "r_4"), (tmp_path / "h" / "r_4").as_uri()),
    }
    for target, (backend, remote_dir, url) in cases.items():
        record = store.create_run("urls", target, backend, remote_dir=remote_dir)
        assert Run.get(ws, record.run_id).get_portal_url() == url, target
