"""A pipeline's submission on Slurm: nothing to submit costs no round trip, and a failure is told
by the command's exit status, never by words in its error output.

Protects: ``slurm_graph.submit_graph`` returns at once when every step is reused (no SSH command
for an empty script), as the local backend's does; reused data without steps is still checked.
The command that unpacks the job files exits ``WRITE_FAILED_STATUS`` when it could not write them,
whatever umask, mkdir or tar printed, and any other failure is the submit script's (sbatch's) to
report, even when its text contains "tar" or the files' names contain "sbatch" (the batch script
is ``job.sbatch``).

The scheduler is the stand-in of tests/test_hyperdrive_sweep_status.py; the local transport, the
staging, the generated commands and the submit script run for real.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hpc_estimator.backends.graph import (
    WRITE_FAILED_STATUS,
    GraphSubmission,
    GraphSubmitError,
    GraphSubmitted,
    write_files_command,
)
from hpc_estimator.backends.slurm import SlurmBackend
from hpc_estimator.backends.slurm_graph import submit_graph
from hpc_estimator.errors import TransportError, UserErrorException
from hpc_estimator.runs.pipeline_submission import submit_pipeline
from hpc_estimator.runs.workspace import Workspace
from hpc_estimator.slurm import graph_submit_script
from hpc_estimator.slurm.graph import GraphJob
from hpc_estimator.transport.base import CommandResult
from hpc_estimator.transport.local import LocalTransport
from tests import pipeline_graphs as graphs
from tests.cluster_workspace import cluster_workspace
from tests.test_hyperdrive_sweep_status import install_stand_in_scheduler

# What a site's sbatch wrapper printed when it refused a job: no "sbatch" in it, "tar" in
# "restart" and "target" (the words the old check searched for).
WRAPPER_REFUSAL = (
    "ERROR: job rejected by the site submit filter: partition 'short' allows --time up to 01:00:00; "
    "restart with a shorter --time or target partition 'long'"
)


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
    with cluster_workspace(tmp_path, "graph-submit") as ws:
        yield ws


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


# -- the write command's own status -----------------------------------------------------------------


def _archive(tmp_path: Path) -> bytes:
    src = tmp_path / "archive-src"
    (src / "steps" / "k").mkdir(parents=True)
    (src / "steps" / "k" / "job.sbatch").write_text("#!/bin/sh\n")
    return subprocess.run(["tar", "-c", "-f", "-", "-C", str(src), "steps"], capture_output=True, check=True).stdout


def test_the_write_command_tells_its_failure_by_its_status_and_passes_on_what_runs_after(tmp_path: Path) -> None:
    transport = LocalTransport()
    archive = _archive(tmp_path)
    then = 'echo ran "$1" >&2; exit 1'
    ok_dir = tmp_path / "ok"
    ran = transport.run(write_files_command(str(ok_dir), "0022", then=then), stdin=archive)
    assert ran.returncode == 1 and f"ran {ok_dir}" in ran.stderr  # what ``then`` exits with, unchanged
    assert (ok_dir / "steps" / "k" / "job.sbatch").is_file()

    # tar cannot put the batch script where a directory is: its error names job.sbatch.
    blocked = tmp_path / "blocked"
    (blocked / "steps" / "k" / "job.sbatch" / "x").mkdir(parents=True)
    failed = transport.run(write_files_command(str(blocked), "0022", then=then), stdin=archive)
    assert failed.returncode == WRITE_FAILED_STATUS and "job.sbatch" in failed.stderr
    assert "ran" not in failed.stderr  # nothing after the write ran

    (tmp_path / "a-file").write_text("")
    no_dir = transport.run(write_files_command(str(tmp_path / "a-file" / "p"), "0022", then=then), stdin=archive)
    assert no_dir.returncode == WRITE_FAILED_STATUS and "tar" not in no_dir.stderr  # mkdir's error


def test_the_submit_script_never_exits_with_the_write_status() -> None:
    jobs = [
        GraphJob("a", "/w/a", "/w/a/job.sbatch"),
        GraphJob("b", "/w/b", "/w/b/job.sbatch", after=(0,), sbatch_options=("--array=0-1%2",),
                 id_dir="/w/b/ids", record=("/w/b/t", "/w/b/trials.jsonl")),
    ]
    script = graph_submit_script(jobs, require_dirs=["/w/data"])
    statuses = {int(n) for n in re.findall(r"\bexit (\d+)", script)}
    assert statuses == {1, 3}  # sbatch refused (or its id not recorded); reused data gone
    assert WRITE_FAILED_STATUS not in statuses


def test_job_files_that_could_not_be_written_are_reported_as_such_though_tar_names_job_sbatch(
    workspace: Workspace, fake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_run = LocalTransport.run

    def blocking_the_batch_scripts(self: LocalTransport, argv: Any, **kwargs: Any) -> Any:
        if "submit.sh" in " ".join(argv):
            for step_dir in (Path(argv[4]) / "steps").iterdir():
                (step_dir / "job.sbatch" / "x").mkdir(parents=True, exist_ok=True)
        return real_run(self, argv, **kwargs)

    monkeypatch.setattr(LocalTransport, "run", blocking_the_batch_scripts)
    src = graphs.write_scripts(tmp_path / "src")
    with pytest.raises(TransportError, match=r"cannot write the pipeline's job files into .*job\.sbatch"):
        submit_pipeline(workspace, "exp", graphs.chain(workspace, src, "cluster"))
    assert not (fake / "sbatch.log").exists()


def test_a_refusal_whose_text_contains_tar_is_reported_as_sbatchs(
    workspace: Workspace, fake: Path, tmp_path: Path
) -> None:
    sbatch = fake / "bin" / "sbatch"
    sbatch.write_text(f"#!/bin/sh\necho \"{WRAPPER_REFUSAL}\" >&2\nexit 1\n")
    src = graphs.write_scripts(tmp_path / "src")
    with pytest.raises(GraphSubmitError, match=r"sbatch refused the pipeline at step \S+ \(0 of 3 step\(s\) "
                                               r"submitted\): ERROR: job rejected by the site submit filter"):
        submit_pipeline(workspace, "exp", graphs.chain(workspace, src, "cluster"))
