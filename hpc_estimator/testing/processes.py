"""Finding and ending the processes of one local cluster, strictly by PID.

Nothing here ever selects a process by its name: a process is only signalled when it is *provably*
ours, i.e. tied to our state directory. Three kinds of proof are accepted:

1. the environment marker ``MARKER_VAR=<state dir>`` that every daemon is started with (children
   such as slurmstepd inherit it, and so do SSH sessions through sshd's ``SetEnv``);
2. for daemons that overwrite their environment block with ``setproctitle()`` (sshd, slurmstepd,
   slurmscriptd) the marker can no longer be read, so: the executable is one of the cluster's
   binaries AND its command line, working directory or an open file lies under the state dir
   (slurmstepd, for example, keeps the node's log file open);
3. job tasks: ``SLURM_CONF=<state dir>/etc/slurm.conf`` together with a ``SLURM_JOB_ID``.

The calling process and its ancestors are never candidates, so ``stop()`` may run from inside a job
or an SSH session of the very cluster it stops.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MARKER_VAR = "HPCEST_LOCAL_CLUSTER_OF"

# Debian installs the slurm daemons as alternatives (slurmd -> slurmd-wlm); both names are resolved.
_DAEMON_NAMES = ("munged", "slurmctld", "slurmd", "slurmstepd", "slurmscriptd", "sshd", "sftp-server")
_EXTRA_DIRS = ("/usr/sbin", "/usr/lib/openssh", "/usr/local/sbin", "/sbin")


def daemon_executables() -> frozenset[str]:
    """Real paths of the binaries a local cluster runs (used for ownership proof 2)."""
    found: set[str] = set()
    path = os.pathsep.join([os.environ.get("PATH", ""), *_EXTRA_DIRS])
    for name in _DAEMON_NAMES:
        exe = shutil.which(name, path=path)
        if exe:
            found.add(os.path.realpath(exe))
    return frozenset(found)


@dataclass(frozen=True)
class ProcInfo:
    pid: int
    ppid: int
    state: str
    start_time: int  # clock ticks since boot: with the pid it identifies a process despite pid reuse


def read_stat(pid: int) -> ProcInfo | None:
    """Parse /proc/PID/stat; None if the process is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # comm (field 2) may contain spaces and parentheses: split after the last ')'.
    rest = raw[raw.rfind(")") + 2 :].split()
    return ProcInfo(pid=pid, ppid=int(rest[1]), state=rest[0], start_time=int(rest[19]))


def is_alive(pid: int, start_time: int | None = None) -> bool:
    """True if ``pid`` exists, is not a zombie and (if given) still has the same start time."""
    info = read_stat(pid)
    if info is None or info.state in ("Z", "X"):
        return False
    return start_time is None or info.start_time == start_time


def all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _read_environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    env: dict[str, str] = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            env[key.decode(errors="replace")] = value.decode(errors="replace")
    return env


def cmdline(pid: int) -> list[str]:
    """The argv of ``pid`` ([] if gone or unreadable)."""
    return _read_cmdline(pid)


def _read_cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _readlink(path: str) -> str:
    try:
        target = os.readlink(path)
    except OSError:
        return ""
    return target.removesuffix(" (deleted)")


def _open_files(pid: int) -> list[str]:
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return []
    return [_readlink(f"/proc/{pid}/fd/{fd}") for fd in fds]


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root + "/")


def ownership_reason(pid: int, state_dir: Path, executables: frozenset[str]) -> str | None:
    """Why ``pid`` belongs to the cluster in ``state_dir`` (a short text), or None if it does not."""
    root = str(state_dir)
    env = _read_environ(pid)
    if env.get(MARKER_VAR) == root:
        return "environment marker"
    if env.get("SLURM_CONF") == f"{root}/etc/slurm.conf" and "SLURM_JOB_ID" in env:
        return "job task of this cluster"
    exe = _readlink(f"/proc/{pid}/exe")
    if exe and os.path.realpath(exe) in executables:
        mentions = re.compile(re.escape(root) + r"(?=$|[/\s'\"])")
        if any(mentions.search(arg) for arg in _read_cmdline(pid)):
            return f"{exe} with the state dir in its command line"
        if _under(_readlink(f"/proc/{pid}/cwd"), root):
            return f"{exe} working in the state dir"
        if any(_under(f, root) for f in _open_files(pid)):
            return f"{exe} holding a file of the state dir open"
    return None


def _protected_pids() -> set[int]:
    """This process and all its ancestors: never ours to kill, whatever they carry."""
    protected = {0, 1}
    pid = os.getpid()
    while pid > 1:
        protected.add(pid)
        info = read_stat(pid)
        if info is None:
            break
        pid = info.ppid
    return protected


def find_cluster_processes(state_dir: Path) -> dict[int, tuple[ProcInfo, str]]:
    """All live (non-zombie) processes provably belonging to the cluster in ``state_dir``."""
    executables = daemon_executables()
    protected = _protected_pids()
    found: dict[int, tuple[ProcInfo, str]] = {}
    for pid in all_pids():
        if pid in protected:
            continue
        info = read_stat(pid)
        if info is None or info.state in ("Z", "X"):
            continue
        reason = ownership_reason(pid, state_dir, executables)
        if reason:
            found[pid] = (info, reason)
    return found


def signal_pid(pid: int, sig: int, start_time: int | None = None) -> bool:
    """Send ``sig`` to ``pid`` if it is still the same live process; True if sent."""
    if not is_alive(pid, start_time):
        return False
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return False
    return True


def reap_if_child(pid: int) -> None:
    """Collect the exit status of ``pid`` if it is our child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def wait_gone(pids: Iterable[tuple[int, int | None]], timeout: float) -> list[int]:
    """Wait until every (pid, start_time) is dead; return those still alive after ``timeout``."""
    pending = list(pids)
    deadline = time.monotonic() + timeout
    while True:
        for pid, _ in pending:
            reap_if_child(pid)
        pending = [(pid, st) for pid, st in pending if is_alive(pid, st)]
        if not pending or time.monotonic() >= deadline:
            return [pid for pid, _ in pending]
        time.sleep(0.05)


def terminate(pids: Iterable[tuple[int, int | None]], *, grace: float) -> list[int]:
    """TERM each (pid, start_time), wait up to ``grace`` s, then KILL the rest; return the unkillable."""
    targets = [(pid, st) for pid, st in pids if signal_pid(pid, signal.SIGTERM, st)]
    survivors = set(wait_gone(targets, grace))
    leftovers = [(pid, st) for pid, st in targets if pid in survivors]
    for pid, st in leftovers:
        signal_pid(pid, signal.SIGKILL, st)
    return wait_gone(leftovers, 5.0)
