"""Copy many files from the cluster to this machine in one transfer.

A ``get`` per file costs a round trip each over SSH; a dataset, a datastore prefix or a model
folder can have thousands. The files travel instead as one compressed tar archive: one remote
command writes it (the names arrive NUL-separated on its standard input, so no name passes
through a shell, and each is prefixed with ``./`` so none reads as an option), one ``get`` brings
it here, one command removes it. Links are followed (``tar -h``): uploaded datastore files are
links into the content store. Only the names asked for are written, each to its own place below
the target, never elsewhere.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..errors import TransportError
from .base import Transport

_PACK = (
    'cd "$1" || exit 1; tmp=$(mktemp "${TMPDIR:-/tmp}/hpcest-fetch.XXXXXX") || exit 1; '
    'if tar -czhf "$tmp" --null -T -; then printf %s "$tmp"; else rm -f "$tmp"; exit 1; fi'
)


def fetch_tree(transport: Transport, root: str, names: Sequence[str], target: str | os.PathLike[str]) -> list[Path]:
    """Copy the files ``names`` (relative to the cluster directory ``root``) to ``target/<name>``;
    returns the local paths, in the order of ``names``. A file already there is replaced."""
    destinations = {_relative(name): Path(target) / name for name in names}
    if not destinations:
        return []
    if len(destinations) == 1:  # one file: a plain get is one transfer too, without the archive
        (name, local), = destinations.items()
        local.parent.mkdir(parents=True, exist_ok=True)
        transport.get(posixpath.join(root, name), local)
        return [local]
    listing = b"".join(b"./" + name.encode("utf-8", "surrogateescape") + b"\0" for name in destinations)
    packed = transport.run(["sh", "-c", _PACK, "hpcest-fetch", root], stdin=listing)
    if not packed.ok or not packed.stdout.startswith("/"):
        raise TransportError(f"packing {len(destinations)} files of {root} on the cluster failed: "
                             f"{packed.stderr.strip()[-300:]}")
    remote = packed.stdout.strip()
    with tempfile.TemporaryDirectory(prefix="hpcest-fetch-") as tmp:
        archive = Path(tmp) / "files.tar.gz"
        try:
            transport.get(remote, archive)
        finally:
            transport.run(["rm", "-f", remote])
        _unpack(archive, destinations)
    return [destinations[_relative(name)] for name in names]


def _relative(name: str) -> str:
    clean = posixpath.normpath(name)
    if clean.startswith(("/", "../")) or clean in (".", ".."):
        raise TransportError(f"cannot fetch {name!r}: not a path below the directory")
    return clean


def _unpack(archive: Path, destinations: dict[str, Path]) -> None:
    missing = set(destinations)
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            name = posixpath.normpath(member.name)
            local = destinations.get(name)
            if local is None or not (member.isfile() or member.islnk()):
                continue  # only the names asked for, as regular files (a hard link reads as its target)
            data = tar.extractfile(member)
            if data is None:
                continue
            local.parent.mkdir(parents=True, exist_ok=True)
            # Through a temporary file and a rename: a read-only file already there is replaced too.
            fd, partial = tempfile.mkstemp(dir=local.parent, prefix=f".{local.name}.")
            try:
                with os.fdopen(fd, "wb") as out:
                    shutil.copyfileobj(data, out)
                os.chmod(partial, (member.mode & 0o777) | 0o600)
                os.replace(partial, local)
            except BaseException:
                Path(partial).unlink(missing_ok=True)
                raise
            missing.discard(name)
    if missing:
        raise TransportError(f"the cluster sent no file for {', '.join(sorted(missing)[:5])}")
