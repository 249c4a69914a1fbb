"""Many files come from the cluster in one transfer, not a round trip each.

Protects: ``ClusterFiles.download_tree`` (datastore and dataset downloads, ``to_pandas_dataframe``)
lists once (the listing says whether the path is a file) and fetches the tree as one archive, so
the number of remote operations does not grow with the number of files; names that a shell or tar
would misread (a leading dash, spaces, a newline, non-ASCII) arrive intact; links (uploaded
datastore files are links into the content store) arrive as their content; only the files asked
for are written.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from hpc_estimator.errors import TransportError
from hpc_estimator.runs.datastore_files import ClusterFiles
from hpc_estimator.transport.base import CommandResult
from hpc_estimator.transport.fetch_tree import fetch_tree
from hpc_estimator.transport.local import LocalTransport


class CountingTransport(LocalTransport):
    """The real local transport, counting what would each be a round trip over SSH."""

    def __init__(self, tmpdir: Path | None = None) -> None:
        super().__init__(env={**os.environ, "TMPDIR": str(tmpdir)} if tmpdir else None)
        self.operations: list[str] = []

    def run(self, argv: Sequence[str], **kwargs: Any) -> CommandResult:
        self.operations.append(f"run {argv[0]}")
        return super().run(argv, **kwargs)

    def get(self, remote: str, local: Path) -> None:
        self.operations.append("get")
        super().get(remote, local)


NAMES = ["-rf", "a b.csv", "line\nbreak.txt", "sub/ünï.txt", "sub/deeper/x.bin"] + [f"many/{i}.txt" for i in range(30)]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "remote"
    for name in NAMES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(name.encode() * 3)
    (root / "sub" / "linked.txt").symlink_to(root / "a b.csv")
    os.link(root / "a b.csv", root / "hardlinked.csv")
    return root


def test_a_tree_download_costs_the_same_few_operations_whatever_the_number_of_files(
    tree: Path, tmp_path: Path
) -> None:
    remote_tmp = tmp_path / "remote-tmp"
    remote_tmp.mkdir()
    transport = CountingTransport(remote_tmp)
    files = ClusterFiles(lambda: transport)
    downloaded, kept = files.download_tree(str(tree), tmp_path / "here")
    expected = sorted([*NAMES, "sub/linked.txt", "hardlinked.csv"])
    assert sorted(Path(p).relative_to(tmp_path / "here").as_posix() for p in downloaded) == expected
    assert kept == []
    # list + pack + get + remove, for 37 files
    assert transport.operations == ["run python3", "run sh", "get", "run rm"], transport.operations
    for name in NAMES:
        assert (tmp_path / "here" / name).read_bytes() == name.encode() * 3
    assert (tmp_path / "here" / "sub" / "linked.txt").read_bytes() == b"a b.csv" * 3
    assert not (tmp_path / "here" / "sub" / "linked.txt").is_symlink()
    assert (tmp_path / "here" / "hardlinked.csv").read_bytes() == b"a b.csv" * 3
    assert not list(remote_tmp.iterdir())  # the archive was written there and removed


def test_a_file_path_is_one_listing_and_one_get(tree: Path, tmp_path: Path) -> None:
    transport = CountingTransport()
    downloaded, _ = ClusterFiles(lambda: transport).download_tree(str(tree / "sub" / "ünï.txt"), tmp_path / "one")
    assert downloaded == [str(tmp_path / "one" / "ünï.txt")]
    assert transport.operations == ["run python3", "get"]


def test_existing_files_are_kept_and_not_fetched(tree: Path, tmp_path: Path) -> None:
    target = tmp_path / "here"
    (target / "sub").mkdir(parents=True)
    (target / "sub" / "ünï.txt").write_text("mine")
    transport = CountingTransport()
    downloaded, kept = ClusterFiles(lambda: transport).download_tree(str(tree), target)
    assert kept == [str(target / "sub" / "ünï.txt")] and (target / "sub" / "ünï.txt").read_text() == "mine"
    assert len(downloaded) == len(NAMES) + 1


def test_only_names_below_the_directory_are_fetched(tree: Path, tmp_path: Path) -> None:
    with pytest.raises(TransportError, match="not a path below"):
        fetch_tree(LocalTransport(), str(tree), ["a b.csv", "../escape"], tmp_path / "x")
    with pytest.raises(TransportError, match="packing 2 files"):
        fetch_tree(LocalTransport(), str(tree), ["a b.csv", "missing.txt"], tmp_path / "x")
