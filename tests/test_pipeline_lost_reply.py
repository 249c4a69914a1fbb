"""A pipeline whose submit reply is lost for good: what the submit script had queued is found from
the job_id files it writes, canceled and recorded, never left to run untracked.

The scheduler is a stand-in ``sbatch``/``scancel``/``squeue`` on PATH (as in
tests/test_hyperdrive_sweep_status.py); the run store, the local transport, the staging, the
generated submit script and its job_id files are real. The transport runs the submit command and
then loses its reply, both times the submission tries it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hpc_estimator.errors import TransportError
from hpc_estimator.runs.pipeline_submission import submit_pipeline
from hpc_estimator.runs.workspace import Workspace
from hpc_estimator.transport.local import LocalTransport
from tests import pipeline_graphs as graphs
from tests.cluster_workspace import cluster_workspace
from tests.test_hyperdrive_sweep_status import install_stand_in_scheduler


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return install_stand_in_scheduler(tmp_path, monkeypatch)


@pytest.fixture
def workspace(tmp_path: Path, fake: Path) -> Iterator[Workspace]:
    with cluster_workspace(tmp_path, "lost-reply") as ws:
        yield ws


def test_a_submission_whose_reply_is_lost_cancels_what_it_queued(
    workspace, fake, tmp_path, monkeypatch
) -> None:
    real_run = LocalTransport.run

    def losing_replies(self: LocalTransport, argv: Any, **kwargs: Any) -> Any:
        result = real_run(self, argv, **kwargs)
        if "submit.sh" in " ".join(argv):
            raise TransportError("connection to the login node lost")
        return result

    monkeypatch.setattr(LocalTransport, "run", losing_replies)
    src = graphs.write_scripts(tmp_path / "src")
    with pytest.raises(TransportError, match="connection to the login node lost"):
        submit_pipeline(workspace, "exp", graphs.chain(workspace, src, "cluster"))
    sbatch_calls = (fake / "sbatch.log").read_text().splitlines()
    assert len(sbatch_calls) == 3  # the repeated command found the steps it had submitted: none twice
    canceled = " ".join((fake / "scancel.log").read_text().split())
    for job_id in ("701", "702", "703"):
        assert job_id in canceled.split()
    store = workspace.run_store
    (pipeline,) = [r for r in store.list() if r.kind == "pipeline"]
    assert pipeline.status == "Failed"
    assert all(s.status == "Failed" for s in store.children(pipeline.run_id))
