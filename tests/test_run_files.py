"""A run's files are listed in one remote command and downloaded in one transfer, with v1's paths.

Protects: ``Run.get_file_names`` is one command; ``Run.download_files`` and ``hpcest download`` cost
the same few remote operations (a listing, one archive packed, fetched and removed) for 2 files or
for 50, where they used to cost a ``get`` each; ``Run.download_file`` is one ``get``. The paths
are v1's (``azureml._restclient.artifacts_client.download_artifacts_from_prefix``): the prefix is a
folder (``outputs/mod`` is not ``outputs/model.pt``, a backslash is a slash), ``append_prefix=False``
leaves it out only below an ``output_directory``, ``output_paths`` go below ``output_directory``
when one is given, and output paths that are not one per file (or repeat one) are warned about
and the files keep their own names.

The run directory and the transport are real (the local one, counting what would each be a round
trip over SSH); the run record is written directly, as a finished run's would be.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hpc_estimator.backends import close_all, get_backend
from hpc_estimator.cli import main
from hpc_estimator.runs.run import Run
from hpc_estimator.runs.workspace import Workspace
from hpc_estimator.transport.base import CommandResult
from hpc_estimator.transport.local import LocalTransport

MANY = [f"outputs/many/{i}.txt" for i in range(48)]
FILES = ["outputs/model.pt", "outputs/mod/a.txt", "outputs/mod/deep/b.txt", "logs/train.log",
         "hpcest-logs/rank-0.log", "job.sbatch", "metrics/rank-0.jsonl", *MANY]  # fmt: skip


class CountingTransport(LocalTransport):
    """The real local transport, counting what would each be a round trip over SSH."""

    def __init__(self, tmpdir: Path) -> None:
        super().__init__(env={**os.environ, "TMPDIR": str(tmpdir)})
        self.operations: list[str] = []

    def run(self, argv: Sequence[str], **kwargs: Any) -> CommandResult:
        self.operations.append(f"run {argv[0]}")
        return super().run(argv, **kwargs)

    def get(self, remote: str, local: Path) -> None:
        self.operations.append("get")
        super().get(remote, local)


@pytest.fixture
def cluster_tmp(tmp_path: Path) -> Path:
    path = tmp_path / "cluster-tmp"
    path.mkdir()
    return path


@pytest.fixture
def setup(tmp_path: Path, cluster_tmp: Path) -> Iterator[tuple[Workspace, Run, CountingTransport]]:
    ws = Workspace.create(tmp_path / "ws", name="files")
    ws.add_profile("cluster", {"transport": "local", "workdir": str(tmp_path / "work"), "container_runtime": "none"})
    run_dir = tmp_path / "work" / "runs" / "exp_1_ab"
    for name in FILES:
        (run_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (run_dir / name).write_text(f"content of {name}")
    ws.run_store.create_run("exp", "cluster", "slurm", run_id="exp_1_ab", remote_dir=str(run_dir), status="Completed")
    ws.run_store.set_job_id("exp_1_ab", "5")
    transport = CountingTransport(cluster_tmp)
    get_backend(ws, "cluster").transport = transport  # type: ignore[misc]
    yield ws, Run.get(ws, "exp_1_ab"), transport
    close_all()
    ws.close()


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_file_names_are_one_command(setup) -> None:
    _, run, transport = setup
    names = run.get_file_names()
    assert names == sorted(n for n in FILES if n.split("/")[0] in ("outputs", "logs", "hpcest-logs"))
    assert transport.operations == ["run sh"]


def test_a_prefix_downloads_in_the_same_few_operations_whatever_the_number_of_files(
    setup, tmp_path, cluster_tmp
) -> None:
    _, run, transport = setup
    run.download_files(prefix="outputs/mod", output_directory=str(tmp_path / "few"))
    few = list(transport.operations)
    transport.operations.clear()
    run.download_files(prefix="outputs", output_directory=str(tmp_path / "all"))
    # list + pack + get + remove: for 2 files as for 50 (it was one get per file)
    assert few == transport.operations == ["run sh", "run sh", "get", "run rm"]
    outputs = [n for n in FILES if n.startswith("outputs/")]
    assert _tree(tmp_path / "all") == {n: f"content of {n}" for n in outputs}
    assert not list(cluster_tmp.iterdir())  # the archive was removed from the cluster


def test_one_file_is_one_get(setup, tmp_path) -> None:
    _, run, transport = setup
    run.download_file("outputs/model.pt", str(tmp_path / "model.pt"))
    assert transport.operations == ["get"]
    assert (tmp_path / "model.pt").read_text() == "content of outputs/model.pt"


def test_the_prefix_is_a_folder_and_append_prefix_applies_below_an_output_directory(
    setup, tmp_path, monkeypatch
) -> None:
    _, run, _ = setup
    expected = {"outputs/mod/a.txt": "content of outputs/mod/a.txt",
                "outputs/mod/deep/b.txt": "content of outputs/mod/deep/b.txt"}  # fmt: skip
    run.download_files(prefix="outputs/mod", output_directory=str(tmp_path / "kept"))
    assert _tree(tmp_path / "kept") == expected  # not outputs/model.pt: the prefix is a folder
    run.download_files(prefix="outputs\\mod\\", output_directory=str(tmp_path / "kept2"))
    assert _tree(tmp_path / "kept2") == expected
    run.download_files(prefix="outputs/mod", output_directory=str(tmp_path / "left"), append_prefix=False)
    assert _tree(tmp_path / "left") == {k.removeprefix("outputs/mod/"): v for k, v in expected.items()}
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)
    run.download_files(prefix="outputs/mod", append_prefix=False)  # v1: without output_directory, ignored
    assert _tree(here) == expected


def test_output_paths_go_below_the_output_directory_and_bad_ones_are_warned_about(setup, tmp_path) -> None:
    _, run, _ = setup
    run.download_files(prefix="outputs/mod", output_directory=str(tmp_path / "out"), output_paths=["x.txt", "y/z.txt"])
    assert _tree(tmp_path / "out") == {"x.txt": "content of outputs/mod/a.txt",
                                       "y/z.txt": "content of outputs/mod/deep/b.txt"}  # fmt: skip
    run.download_files(prefix="outputs/mod", output_paths=[str(tmp_path / "abs" / "a"), str(tmp_path / "abs" / "b")])
    assert _tree(tmp_path / "abs") == {"a": "content of outputs/mod/a.txt", "b": "content of outputs/mod/deep/b.txt"}
    with pytest.warns(UserWarning, match="output_paths has 1 entries for the 2 file"):
        run.download_files(prefix="outputs/mod", output_directory=str(tmp_path / "bad"), output_paths=["only.txt"])
    assert sorted(_tree(tmp_path / "bad")) == ["outputs/mod/a.txt", "outputs/mod/deep/b.txt"]
    with pytest.warns(UserWarning, match="repeats a path"):
        run.download_files(prefix="outputs/mod", output_directory=str(tmp_path / "rep"), output_paths=["s", "s"])
    assert sorted(_tree(tmp_path / "rep")) == ["outputs/mod/a.txt", "outputs/mod/deep/b.txt"]


def test_hpcest_download_is_one_transfer(setup, tmp_path, monkeypatch) -> None:
    ws, _, transport = setup
    monkeypatch.setenv("HPCEST_WORKSPACE", str(ws.path))
    result = CliRunner().invoke(main, ["download", "exp_1_ab", "-o", str(tmp_path / "dl")])
    assert result.exit_code == 0, result.output
    assert transport.operations == ["run sh", "run sh", "get", "run rm"]
    assert sorted(_tree(tmp_path / "dl")) == sorted(n for n in FILES if n.startswith("outputs/"))
