"""Many snapshots staged as one tree: all steps of a pipeline in the round trips of a single run.

Staging one run costs one remote command when the cluster already has every file (two more when
it lacks some: one upload, one unpack). Staging fifty pipeline steps one by one would cost that
fifty times. Instead the steps' manifests are combined into one manifest of the tree::

    <dst>/<part>/src/<file of that part's snapshot>

and staged with :func:`~hpc_estimator.snapshot.staging.stage` as one snapshot: one content check
for all files, at most one archive (contents shared between steps travel once) and one unpack,
and the whole tree is built (hard links to the content store) and renamed into place at once.
The local side of that tree is a temporary directory of symbolic links ``<part>/src`` -> the
part's source directory, from which the missing files are read.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from ..errors import UserErrorException
from ..transport.base import Transport
from .staging import FileEntry, Manifest, StageStats, stage


def combined_manifest(parts: Sequence[tuple[str, Manifest]], root: Path) -> Manifest:
    """One manifest for ``parts`` (name, manifest): each part's files under ``<name>/src/``."""
    files: list[FileEntry] = []
    dirs: list[str] = []
    names = set()
    for name, manifest in parts:
        if not name or "/" in name or name in (".", "..") or name in names:
            raise UserErrorException(f"snapshot part name {name!r} must be unique and one path component")
        names.add(name)
        dirs += [name, f"{name}/src", *(f"{name}/src/{d}" for d in manifest.dirs)]
        files += [FileEntry(f"{name}/src/{f.relpath}", f.sha256, f.size, f.mode) for f in manifest.files]
    return Manifest(root=root, files=tuple(files), dirs=tuple(dirs))


@contextlib.contextmanager
def linked_tree(parts: Sequence[tuple[str, str]]) -> Iterator[Path]:
    """A temporary directory with ``<name>/src`` -> each part's source directory (name, directory)."""
    with tempfile.TemporaryDirectory(prefix="hpcest-tree-") as tmp:
        root = Path(tmp)
        for name, source in parts:
            (root / name).mkdir()
            os.symlink(os.path.abspath(source), root / name / "src", target_is_directory=True)
        yield root


def stage_many(
    transport: Transport,
    parts: Sequence[tuple[str, Manifest, str]],
    remote_dst: str,
    remote_cas: str,
    *,
    progress: Callable[[int, int], None] | None = None,
    umask: str = "0077",
) -> StageStats:
    """Stage each (name, manifest, local source directory) into ``<remote_dst>/<name>/src``, all at once.

    ``remote_dst`` is created (or replaced) as a whole, so it must be new: a pipeline run's own
    ``steps`` directory. Everything is created under ``umask``, as :func:`stage` does.
    """
    with linked_tree([(name, source) for name, _m, source in parts]) as root:
        manifest = combined_manifest([(name, m) for name, m, _s in parts], root)
        return stage(transport, manifest, root, remote_dst, remote_cas, progress=progress, umask=umask)
