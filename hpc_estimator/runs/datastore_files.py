"""Files of the workspace's datastores and datasets, moved through the cluster's transport.

A v1 datastore was an Azure storage container; here it is a directory on the cluster's shared
filesystem, ``<workdir>/datastores/<name>`` beside the runs (``.hpcest/datastores/<name>`` for
the local target). ``Datastore.upload`` sends only contents the cluster lacks: the files go
through the snapshot's content-addressed store (``snapshot/staging.py``: one round trip when
nothing is new, one compressed archive for what is), are linked into a private directory, and
one more command moves them to their place below the datastore root (``overwrite=False`` keeps
files already there, as v1). Uploaded files are read-only links to the store's objects: jobs
read inputs, they do not write them.
"""

from __future__ import annotations

import json
import os
import posixpath
import secrets
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..errors import TransportError, UserErrorException
from ..snapshot.staging import FileEntry, Manifest, sha256_file, stage
from ..transport.base import Transport
from ..transport.fetch_tree import fetch_tree

DATASTORES_DIR = "datastores"

# Moves the staged tree into the datastore (argv: staged dir, destination, overwrite 0/1) and
# prints how many files were placed and kept. Python 3.6 compatible, as the staging helper.
_MERGE_PY = r"""
import json, os, shutil, sys
src, dst, overwrite = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
placed = kept = 0
for directory, _dirs, files in os.walk(src):
    rel = os.path.relpath(directory, src)
    target_dir = os.path.normpath(os.path.join(dst, rel))
    os.makedirs(target_dir, exist_ok=True)
    for name in files:
        target = os.path.join(target_dir, name)
        if os.path.lexists(target) and not overwrite:
            kept += 1
            continue
        os.replace(os.path.join(directory, name), target)
        placed += 1
shutil.rmtree(os.path.dirname(src), ignore_errors=True)
sys.stdout.write(json.dumps({"placed": placed, "kept": kept}))
"""

# Lists the regular files below a path (argv: path), relative to it, as JSON.
_LIST_PY = r"""
import json, os, sys
root = sys.argv[1]
if os.path.isfile(root):
    names = [os.path.basename(root)]
else:
    names = []
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            names.append(os.path.relpath(os.path.join(directory, name), root))
sys.stdout.write(json.dumps({"file": os.path.isfile(root), "names": names}))
"""


def _manifest(root: Path, files: Sequence[tuple[str, Path]]) -> Manifest:
    entries = []
    dirs: set[str] = set()
    for relpath, path in files:
        st = path.stat()
        entries.append(FileEntry(relpath, sha256_file(path), st.st_size, st.st_mode & 0o777))
        parent = posixpath.dirname(relpath)
        while parent:
            dirs.add(parent)
            parent = posixpath.dirname(parent)
    return Manifest(root, tuple(sorted(entries, key=lambda e: e.relpath)), tuple(sorted(dirs)))


def _relative_target(target_path: str | None) -> str:
    if target_path is None:
        return ""
    if not isinstance(target_path, str):
        raise UserErrorException(f"target_path must be a path below the datastore (str), got {target_path!r}")
    clean = posixpath.normpath(target_path.replace("\\", "/")).lstrip("/")
    if clean in ("", "."):
        return ""
    if clean == ".." or clean.startswith("../"):
        raise UserErrorException(f"target_path {target_path!r} leaves the datastore; name a path below it")
    return clean


class Progress:
    """One line per upload on stderr (a bar would garble notebook output captured to a file)."""

    def __init__(self, label: str, enabled: bool) -> None:
        self.label = label
        self.enabled = enabled
        self._shown = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        percent = min(100, done * 100 // total)
        if percent // 25 != self._shown // 25 or (percent == 100 and self._shown != 100):
            self._shown = percent
            print(f"{self.label}: {percent}%", file=sys.stderr, flush=True)


class ClusterFiles:
    """Read-side access to files on one target's filesystem (datasets, datastore downloads)."""

    def __init__(self, transport_for: Callable[[], Transport]) -> None:
        self._transport_for = transport_for

    @property
    def transport(self) -> Transport:
        return self._transport_for()

    def _listing(self, path: str) -> tuple[str, list[str]]:
        """(the directory the names are relative to, the regular files below ``path``): one command."""
        res = self.transport.run(["python3", "-c", _LIST_PY, path])
        if not res.ok:
            raise TransportError(f"listing {path} on the cluster failed: {res.stderr.strip()[-300:]}")
        reply = json.loads(res.stdout)
        names: list[str] = reply["names"]
        return (posixpath.dirname(path.rstrip("/")) or "/", names) if reply["file"] else (path, names)

    def list_files(self, path: str) -> list[str]:
        """The regular files below ``path`` (relative to it; the file's own name when it is one)."""
        return self._listing(path)[1]

    def download_tree(
        self,
        path: str,
        target: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        before: Callable[[list[Path]], None] | None = None,
    ) -> tuple[list[str], list[str]]:
        """Copy every file below ``path`` into ``target``, in one transfer; returns the local paths
        (downloaded, kept): a file that exists is kept unless ``overwrite``. ``before(local paths)``
        is called before anything is copied (it may raise to stop the download)."""
        root, names = self._listing(path)
        if before is not None:
            before([Path(target) / name for name in names])
        wanted: list[str] = []
        kept: list[str] = []
        for name in names:
            local = Path(target) / name
            if local.exists() and not overwrite:
                kept.append(str(local))
            else:
                wanted.append(name)
        return [str(p) for p in fetch_tree(self.transport, root, wanted, target)], kept


class DatastoreFiles(ClusterFiles):
    """Uploads into and downloads from one datastore directory."""

    def __init__(self, transport_for: Callable[[], Transport], root: str, cas: str, umask: str, name: str) -> None:
        super().__init__(transport_for)
        self.root = root
        self.cas = cas
        self.umask = umask
        self.name = name

    def _send(self, manifest: Manifest, target_path: str | None, *, overwrite: bool, show_progress: bool) -> int:
        relative = _relative_target(target_path)
        destination = posixpath.join(self.root, relative) if relative else self.root
        incoming = posixpath.join(posixpath.dirname(self.root), ".incoming", secrets.token_hex(8))
        staged = posixpath.join(incoming, "files")
        label = f"Uploading {len(manifest.files)} files to {self.name}/{relative}"
        if show_progress:
            print(f"{label} ({manifest.total_bytes} bytes)", file=sys.stderr, flush=True)
        stats = stage(self.transport, manifest, manifest.root, staged, self.cas,
                      progress=Progress(label, show_progress), umask=self.umask)
        res = self.transport.run(
            ["sh", "-c", f"umask {shlex.quote(self.umask)}; exec python3 -c \"$0\" \"$@\"", _MERGE_PY, staged,
             destination, "1" if overwrite else "0"],
            idempotent=False,
        )
        if not res.ok:
            raise TransportError(f"placing the uploaded files in {destination} failed: {res.stderr.strip()[-300:]}")
        reply: dict[str, Any] = json.loads(res.stdout)
        if show_progress:
            kept = f", {reply['kept']} already there kept (overwrite=False)" if reply["kept"] else ""
            print(f"Uploaded {reply['placed']} files to {destination} ({stats.files_sent} new contents sent{kept})",
                  file=sys.stderr, flush=True)
        return int(reply["placed"])

    def upload(self, src_dir: str, target_path: str | None, *, overwrite: bool, show_progress: bool) -> int:
        root = Path(src_dir).expanduser()
        if not root.is_dir():
            raise UserErrorException(f"datastore.upload(src_dir={src_dir!r}): not a directory on this machine")
        files = []
        for directory, dirs, names in os.walk(root):
            dirs.sort()
            for name in sorted(names):
                path = Path(directory) / name
                if path.is_file():
                    files.append((path.relative_to(root).as_posix(), path))
        return self._send(_manifest(root, files), target_path, overwrite=overwrite, show_progress=show_progress)

    def upload_files(
        self, files: Sequence[str], relative_root: str | None, target_path: str | None, *, overwrite: bool,
        show_progress: bool,
    ) -> int:
        if isinstance(files, str) or not files:
            raise UserErrorException("datastore.upload_files(files=...): pass a list of local file paths")
        paths = [Path(f).expanduser().resolve() for f in files]
        for path in paths:
            if not path.is_file():
                raise UserErrorException(f"datastore.upload_files: {path} is not a file on this machine")
        base = Path(relative_root).expanduser().resolve() if relative_root else Path(os.path.commonpath(
            [str(p.parent) for p in paths]))
        entries = []
        for path in paths:
            try:
                entries.append((path.relative_to(base).as_posix(), path))
            except ValueError:
                raise UserErrorException(f"datastore.upload_files: {path} is not below relative_root {base}") from None
        return self._send(_manifest(base, entries), target_path, overwrite=overwrite, show_progress=show_progress)

    def download(self, target_path: str, prefix: str | None, *, overwrite: bool, show_progress: bool) -> int:
        relative = _relative_target(prefix)
        source = posixpath.join(self.root, relative) if relative else self.root
        downloaded, kept = self.download_tree(source, Path(target_path) / relative if relative else target_path,
                                              overwrite=overwrite)
        if show_progress:
            note = f", {len(kept)} already there kept (overwrite=False)" if kept else ""
            print(f"Downloaded {len(downloaded)} files from {self.name}/{relative}{note}", file=sys.stderr, flush=True)
        # v1 counted only the files it downloaded: one skipped because it existed is not one.
        return len(downloaded)
