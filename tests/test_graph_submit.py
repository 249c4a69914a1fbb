"""A pipeline's submission on Slurm when nothing is to be submitted: no round trip.

Protects: ``slurm_graph.submit_graph`` returns at once when every step is reused (no SSH command
for an empty script), as the local backend's does; reused data without steps is still checked.

The scheduler is the stand-in of tests/test_hyperdrive_sweep_status.py; the local transport, the
staging, the generated commands and the submit script run for real.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hpc_estimator.backends import close_all
from hpc_estimator.backends.graph import GraphSubmission, GraphSubmitted
from hpc_estimator.backends.slurm import SlurmBackend
from hpc_estimator.backends.slurm_graph import submit_graph
from hpc_estimator.errors import UserErrorException
from hpc_estimator.runs.pipeline_submission import submit_pipeline
from hpc_estimator.runs.workspace import Workspace
from hpc_estimator.transport.base import CommandResult
from hpc_estimator.transport.local import LocalTransport
from tests import pipeline_graphs as graphs
from tests.test_hyperdrive_sweep_status import install_stand_in_scheduler


class Recording:
    """A transport that records every command and answers each with the next canned result."""

    def __init__(self, *answers: CommandResult) -> None:
        self.commands: list[list[str]] = []
        self.answers = list(answers)

    def run(self, argv: Any, **kwargs: Any) -> CommandResult:
        self.commands.append(list(argv))
        if not self.answers:
            raise AssertionError(f"unexpected remote command {list(argv)!r}")
        return self.answers.pop(0)


def _backend(workspace: Workspace, transport: Any) -> SlurmBackend:
    return SlurmBackend(workspace.get_profile("cluster"), transport)


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return install_stand_in_scheduler(tmp_path, monkeypatch)


@pytest.fixture
def workspace(tmp_path: Path, fake: Path) -> Iterator[Workspace]:
    ws = Workspace.create(tmp_path / "ws", name="graph-submit")
    ws.add_profile("cluster", {"transport": "local", "workdir": str(tmp_path / "work"), "container_runtime": "none"})
    yield ws
    close_all()
    ws.close()


# -- nothing to submit ------------------------------------------------------------------------------


def test_a_submission_without_steps_or_required_data_runs_no_remote_command(workspace: Workspace) -> None:
    transport = Recording()
    submitted = submit_graph(_backend(workspace, transport), GraphSubmission("/w/pipelines/p", ()))
    assert submitted == GraphSubmitted(job_ids={})
    assert transport.commands == []


def test_required_data_without_steps_is_still_checked_in_one_command(workspace: Workspace) -> None:
    # As the local backend does: reused outputs that are gone are an error, steps or not.
    missing = CommandResult(("sh",), 3, "hpcest-missing /w/data/gone\n", "")
    transport = Recording(missing)
    with pytest.raises(UserErrorException, match="reused step outputs are gone from the cluster: /w/data/gone"):
        submit_graph(_backend(workspace, transport), GraphSubmission("/w/p", (), require_dirs=("/w/data/gone",)))
    assert len(transport.commands) == 1


def test_resubmitting_a_pipeline_whose_steps_all_completed_sends_no_submit_command(
    workspace: Workspace, fake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = graphs.write_scripts(tmp_path / "src")
    first = submit_pipeline(workspace, "exp", graphs.chain(workspace, src, "cluster"))
    store = workspace.run_store
    for step in store.children(first.run_id):
        store.update_status(step.run_id, "Completed")
    commands: list[list[str]] = []
    real_run = LocalTransport.run

    def recording(self: LocalTransport, argv: Any, **kwargs: Any) -> Any:
        commands.append(list(argv))
        return real_run(self, argv, **kwargs)

    monkeypatch.setattr(LocalTransport, "run", recording)
    again = submit_pipeline(workspace, "exp", graphs.chain(workspace, src, "cluster"))
    assert again.properties["steps_reused"] == 3
    assert again.status == "Completed"
    assert not [c for c in commands if "hpcest: submit" in " ".join(c)]  # no (empty) submit script sent
    assert len((fake / "sbatch.log").read_text().splitlines()) == 3  # the first submission's only
