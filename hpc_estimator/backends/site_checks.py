"""What ``hpcest cluster check`` verifies of the site itself, before any job is queued.

Each check is one remote command and answers with problems (a submission would fail) or notes:

* the Slurm commands are on PATH of the commands hpcest runs, and if they are only on a login
  shell's PATH (/etc/profile.d, modules), that ``login_shell = true`` fixes it;
* the profile's ``workdir`` can be created and written (not a read-only or missing filesystem);
* the profile's ``python`` runs (its version is reported);
* ``flock`` works on the image cache's filesystem (image fetches are serialised with it; NFS
  without lockd answers "No locks available").
"""

from __future__ import annotations

from collections.abc import Callable

from ..cluster.profile import ClusterProfile
from ..transport import login_shell
from ..transport.base import CommandResult, Transport

Note = Callable[[str], None]

# "~/x" as a login shell expands it; the path arrives as "$1", never as shell code.
_TILDE = 'case $1 in "~") set -- "$HOME";; "~/"*) set -- "$HOME/${1#"~/"}";; esac; '

_WRITABLE_SH = _TILDE + 'mkdir -p -- "$1" && t=$(mktemp "$1/.hpcest-check.XXXXXX") && rm -f -- "$t"'
_PYTHON_SH = '"$1" -c "import sys; print(sys.version.split()[0])"'
_FLOCK_SH = (
    _TILDE
    + 'mkdir -p -- "$1" || exit 1; command -v flock >/dev/null || { echo "flock(1) is not installed"; exit 1; }; '
    + 'f="$1/.hpcest-flock-check"; ( flock -w 10 9 ) 9> "$f" 2>&1; rc=$?; rm -f -- "$f"; exit $rc'
)


def check_slurm_on_path(transport: Transport, profile: ClusterProfile, problem: Note, note: Note) -> bool:
    """False (with the fix) when sbatch cannot be found by the commands hpcest runs."""
    found = transport.run(["sh", "-c", "command -v sbatch"])
    if found.ok and found.stdout.strip():
        return True
    if profile.login_shell:
        problem("sbatch is not on PATH even in a login shell of the cluster; is Slurm installed on this node?")
        return False
    in_login = transport.run(login_shell.wrap(["sh", "-c", "command -v sbatch"]))
    located = login_shell.strip_profile_output(in_login.stdout).strip()
    if in_login.ok and located:
        problem(
            f"sbatch is only on PATH of login shells (found at {located} after /etc/profile ran): set "
            f"login_shell = true in [clusters.{profile.name}] of hpcest.toml"
        )
    else:
        problem("sbatch is not on PATH of the cluster's login node, in a login shell either; is Slurm installed?")
    return False


def check_workdir(transport: Transport, profile: ClusterProfile, problem: Note, note: Note) -> None:
    result = transport.run(["sh", "-c", _WRITABLE_SH, "sh", profile.workdir])
    if not result.ok:
        problem(
            f"workdir = {profile.workdir!r} cannot be created or written ({_last_line(result)}); "
            "set workdir to a directory on the shared filesystem you can write (e.g. your scratch)"
        )


def check_python(transport: Transport, profile: ClusterProfile, problem: Note, note: Note) -> None:
    result = transport.run(["sh", "-c", _PYTHON_SH, "sh", profile.python])
    version = result.stdout.strip()
    if result.ok and version:
        note(f"python = {profile.python!r} runs: Python {version} (jobs without a container use it)")
        return
    message = f"python = {profile.python!r} does not run on the login node ({_last_line(result)}); "
    fix = "set python to an interpreter the compute nodes have (e.g. /usr/bin/python3)"
    if profile.python == "python3" and profile.container_runtime != "none":
        # The default, with containers: only runs with use_docker=False need it.
        note(message + fix + " before submitting runs with use_docker=False")
    else:
        problem(message + fix)


def check_image_cache_locking(transport: Transport, profile: ClusterProfile, problem: Note, note: Note) -> None:
    if profile.container_runtime == "none":
        return
    result = transport.run(["sh", "-c", _FLOCK_SH, "sh", profile.image_cache])
    if not result.ok:
        problem(
            f"flock does not work in image_cache = {profile.image_cache!r} ({_last_line(result)}); "
            "concurrent jobs could fetch the same image at once: set image_cache to a filesystem with "
            "locking (e.g. the scratch filesystem of workdir)"
        )


def _last_line(result: CommandResult) -> str:
    lines = (result.stderr + "\n" + result.stdout).strip().splitlines()
    return lines[-1].strip() if lines else f"exit status {result.returncode}, no output"


SITE_CHECKS = (check_workdir, check_python, check_image_cache_locking)
