"""``hpcest gc``: remove contents of the snapshot store that no recent run uses.

The store (see ``staging``) only ever grows: every version of every file a run shipped stays,
so a 200 MB checkpoint edited four times costs 1 GB. Runs do not need it once staged (each
run's ``src/`` is its own copy), it is a cache that makes the next staging send less. So an
object may go when both hold:

* no run staged in the last N days lists it in its ``snapshot-objects`` (it is not part of the
  code being worked on), and
* it was not stored or used by a staging in the last N days (staging touches every object it
  finds present, so a submission staging right now never loses an object it counted on).

One remote command lists (the default, a dry run) or removes; it prints one JSON summary.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..errors import TransportError, UserErrorException
from ..transport.base import Transport

DEFAULT_DAYS = 30

# The cluster side (python3 >= 3.6). Walks the runs tree for snapshot-objects listings without
# descending into run contents (src/, outputs/ ... can be large), then the store's objects.
_GC_PY = r"""
import json, os, re, sys, time
cas, runs, days, mode = sys.argv[1:5]
cas, runs = os.path.expanduser(cas), os.path.expanduser(runs)
horizon = time.time() - float(days) * 86400
keep = set()
runs_seen = 0
RUN_CONTENT = {"src", "outputs", "logs", "inputs", "metrics", "hpcest-logs", ".hpcest"}
for top, dirs, files in os.walk(runs):
    if "snapshot-objects" in files:
        runs_seen += 1
        path = os.path.join(top, "snapshot-objects")
        try:
            if os.stat(path).st_mtime >= horizon:
                with open(path) as listing:
                    keep.update(line.strip() for line in listing if line.strip())
        except OSError:
            pass
    dirs[:] = [d for d in dirs if d not in RUN_CONTENT]
total = total_bytes = drop = drop_bytes = 0
errors = []
name = re.compile(r"^[0-9a-f]{64}$")
for prefix in sorted(os.listdir(cas)) if os.path.isdir(cas) else []:
    folder = os.path.join(cas, prefix)
    if len(prefix) != 2 or not os.path.isdir(folder):
        continue  # .incoming and anything that is not an object folder
    for obj in os.listdir(folder):
        if not name.match(obj):
            continue
        path = os.path.join(folder, obj)
        try:
            st = os.stat(path)
        except OSError:
            continue
        total += 1
        total_bytes += st.st_size
        if prefix + "/" + obj in keep or st.st_mtime >= horizon:
            continue
        if mode == "delete":
            try:
                os.unlink(path)
            except OSError as exc:
                errors.append("%s: %s" % (path, exc.strerror))
                continue
        drop += 1
        drop_bytes += st.st_size
json.dump({"cas": cas, "runs": runs_seen, "objects": total, "bytes": total_bytes,
           "unused": drop, "unused_bytes": drop_bytes, "errors": errors[:20]}, sys.stdout)
"""

_RUN_PYTHON = 'command -v python3 >/dev/null 2>&1 || exit 127; exec python3 -c "$0" "$@"'


@dataclass(frozen=True)
class GcReport:
    """What one collection found (and, unless a dry run, removed)."""

    cas: str
    runs: int  # run directories with a snapshot listing
    objects: int
    bytes: int
    unused: int  # objects removed (or, in a dry run, that would be)
    unused_bytes: int
    errors: tuple[str, ...]
    removed: bool

    def summary(self, days: float) -> str:
        verb = "removed" if self.removed else "would remove"
        line = (
            f"{self.cas}: {self.objects} object(s), {human_bytes(self.bytes)}; {verb} {self.unused} "
            f"({human_bytes(self.unused_bytes)}) not used by a run of the last {days:g} day(s)"
        )
        if not self.removed and self.unused:
            line += "; run again with --yes to remove them"
        return line


def collect(transport: Transport, cas: str, runs_root: str, *, days: float = DEFAULT_DAYS, delete: bool) -> GcReport:
    """List (``delete`` False) or remove the store's objects no run of the last ``days`` uses."""
    check_days(days)
    data = run_gc_script(transport, _GC_PY, [cas, runs_root, repr(float(days)), "delete" if delete else "list"],
                         delete=delete, what="hpcest gc")  # fmt: skip
    return GcReport(**{**data, "errors": tuple(data["errors"])}, removed=delete)


def check_days(days: float) -> None:
    if days <= 0:
        raise UserErrorException(f"--older-than must be a positive number of days, got {days:g}")


def run_gc_script(
    transport: Transport, script: str, args: list[str], *, delete: bool, what: str, stdin: bytes | None = None
) -> dict[str, Any]:
    """Run one of gc's cluster-side scripts with the login node's python3; its JSON summary."""
    result = transport.run(["sh", "-c", _RUN_PYTHON, script, *args], stdin=stdin, idempotent=not delete)
    if result.returncode == 127:
        raise TransportError("hpcest gc needs python3 on the cluster's login node; none is on its PATH")
    if not result.ok:
        raise TransportError(f"{what} failed on the cluster: {result.stderr.strip() or 'no error output'}")
    try:
        data: dict[str, Any] = json.loads(result.stdout)
    except ValueError as exc:
        raise TransportError(f"{what}: unexpected reply from the cluster: {result.stdout[-300:]!r}") from exc
    return data


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")  # pragma: no cover
