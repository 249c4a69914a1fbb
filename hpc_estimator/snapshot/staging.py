"""Ship a run's ``source_directory`` to the cluster, sending only what the cluster lacks.

The cluster keeps a content-addressed store (CAS): ``<workdir>/cas/<sha256[:2]>/<sha256>``, one
read-only file per distinct content. Staging a run is then:

1. ``build_manifest``: walk the source directory locally (honouring ``.amlignore`` /
   ``.gitignore``), hash every file.
2. One remote command receives the file list on stdin and answers which contents the CAS
   lacks. When it lacks none, the same command already builds the run's ``src/``: an unchanged
   tree costs one round trip and sends no file.
3. Otherwise the missing contents go over in one compressed tar archive (one ``put``), and one
   more command moves them into the CAS (through a private temp dir, then rename: a reader never
   sees a partly written object; each object's hash is checked on arrival) and builds ``src/``.
4. ``src/`` is built in a temp directory as hard links to the CAS objects (one metadata operation
   per file; executables are copied) and renamed into place, so a failure never leaves a
   half-written run directory. ``src-linked`` beside it tells the job script to turn ``src/`` into
   the run's own writable copy before any of the user's code runs (``cp -Rp``, one process): a job
   may write to its snapshot as it could in v1, and nothing a job does reaches the CAS or another
   run. Staging stays as fast as linking; the copy is paid on the compute node, at job start.
   ``snapshot-objects`` beside ``src/`` lists the contents used (``hpcest gc`` keeps those of
   recent runs). Upload temporaries older than an hour are removed at the next staging.

The cluster side is a small ``python3`` program (any Python >= 3.6) reading JSON on stdin. A
cluster without python3 gets the same steps as POSIX ``sh`` scripts (``tar``, ``mkdir``, ``mv``,
``ln``, ``cp``, ``chmod``; one command each, the file list as a generated script in which every
path is ``shlex.quote``d; one process per file, so slower).

Snapshot rules (documented choices):

* In each directory, ``.amlignore`` is used if present, else ``.gitignore`` (the v1 rule, applied
  per directory so nested ignore files work); patterns are relative to their directory.
* ``.git/``, ``__pycache__/`` (bytecode is interpreter-specific and rebuilt on the cluster) and the
  workspace's ``.hpcest/`` history directory are always skipped.
* Symbolic links that resolve inside the source tree are followed (their content is shipped
  under the link's name; directory links are walked once, loops are cut). Links that leave the
  tree or dangle are skipped with a warning: the target would not exist on the cluster, and
  following them could ship private files (``~/.ssh``) by accident.
* Everything is created under the profile's ``umask`` (default 0077: run directories and the CAS
  are private to the user on shared scratch); CAS objects are read-only.
* Archives are gzipped only when a sample of the largest files shrinks (checkpoints and images
  do not); the progress callback covers packing (first half) and sending (second half).
* Above 2000 files or 300 MB a warning suggests an ``.amlignore`` (v1 warned at the same sizes).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import secrets
import shlex
import stat
import tarfile
import tempfile
import time
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import TransportError, UserErrorException
from ..transport.base import Transport
from .ignore import IgnoreRules

WARN_FILES = 2000
WARN_BYTES = 300 * 1024 * 1024
ALWAYS_SKIPPED_DIRS = frozenset({".git", "__pycache__"})
IGNORE_FILES = (".amlignore", ".gitignore")
_CHUNK = 1 << 20


class SnapshotSizeWarning(UserWarning):
    """The source directory is large enough to make every submission slow."""


class SnapshotSymlinkWarning(UserWarning):
    """A symbolic link was left out of the snapshot."""


@dataclass(frozen=True)
class FileEntry:
    relpath: str  # "/"-separated, relative to the source directory
    sha256: str
    size: int
    mode: int  # permission bits of the local file; only the executable bit is carried over

    @property
    def executable(self) -> bool:
        return bool(self.mode & 0o111)


@dataclass(frozen=True)
class Manifest:
    root: Path
    files: tuple[FileEntry, ...]
    dirs: tuple[str, ...]  # every included directory (so empty ones are recreated)
    skipped: tuple[tuple[str, str], ...] = ()  # (relpath, reason) for links left out

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def digest(self) -> str:
        """One hash for the whole snapshot (paths, contents, executable bits)."""
        h = hashlib.sha256()
        for f in self.files:
            h.update(json.dumps([f.relpath, f.sha256, f.executable]).encode("utf-8", "surrogateescape"))
        for d in self.dirs:
            h.update(json.dumps(["d", d]).encode("utf-8", "surrogateescape"))
        return h.hexdigest()

    def summary(self) -> dict[str, object]:
        return {"files": len(self.files), "bytes": self.total_bytes, "digest": self.digest}


@dataclass(frozen=True)
class StageStats:
    files_total: int
    files_sent: int
    bytes_sent: int  # size of the archive actually transferred (0 when nothing was missing)
    seconds: float
    objects_total: int = 0
    remote_cas: str = ""


# --- manifest ------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    """The SHA-256 of the file's content (its name in the content-addressed store)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _ignore_file_for(directory: Path) -> Path | None:
    for name in IGNORE_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def build_manifest(
    source_dir: str | Path,
    *,
    warn_files: int = WARN_FILES,
    warn_bytes: int = WARN_BYTES,
) -> Manifest:
    """Walk ``source_dir`` and hash what the snapshot will contain (see the module docs)."""
    root = Path(source_dir)
    if not root.is_dir():
        raise UserErrorException(
            f"source_directory {str(root)!r} is not a directory; pass the folder that holds your training script"
        )
    root_real = Path(os.path.realpath(root))
    files: list[FileEntry] = []
    dirs: list[str] = []
    skipped: list[tuple[str, str]] = []
    visited: set[str] = {str(root_real)}

    def inside(real: str) -> bool:
        return real == str(root_real) or real.startswith(str(root_real) + os.sep)

    def walk(directory: Path, rel: str, rules: IgnoreRules) -> None:
        ignore_file = _ignore_file_for(directory)
        if ignore_file is not None:
            rules = rules.copy()
            rules.add_file(ignore_file, base=rel)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as e:
            raise UserErrorException(f"cannot list {directory}: {e.strerror}") from e
        for entry in entries:
            child_rel = f"{rel}/{entry.name}" if rel else entry.name
            path = Path(entry.path)
            if entry.is_symlink():
                real = os.path.realpath(path)
                if not os.path.exists(real):
                    skipped.append((child_rel, "dangling symbolic link"))
                    continue
                if not inside(real):
                    skipped.append((child_rel, f"symbolic link leaves the source directory ({real})"))
                    continue
            is_dir = entry.is_dir(follow_symlinks=True)
            if is_dir and (entry.name in ALWAYS_SKIPPED_DIRS or (not rel and entry.name == ".hpcest")):
                continue
            if rules.match(child_rel, is_dir):
                continue
            if is_dir:
                real = os.path.realpath(path)
                if real in visited:
                    skipped.append((child_rel, "symbolic link loop"))
                    continue
                visited.add(real)
                dirs.append(child_rel)
                walk(path, child_rel, rules)
                visited.discard(real)
            elif entry.is_file(follow_symlinks=True):
                try:
                    st = path.stat()
                    digest = sha256_file(path)
                except OSError as e:
                    raise UserErrorException(
                        f"cannot read {path} for the source snapshot ({e.strerror}); fix its "
                        f"permissions or list {child_rel!r} in .amlignore"
                    ) from e
                files.append(FileEntry(child_rel, digest, st.st_size, stat.S_IMODE(st.st_mode)))
            else:
                skipped.append((child_rel, "not a regular file (socket, fifo or device)"))

    walk(root, "", IgnoreRules())
    manifest = Manifest(root=root, files=tuple(files), dirs=tuple(dirs), skipped=tuple(skipped))
    for relpath, reason in manifest.skipped:
        # Loops inside the tree are harmless (the content ships once); these two lose content.
        if reason.startswith(("dangling", "symbolic link leaves")):
            warnings.warn(f"{relpath!r} is not in the snapshot: {reason}", SnapshotSymlinkWarning, stacklevel=2)
    if len(files) > warn_files or manifest.total_bytes > warn_bytes:
        warnings.warn(
            f"source_directory {str(root)!r} holds {len(files)} files, "
            f"{manifest.total_bytes / 1e6:.1f} MB (warning threshold: {warn_files} files or "
            f"{warn_bytes / 1e6:.0f} MB). Every submission snapshots it; list data, checkpoints and "
            "virtual environments in an .amlignore file (gitignore syntax) to leave them out.",
            SnapshotSizeWarning,
            stacklevel=2,
        )
    return manifest


# --- remote scripts --------------------------------------------------------------------------

# Values arrive as positional arguments ("$1"), never inside the script text, so they are not
# parsed as shell code. A leading "~/" is expanded as a login shell would.
_MISSING_SH = r"""
set -e
cas=$1
umask "$2"
case $cas in "~") cas=$HOME;; "~/"*) cas=$HOME/${cas#"~/"};; esac
mkdir -p "$cas/.incoming"
# Temporaries of uploads that died an hour ago or more (a live upload keeps touching its file).
find "$cas/.incoming" -mindepth 1 -maxdepth 1 -mmin +60 -exec rm -rf {} + 2>/dev/null || true
cd "$cas"
pwd
# Objects found present are touched: `hpcest gc` keeps what a staging used recently.
present=$(mktemp "$cas/.incoming/present.XXXXXX")
while IFS= read -r h; do
  [ -n "$h" ] || continue
  o="${h%"${h#??}"}/$h"
  if [ -f "$o" ]; then printf '%s\n' "$o" >> "$present"; else printf '%s\n' "$h"; fi
done
xargs touch -c < "$present" 2>/dev/null || true
rm -f "$present"
"""

_UNPACK_SH = r"""
set -e
cas=$1
archive=$2
umask "$3"
tmp=$(mktemp -d "$cas/.incoming/unpack.XXXXXX")
trap 'rm -rf "$tmp" "$archive"' EXIT
tar -xf "$archive" -C "$tmp" --no-same-owner --no-same-permissions
cd "$tmp"
# Objects are read-only for everyone the umask lets in: a job can never edit the store.
chmod -R a-w "$tmp"/*/* 2>/dev/null || true
for d in *; do
  [ -d "$d" ] || continue
  mkdir -p "$cas/$d"
  for f in "$d"/*; do
    # Never replace an object another submission may be linking right now (same content).
    [ -e "$cas/$f" ] || mv "$f" "$cas/$f"
  done
done
"""


# The python3 side of staging: one program, two modes, the file list as JSON on stdin.
#   check  - create the CAS if needed, list missing objects; when nothing is missing, build
#            src/ at once (so an unchanged tree costs a single remote command);
#   unpack - move the archive's objects into the CAS, checking each hash on arrival (a damaged
#            transfer never enters the CAS), then build src/.
# Only "<2 hex>/<64 hex>" regular-file members are accepted, so an archive cannot write outside
# the CAS. Kept compatible with Python 3.6 (old login nodes). Prints one JSON object.
_STAGE_PY = r"""
import errno, hashlib, json, os, re, shutil, sys, tarfile, tempfile, time

def fs(text):
    # Paths travel as bytes: an old Python in the C locale cannot encode non-ASCII names.
    return text.encode("utf-8", "surrogateescape")

def unpack(cas, archive):
    tmp = tempfile.mkdtemp(prefix=b"unpack.", dir=os.path.join(cas, b".incoming"))
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                name = member.name
                name_b = name.encode("ascii", "replace")
                if not member.isfile() or not re.match(r"^([0-9a-f]{2})/(\1[0-9a-f]{62})$", name):
                    sys.exit("unexpected archive member %r" % name)
                src = tar.extractfile(member)
                part = os.path.join(tmp, name_b[3:])
                digest = hashlib.sha256()
                with open(part, "wb") as out:
                    while True:
                        chunk = src.read(1 << 20)
                        if not chunk:
                            break
                        digest.update(chunk)
                        out.write(chunk)
                if digest.hexdigest() != name[3:]:
                    sys.exit("content of %s does not match its hash (damaged transfer)" % name)
                os.chmod(part, 0o444 & ~UMASK)
                os.makedirs(os.path.join(cas, name_b[:2]), exist_ok=True)
                # Never replace an object that is already there: another submission may be
                # hard-linking it right now, and linking an inode whose last name a rename just
                # removed fails (ENOENT). link() refuses to overwrite; same content anyway.
                final = os.path.join(cas, name_b)
                try:
                    os.link(part, final)
                except OSError as e:
                    if e.errno != errno.EEXIST:
                        if os.path.exists(final):
                            pass
                        elif e.errno in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV):
                            os.rename(part, final)  # no hard links here: best effort
                            continue
                        else:
                            raise
                os.unlink(part)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            os.unlink(archive)
        except OSError:
            pass

def materialize(spec, cas):
    dst = os.path.abspath(os.path.expanduser(fs(spec["dst"])))
    parent = os.path.dirname(dst)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=os.path.basename(dst) + b".tmp.", dir=parent)
    done = False
    try:
        os.chmod(tmp, 0o777 & ~UMASK)
        for d in spec["dirs"]:
            os.makedirs(os.path.join(tmp, fs(d)), exist_ok=True)
        link = True
        linked = False
        for obj, rel, executable in spec["files"]:
            src, target = os.path.join(cas, fs(obj)), os.path.join(tmp, fs(rel))
            if link and not executable:
                # A link costs one metadata operation; the job turns src/ into its own copy before
                # the user's code runs (see the job script), so the store is never written through it.
                try:
                    os.link(src, target)
                    linked = True
                    continue
                except OSError as e:
                    if e.errno == errno.EXDEV:
                        link = False  # another filesystem: copy from now on
                    elif e.errno != errno.EMLINK:
                        raise
            shutil.copyfile(src, target)
            os.chmod(target, (0o777 if executable else 0o666) & ~UMASK)
        # Written before src/ appears: a linked src/ is never without the note that the job must copy it.
        marker = os.path.join(parent, b"src-linked")
        if linked:
            open(marker, "w").close()
        elif os.path.exists(marker):
            os.unlink(marker)
        old = None
        if os.path.lexists(dst):
            old = tempfile.mkdtemp(prefix=os.path.basename(dst) + b".old.", dir=parent)
            os.rename(dst, os.path.join(old, b"src"))
        os.rename(tmp, dst)
        done = True
        if old:
            shutil.rmtree(old, ignore_errors=True)
        # Which contents this run's snapshot came from: what `hpcest gc` keeps for recent runs.
        with open(os.path.join(parent, b"snapshot-objects"), "w") as listing:
            listing.write("".join("%s\n" % obj for obj in sorted(set(o for o, _r, _x in spec["files"]))))
    finally:
        if not done:
            shutil.rmtree(tmp, ignore_errors=True)

def clean_incoming(cas):
    # Temporaries of uploads that died (a dropped connection) are removed an hour later; a live
    # upload keeps touching its file.
    incoming = os.path.join(cas, b".incoming")
    for name in os.listdir(incoming):
        path = os.path.join(incoming, name)
        try:
            if time.time() - os.lstat(path).st_mtime > 3600:
                if os.path.isdir(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.unlink(path)
        except OSError:
            pass

spec = json.loads(sys.stdin.buffer.read().decode("utf-8", "surrogateescape"))
UMASK = int(spec.get("umask", "022"), 8)
os.umask(UMASK)
cas = os.path.abspath(os.path.expanduser(fs(spec["cas"])))
os.makedirs(os.path.join(cas, b".incoming"), exist_ok=True)
if sys.argv[1] == "check":
    clean_incoming(cas)
if sys.argv[1] == "unpack":
    unpack(cas, os.fsencode(sys.argv[2]))
objects = sorted(set(obj for obj, _rel, _x in spec["files"]))
missing = []
for obj in objects:
    try:
        # Touched: `hpcest gc` keeps objects a staging used recently (this one may build src/
        # from them in a moment).
        os.utime(os.path.join(cas, fs(obj)))
    except OSError:
        missing.append(obj[3:])
if sys.argv[1] == "unpack" and missing:
    sys.exit("objects still missing after unpacking: %s" % ", ".join(missing[:5]))
if not missing:
    materialize(spec, cas)
reply = {"cas": cas.decode("utf-8", "surrogateescape"), "missing": missing, "built": not missing}
sys.stdout.write(json.dumps(reply))
"""

# Runs _STAGE_PY ("$0") with python3, or exits 127 when the cluster has no python3 so the caller
# can fall back to the sh scripts.
_RUN_PYTHON = 'command -v python3 >/dev/null 2>&1 || exit 127; exec python3 -c "$0" "$@"'


def _stage_spec(manifest: Manifest, cas: str, dst: str, umask: str) -> bytes:
    spec = {
        "cas": cas,
        "dst": dst,
        "umask": umask,
        "dirs": list(manifest.dirs),
        "files": [[f"{f.sha256[:2]}/{f.sha256}", f.relpath, f.executable] for f in manifest.files],
    }
    # ensure_ascii keeps undecodable names (surrogate escapes) as \udcXX, restored remotely.
    return json.dumps(spec).encode("ascii")


def _materialize_script(manifest: Manifest, cas: str, dst: str, umask: str) -> str:
    q = shlex.quote
    lines = [
        "set -e",
        f"umask {umask}",
        f"cas={q(cas)}",
        f"dst={q(dst)}",
        'case $dst in "~/"*) dst=$HOME/${dst#"~/"};; esac',
        'mkdir -p "$(dirname -- "$dst")"',
        'tmp=$(mktemp -d "$dst.tmp.XXXXXX")',
        'trap \'rm -rf "$tmp"\' EXIT',
        'chmod "$(printf %o $((0777 & ~0$(umask))))" "$tmp"',
        'cd "$tmp"',
        # Links into the store (the job copies src/ before the user's code runs, see the job
        # script); executables are copied, as a link would share the store's read-only mode.
        'C() { cp -- "$cas/$1" "$2" && chmod "$(printf %o $(($3 & ~0$(umask))))" "$2"; }',
        'L() { ln -- "$cas/$1" "$2" 2>/dev/null || C "$1" "$2" 0666; }',
        'X() { C "$1" "$2" 0777; }',
    ]
    # Directories in batches (one mkdir per ~100) to keep the process count low.
    dirs = list(manifest.dirs)
    for i in range(0, len(dirs), 100):
        lines.append("mkdir -p -- " + " ".join(q(d) for d in dirs[i : i + 100]))
    for f in manifest.files:
        obj = f"{f.sha256[:2]}/{f.sha256}"
        lines.append(f"{'X' if f.executable else 'L'} {obj} {q(f.relpath)}")
    objects = sorted({f"{f.sha256[:2]}/{f.sha256}" for f in manifest.files})
    lines += [
        "old=",
        'if [ -e "$dst" ] || [ -L "$dst" ]; then old=$(mktemp -d "$dst.old.XXXXXX"); mv -- "$dst" "$old/"; fi',
        # Before src/ appears: a linked src/ is never without the note that the job must copy it.
        ': > "$(dirname -- "$dst")/src-linked"',
        'mv -- "$tmp" "$dst"',
        "trap - EXIT",
        'if [ -n "$old" ]; then rm -rf "$old"; fi',
        "cat > \"$(dirname -- \"$dst\")/snapshot-objects\" <<'HPCEST_OBJECTS'",
        *objects,
        "HPCEST_OBJECTS",
    ]
    return "\n".join(lines) + "\n"


# --- staging -------------------------------------------------------------------------------


class _HashingReader(io.RawIOBase):
    """Hashes what tarfile reads, so a file edited after build_manifest is caught, not shipped
    under a hash that no longer matches its content (which would poison the CAS)."""

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self.hash = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._f.read(size)
        self.hash.update(data)
        return data


def _check(result_ok: bool, what: str, stderr: str) -> None:
    if not result_ok:
        raise TransportError(f"staging failed while {what}: {stderr.strip() or 'no error output'}")


def _unique_objects(manifest: Manifest) -> dict[str, FileEntry]:
    objects: dict[str, FileEntry] = {}
    for f in manifest.files:
        objects.setdefault(f.sha256, f)
    return objects


def _shrinks(source_dir: Path, entries: list[FileEntry]) -> bool:
    """Whether gzip is worth it: compress a sample of the largest files (already compressed data,
    such as checkpoints, images or archives, does not shrink and only costs time)."""
    sample = b""
    for entry in sorted(entries, key=lambda e: -e.size)[:8]:
        with contextlib.suppress(OSError), open(source_dir / entry.relpath, "rb") as f:
            sample += f.read(128 * 1024)
    if len(sample) < 4096:
        return True  # small files: gzip is cheap and the archive header dominates anyway
    return len(zlib.compress(sample, 1)) < 0.9 * len(sample)


def _write_archive(
    path: Path, source_dir: Path, entries: list[FileEntry], *, compress: bool, progress: Callable[[int], None]
) -> None:
    with tarfile.open(path, "w:gz" if compress else "w", format=tarfile.PAX_FORMAT,
                      **({"compresslevel": 6} if compress else {})) as tar:  # type: ignore[call-overload]
        done = 0
        for entry in entries:
            info = tarfile.TarInfo(f"{entry.sha256[:2]}/{entry.sha256}")
            info.size = entry.size
            info.mode = 0o444
            info.mtime = int(time.time())
            src = source_dir / entry.relpath
            try:
                with open(src, "rb") as f:
                    reader = _HashingReader(f)
                    tar.addfile(info, reader)  # type: ignore[arg-type]
            except OSError as e:
                raise UserErrorException(f"{src} changed while it was being staged ({e}); submit again") from e
            if reader.hash.hexdigest() != entry.sha256:
                raise UserErrorException(f"{src} changed between building the manifest and staging it; submit again")
            done += entry.size
            progress(done)


def stage(
    transport: Transport,
    manifest: Manifest,
    source_dir: str | Path,
    remote_run_src: str,
    remote_cas: str,
    *,
    remote_tools: str = "auto",
    progress: Callable[[int, int], None] | None = None,
    umask: str = "0077",
) -> StageStats:
    """Make ``remote_run_src`` a copy of the manifest's files, sending only missing contents.

    ``remote_cas`` is the CAS root on the cluster (conventionally ``<workdir>/cas``); both paths
    may start with ``~/``. ``remote_tools`` picks the cluster-side helper: ``"python"`` (fast,
    verifies hashes on arrival, needs python3 on the cluster), ``"sh"`` (POSIX tools only, one
    process per file) or ``"auto"`` (python3 when the cluster has it, else sh). ``progress`` gets
    (bytes sent, bytes to send) while the archive of missing files uploads.
    """
    if remote_tools not in ("auto", "python", "sh"):
        raise UserErrorException(f"remote_tools must be 'auto', 'python' or 'sh', got {remote_tools!r}")
    started = time.perf_counter()
    source_dir = Path(source_dir)
    objects = _unique_objects(manifest)

    def send(missing: list[str], cas_abs: str) -> tuple[str, int]:
        entries = [objects[h] for h in missing]
        raw = sum(e.size for e in entries) or 1
        compress = _shrinks(source_dir, entries)
        suffix = ".tar.gz" if compress else ".tar"
        # One bar for the whole staging: packing is the first half, sending the second.
        report = progress or (lambda done, total: None)
        with tempfile.TemporaryDirectory(prefix="hpcest-stage-") as tmpdir:
            archive = Path(tmpdir) / f"objects{suffix}"
            _write_archive(archive, source_dir, entries, compress=compress, progress=lambda d: report(d, 2 * raw))
            size = archive.stat().st_size or 1
            remote_archive = f"{cas_abs}/.incoming/{secrets.token_hex(8)}{suffix}"
            transport.put(archive, remote_archive, progress=lambda d, _t: report(raw + d * raw // size, 2 * raw))
            return remote_archive, archive.stat().st_size

    def stats(missing: list[str], bytes_sent: int, cas_abs: str) -> StageStats:
        missing_set = set(missing)
        return StageStats(
            files_total=len(manifest.files),
            files_sent=sum(1 for f in manifest.files if f.sha256 in missing_set),
            bytes_sent=bytes_sent,
            seconds=time.perf_counter() - started,
            objects_total=len(objects),
            remote_cas=cas_abs,
        )

    if remote_tools != "sh":
        spec = _stage_spec(manifest, remote_cas, remote_run_src, umask)
        res = transport.run(["sh", "-c", _RUN_PYTHON, _STAGE_PY, "check"], stdin=spec)
        if res.returncode == 127 and remote_tools == "python":
            raise TransportError(
                "staging: remote_tools='python' but python3 is not on the cluster's PATH; use "
                "remote_tools='sh' or 'auto'"
            )
        if res.returncode != 127:
            _check(res.ok, f"checking the content store {remote_cas}", res.stderr)
            reply = _reply(res.stdout)
            cas_abs, missing = reply["cas"], [h for h in reply["missing"] if h in objects]
            if reply["built"]:
                return stats([], 0, cas_abs)
            remote_archive, bytes_sent = send(missing, cas_abs)
            # Not idempotent: the archive is deleted once unpacked, so a blind retry would fail.
            res = transport.run(
                ["sh", "-c", _RUN_PYTHON, _STAGE_PY, "unpack", remote_archive], stdin=spec, idempotent=False
            )
            _check(res.ok, f"unpacking new files into {cas_abs} and building {remote_run_src}", res.stderr)
            return stats(missing, bytes_sent, cas_abs)

    # POSIX sh only: check, (send + unpack), build src/ -- one command each.
    hashes = "\n".join(sorted(objects)) + "\n"
    res = transport.run(["sh", "-c", _MISSING_SH, "sh", remote_cas, umask], stdin=hashes.encode())
    _check(res.ok, f"checking the content store {remote_cas}", res.stderr)
    out = res.stdout.splitlines()
    if not out:
        raise TransportError(f"staging: no reply from the content check in {remote_cas}")
    cas_abs = out[0]
    missing = [h for h in out[1:] if h in objects]
    bytes_sent = 0
    if missing:
        remote_archive, bytes_sent = send(missing, cas_abs)
        res = transport.run(["sh", "-c", _UNPACK_SH, "sh", cas_abs, remote_archive, umask], idempotent=False)
        _check(res.ok, f"unpacking new files into {cas_abs}", res.stderr)
    script = _materialize_script(manifest, cas_abs, remote_run_src, umask)
    res = transport.run(["sh", "-s"], stdin=script.encode("utf-8", "surrogateescape"))
    _check(res.ok, f"building {remote_run_src}", res.stderr)
    return stats(missing, bytes_sent, cas_abs)


def _reply(stdout: str) -> dict[str, Any]:
    try:
        reply = json.loads(stdout)
    except ValueError:
        reply = None
    if not isinstance(reply, dict) or not {"cas", "missing", "built"} <= set(reply):
        raise TransportError(f"staging: unexpected reply from the cluster: {stdout[-500:]!r}")
    return reply
