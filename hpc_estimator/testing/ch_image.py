"""A real charliecloud image with a working ``python3``, built offline from this machine's files.

Tests run hpcest's container command lines with ``ch-run`` (an unprivileged runtime that needs
no daemon and no setuid helper). Pulling a base image from a registry is not possible in every
test environment, so the image is assembled from the host instead: one Python interpreter, the
shared libraries ``ldd`` reports for it and for its extension modules, its standard library
(without site-packages, so nothing installed on the host leaks in), ``/bin/sh``, and the
directories ``ch-run`` binds onto. Nothing in it is made for hpcest: like a Debian image it has
``python3`` and no ``python``, and hpcest binds the run directory onto ``/mnt``, which ordinary
images carry.

Why the mount points are part of the image: the installed ch-run (Debian 12 ships 0.31)
re-mounts the image read-only *before* it applies ``--bind``, and it only creates a missing
destination with ``--write`` (``--write-fake`` arrived in 0.36). So ``/dev``, ``/proc``,
``/sys``, ``/etc/passwd``, ``/etc/group`` and ``/mnt`` must exist, as they do in real images.

Builds are cached under a key derived from everything that goes into the image, so a test
session reuses the image built by the previous one and a changed interpreter yields a new one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Bump when the layout below changes, so cached images are rebuilt.
BUILDER_VERSION = "3"

# ch-run binds these unconditionally (BD_REQUIRED) or when present (BD_OPTIONAL).
RUNTIME_DIRS = ("/dev", "/proc", "/sys", "/tmp", "/home", "/root", "/ch", "/etc")
RUNTIME_FILES = ("/etc/passwd", "/etc/group", "/etc/hosts", "/etc/resolv.conf")
# Most images carry /mnt (hpcest binds the run directory there) and ch-run's docs rely on spare
# mount points /mnt/0../mnt/9.
SPARE_MOUNTS = tuple(f"/mnt/{i}" for i in range(10))
# Merged /usr, as in Debian: the loader path ldd prints (/lib64/ld-linux...) resolves inside.
USR_MERGE_LINKS = {"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64"}
# Standard-library parts a training-script smoke test never needs; they only cost copy time.
STDLIB_SKIP = {
    "site-packages",
    "dist-packages",
    "test",
    "idlelib",
    "tkinter",
    "turtledemo",
    "ensurepip",
    "lib2to3",
    "config-3",
}
METADATA = "ch/hpcest-test-image.json"
LDD_LINE = re.compile(r"(?:=>\s*)?(/\S+)\s+\(0x[0-9a-f]+\)")


class ImageBuildError(RuntimeError):
    """The test image could not be assembled from this machine's files."""


@dataclass(frozen=True)
class InterpreterFiles:
    """Where the chosen host interpreter keeps what the image needs."""

    executable: Path
    version: str  # "3.11"
    stdlib: Path
    dynload: Path


def default_cache_dir() -> Path:
    """``$HPCEST_TEST_CACHE`` or ``~/.cache/hpcest-test``."""
    env = os.environ.get("HPCEST_TEST_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "hpcest-test"


def find_interpreter(candidates: tuple[str, ...] = ("/usr/bin/python3",)) -> InterpreterFiles:
    """The first usable system interpreter (the distribution's, whose stdlib lives under /usr)."""
    probe = (
        "import sys, sysconfig, _json, os;"
        "print(os.path.realpath(sys.executable));"
        "print('%d.%d' % sys.version_info[:2]);"
        "print(sysconfig.get_paths()['stdlib']);"
        "print(os.path.dirname(_json.__file__))"
    )
    tried = []
    for candidate in (*candidates, shutil.which("python3") or ""):
        if not candidate or not os.access(candidate, os.X_OK):
            continue
        # -I -S: the probe must see the interpreter's own stdlib, not a venv or user site.
        result = subprocess.run([candidate, "-I", "-S", "-c", probe], capture_output=True, text=True)
        if result.returncode != 0:
            tried.append(f"{candidate}: {result.stderr.strip()}")
            continue
        exe, version, stdlib, dynload = result.stdout.split("\n")[:4]
        return InterpreterFiles(Path(exe), version, Path(stdlib), Path(dynload))
    raise ImageBuildError(
        "no usable python3 found to build the test image (tried: "
        + ("; ".join(tried) or ", ".join(candidates))
        + "); install Debian's python3-minimal (apt-get install python3-minimal)"
    )


def _ldd(path: Path) -> list[Path]:
    result = subprocess.run(["ldd", str(path)], capture_output=True, text=True)
    if result.returncode != 0:
        return []  # static binary or not an ELF object: nothing to copy
    libs = []
    for line in result.stdout.splitlines():
        match = LDD_LINE.search(line)
        if match:
            libs.append(Path(match.group(1)))
    return libs


def _stdlib_files(interp: InterpreterFiles) -> list[Path]:
    files: list[Path] = []
    for root, dirs, names in os.walk(interp.stdlib):
        rel = Path(root).relative_to(interp.stdlib)
        if rel == Path("."):
            dirs[:] = sorted(d for d in dirs if d not in STDLIB_SKIP and not d.startswith("config-"))
        else:
            dirs.sort()
        files.extend(Path(root) / n for n in sorted(names))
    return files


def _shared_objects(interp: InterpreterFiles, shell: Path) -> list[Path]:
    objects = {interp.executable, shell}
    objects.update(p for p in interp.dynload.glob("*.so") if p.is_file())
    libs: set[Path] = set()
    for obj in sorted(objects):
        libs.update(_ldd(obj))
    return sorted(libs)


def image_key(interp: InterpreterFiles, shell: Path) -> str:
    """A hash of every input of the build: file paths, sizes and modification times."""
    digest = hashlib.sha256(f"builder {BUILDER_VERSION}\n".encode())
    inputs = [interp.executable, shell, *_stdlib_files(interp), *_shared_objects(interp, shell)]
    if not interp.dynload.is_relative_to(interp.stdlib):
        inputs += sorted(interp.dynload.glob("*.so"))
    for path in inputs:
        st = path.stat()
        digest.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    for extra in (*RUNTIME_DIRS, *RUNTIME_FILES, *SPARE_MOUNTS):
        digest.update(extra.encode() + b"\n")
    return digest.hexdigest()[:16]


def _copy_into(root: Path, host_path: Path, image_path: str | None = None) -> None:
    """Copy one host file (symlinks resolved) to the same or the given path in the image."""
    target = root / (image_path or str(host_path)).lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        shutil.copy2(host_path.resolve(), target)


def _assemble(root: Path, interp: InterpreterFiles, shell: Path) -> None:
    for name, link in USR_MERGE_LINKS.items():
        (root / link).mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(link)
    for d in (*RUNTIME_DIRS, *SPARE_MOUNTS):
        (root / d.lstrip("/")).mkdir(parents=True, exist_ok=True)
    (root / "tmp").chmod(0o1777)
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n")
    (root / "etc/group").write_text("root:x:0:\nnogroup:x:65534:\n")
    for f in ("/etc/hosts", "/etc/resolv.conf"):
        (root / f.lstrip("/")).touch()

    _copy_into(root, interp.executable, "/usr/bin/python3")
    (root / f"usr/bin/python{interp.version}").symlink_to("python3")
    _copy_into(root, shell, "/usr/bin/sh")
    image_stdlib = Path(f"/usr/lib/python{interp.version}")
    for path in _stdlib_files(interp):
        _copy_into(root, path, str(image_stdlib / path.relative_to(interp.stdlib)))
    if not interp.dynload.is_relative_to(interp.stdlib):
        for path in sorted(interp.dynload.glob("*.so")):
            _copy_into(root, path, str(image_stdlib / "lib-dynload" / path.name))
    for lib in _shared_objects(interp, shell):
        _copy_into(root, lib)


def build_test_image(dest: Path | None = None, *, interpreter: InterpreterFiles | None = None) -> Path:
    """Return a ready charliecloud image directory, building it into ``dest`` if needed.

    ``dest`` is the cache directory (default :func:`default_cache_dir`); the image is
    ``dest/ch-image-<key>``. Concurrent builders are safe: each assembles in a private
    temporary directory and the first to rename it into place wins.
    """
    interp = interpreter or find_interpreter()
    shell = Path(shutil.which("sh") or "/bin/sh").resolve()
    cache = Path(dest) if dest is not None else default_cache_dir()
    key = image_key(interp, shell)
    image = cache / f"ch-image-{key}"
    if (image / METADATA).is_file():
        return image
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".ch-image-{key}-", dir=cache))
    try:
        root = work / "root"
        root.mkdir()
        _assemble(root, interp, shell)
        meta = {
            "key": key,
            "builder": BUILDER_VERSION,
            "python": str(interp.executable),
            "python_version": interp.version,
        }
        (root / METADATA).write_text(json.dumps(meta, indent=1) + "\n")
        root.chmod(0o755)
        try:
            root.rename(image)
        except OSError:
            if not (image / METADATA).is_file():
                raise
    except OSError as exc:
        raise ImageBuildError(f"could not assemble the test image in {cache}: {exc}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return image


def ch_run_missing_reason() -> str | None:
    """Why ``ch-run`` cannot be used here, or None when it can."""
    ch_run = shutil.which("ch-run")
    if ch_run is None:
        return "ch-run is not on PATH (apt-get install charliecloud-runtime)"
    env = ch_run_env()
    result = subprocess.run([ch_run, "--version"], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        return f"ch-run --version failed: {result.stderr.strip()}"
    checkns = shutil.which("ch-checkns")
    if checkns:
        with contextlib.suppress(OSError):
            check = subprocess.run([checkns], capture_output=True, text=True, env=env)
            if check.returncode != 0:
                return f"unprivileged user namespaces unavailable: {check.stdout.strip()} {check.stderr.strip()}"
    return None


def ch_run_version() -> str:
    out = subprocess.run(["ch-run", "--version"], capture_output=True, text=True, env=ch_run_env())
    return (out.stdout or out.stderr).strip()


def ch_run_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """An environment ch-run accepts: it refuses to start without ``$USER``."""
    env = dict(os.environ if base is None else base)
    if not env.get("USER"):
        env["USER"] = pwd.getpwuid(os.getuid()).pw_name
    return env
