"""``hpcest gc`` for a cluster's image cache and image-build directories.

Every image a run used stays in the image cache (``<workdir>/images`` by default): a few GB each,
on the scratch or project quota the runs' data needs too. An image may go when all of these hold:

* no job script of a run staged in the last N days names it (``HPCEST_IMAGE=`` in its ``*.sbatch``);
* no job script of a run that Slurm still lists as not ended names it (a job pending for longer
  than N days still needs its image; the scheduler says which runs' directories are in use);
* it was not fetched, nor found present by a submission, in the last N days (the fetch touches an
  image it finds, so a submission staging right now never loses the image it counted on);
* nobody holds its fetch lock (``<image>.lock``, the one the fetch block takes), which the
  removal holds while it checks the above once more and removes it.

Leftovers of killed fetches (``<image>.tmp.*``) older than N days go under the same lock, and an
image-build job's directory (``<workdir>/image-builds/<name>/<attempt>/``: its script, submit
record and log) once nothing in it changed in N days and no listed job runs there.

An image cache shared with other users (an entry owned by someone else, or the directory writable
by group or others) is left alone: their runs are not visible from here.

One remote command lists (a dry run) or removes; it prints one JSON summary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..snapshot.gc import check_days, human_bytes, run_gc_script
from ..transport.base import Transport

# The cluster side (python3 >= 3.6); the working directories of the listed jobs come on stdin,
# NUL-separated.
_IMAGE_GC_PY = r"""
import errno, fcntl, json, os, re, shlex, shutil, stat, sys, time
cache, builds, days, mode = sys.argv[1:5]
norm = lambda p: os.path.normpath(os.path.expanduser(p))
cache, builds, roots = norm(cache), norm(builds), [norm(r) for r in sys.argv[5:]]
horizon = time.time() - float(days) * 86400
active = set(norm(p) for p in sys.stdin.read().split("\0") if p)
me = os.getuid()
RUN_CONTENT = {"src", "outputs", "logs", "inputs", "metrics", "hpcest-logs", ".hpcest"}
IMAGE = re.compile(r"^(?:apptainer|singularity|charliecloud)-[0-9a-f]{24}(?:\.sif)?$")
LEFTOVER = re.compile(r"^((?:apptainer|singularity|charliecloud)-[0-9a-f]{24}(?:\.sif)?)\.tmp\..+$")
IMAGE_LINE = re.compile(r"^HPCEST_IMAGE=(.+)$", re.M)
errors = []

def run_of(path):  # the run directory (runs root + first component) that holds path, or None
    for root in roots:
        rel = os.path.relpath(path, root)
        if rel != "." and not rel.startswith(".."):
            return os.path.join(root, rel.split(os.sep, 1)[0])
    return None

def size(path):
    try:
        st = os.lstat(path)
    except OSError:
        return 0
    if not stat.S_ISDIR(st.st_mode):
        return st.st_size
    total = 0
    for top, dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(top, name)).st_size
            except OSError:
                pass
    return total

def remove(path):
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
        return True
    except OSError as exc:
        errors.append("%s: %s" % (path, exc.strerror))
        return False

# Images named by the job scripts of recent runs and of runs Slurm still lists.
in_use = set(run_of(p) for p in active) - {None}
keep = set()
for top, dirs, files in (entry for root in roots for entry in os.walk(root)):
    listed = run_of(top) in in_use
    for name in files:
        if not name.endswith(".sbatch"):
            continue
        path = os.path.join(top, name)
        try:
            if not listed and os.stat(path).st_mtime < horizon:
                continue
            with open(path, errors="replace") as script:
                text = script.read(8 << 20)
        except OSError:
            continue
        for line in IMAGE_LINE.finditer(text):
            try:
                words = shlex.split(line.group(1))
            except ValueError:
                continue
            if len(words) == 1:
                keep.add(norm(words[0]))
    dirs[:] = [d for d in dirs if d not in RUN_CONTENT]

report = {"cache": cache, "images": 0, "image_bytes": 0, "unused": 0, "unused_bytes": 0,
          "builds": 0, "unused_builds": 0, "busy": 0, "shared": None, "errors": errors}
try:
    entries = sorted(os.listdir(cache))
    cache_mode = os.stat(cache).st_mode
except OSError as exc:
    entries, cache_mode = [], 0
    if exc.errno != errno.ENOENT:
        errors.append("%s: %s" % (cache, exc.strerror))
def owner(path):
    try:
        return os.lstat(path).st_uid
    except OSError:
        return me  # gone meanwhile

others = [e for e in entries if IMAGE.match(e) and owner(os.path.join(cache, e)) != me]
if others:
    report["shared"] = "%s holds images of other users (%s...)" % (cache, others[0])
elif cache_mode & (stat.S_IWGRP | stat.S_IWOTH):
    report["shared"] = "%s is writable by other users" % cache

def collectable(path):
    try:
        return norm(path) not in keep and os.lstat(path).st_mtime < horizon
    except OSError:
        return False

for entry in entries:
    path = os.path.join(cache, entry)
    leftover = LEFTOVER.match(entry)
    if not IMAGE.match(entry) and not leftover:
        continue  # locks, definition files, anything that is not ours
    image = os.path.join(cache, leftover.group(1)) if leftover else path
    bytes_ = size(path)
    if not leftover:
        report["images"] += 1
        report["image_bytes"] += bytes_
    if report["shared"] or not collectable(path):
        continue
    try:
        # A dry run creates nothing: without a lock file no fetch holds the lock.
        lock = os.open(image + ".lock", os.O_WRONLY | (os.O_CREAT if mode == "delete" else 0), 0o666)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            errors.append("%s.lock: %s" % (image, exc.strerror))
            continue
        lock = -1
    try:
        try:
            if lock >= 0:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            report["busy"] += 1  # a fetch of it is under way
            continue
        if not collectable(path):
            continue  # found present by a submission meanwhile
        if mode == "delete" and not remove(path):
            continue
        if not leftover:
            report["unused"] += 1
            definition = (image[:-4] if image.endswith(".sif") else image) + ".def"
            if mode == "delete" and os.path.exists(definition):
                remove(definition)
        report["unused_bytes"] += bytes_
    finally:
        if lock >= 0:
            os.close(lock)

# Image-build job directories: <builds>/<name>/<attempt>/.
for name in sorted(os.listdir(builds)) if os.path.isdir(builds) else []:
    folder = os.path.join(builds, name)
    if not os.path.isdir(folder):
        continue
    for attempt in sorted(os.listdir(folder)):
        path = os.path.join(folder, attempt)
        if not os.path.isdir(path):
            continue
        report["builds"] += 1
        try:
            newest = max([os.lstat(path).st_mtime] + [os.lstat(os.path.join(path, f)).st_mtime
                                                       for f in os.listdir(path)])
        except OSError:
            continue
        if norm(path) in active or newest >= horizon:
            continue
        if mode == "delete" and not remove(path):
            continue
        report["unused_builds"] += 1
    if mode == "delete":
        try:
            os.rmdir(folder)  # only if empty: a submission may be making an attempt in it
        except OSError:
            pass
report["errors"] = errors[:20]
json.dump(report, sys.stdout)
"""

@dataclass(frozen=True)
class ImageStore:
    """Where a cluster keeps its fetched images and its image-build job directories."""

    cache: str
    builds: str


@dataclass(frozen=True)
class ImageGcReport:
    """What one collection of an image cache found (and, unless a dry run, removed)."""

    cache: str
    images: int
    image_bytes: int
    unused: int  # images removed (or, in a dry run, that would be)
    unused_bytes: int  # their bytes, with those of killed fetches' leftovers
    builds: int  # image-build job directories
    unused_builds: int
    busy: int  # left because a fetch of them held the lock
    shared: str | None  # why the cache was left alone, if it was
    errors: tuple[str, ...]
    removed: bool

    def summary(self, days: float) -> str:
        if self.shared:
            return (f"{self.cache}: {self.images} image(s), {human_bytes(self.image_bytes)}; left alone: "
                    f"{self.shared}, whose runs hpcest cannot see from here")
        verb = "removed" if self.removed else "would remove"
        line = (
            f"{self.cache}: {self.images} image(s), {human_bytes(self.image_bytes)}; {verb} {self.unused} "
            f"({human_bytes(self.unused_bytes)}) and {self.unused_builds} of {self.builds} image-build "
            f"director{'y' if self.builds == 1 else 'ies'} no run of the last {days:g} day(s) and no queued "
            "or running job uses"
        )
        if self.busy:
            line += f"; {self.busy} being fetched right now, kept"
        if not self.removed and (self.unused or self.unused_builds):
            line += "; run again with --yes to remove them"
        return line


def collect_images(
    transport: Transport,
    store: ImageStore,
    runs_roots: Sequence[str],
    active_workdirs: Iterable[str],
    *,
    days: float,
    delete: bool,
) -> ImageGcReport:
    """List (``delete`` False) or remove what no run of the last ``days`` nor a listed job uses.

    ``runs_roots``: the run directories of every profile whose images go to this cache (one cache
    may serve several profiles of the cluster)."""
    check_days(days)
    workdirs = sorted(active_workdirs)
    if any("\0" in d for d in workdirs):
        raise ValueError("a working directory with a NUL byte")  # squeue cannot print one
    args = [store.cache, store.builds, repr(float(days)), "delete" if delete else "list", *sorted(set(runs_roots))]
    data = run_gc_script(transport, _IMAGE_GC_PY, args, delete=delete, what="hpcest gc (images)",
                         stdin="\0".join(workdirs).encode())  # fmt: skip
    return ImageGcReport(**{**data, "errors": tuple(data["errors"])}, removed=delete)
