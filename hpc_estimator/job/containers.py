"""Container runtimes as command builders (apptainer, singularity, charliecloud, none).

Nothing here runs anything: each function returns an argv list. No Python package wraps
Apptainer; its CLI is the interface, so these builders follow its documented options
(``apptainer exec [exec options...] <container> <command>``).

Layout inside every container: the run directory is bound at ``/hpcest/run`` (Apptainer and
Singularity create that mount point themselves) or at ``/mnt`` (Charliecloud cannot create one in
a read-only image, and every Linux image has ``/mnt``), and ranks start in its ``src`` (the run's
own copy of the source snapshot, writable as v1's was). ``./outputs`` and ``./logs`` are relative
symlinks from the snapshot to ``../outputs`` and ``../logs``, so they resolve the same inside and
outside any container.
"""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass

from ..errors import ConfigError
from .spec import Bind, ContainerSpec, RuntimeName

CONTAINER_RUN_DIR = "/hpcest/run"
# ch-run binds only onto directories that exist in the image; /mnt is in every Linux image.
CHARLIECLOUD_RUN_DIR = "/mnt"
DEFAULT_SHM_SIZE = "2g"

# Environment variables each runtime forwards into a container started with a clean environment.
ENV_PREFIX: dict[str, str] = {"apptainer": "APPTAINERENV_", "singularity": "SINGULARITYENV_"}

# Variables a rank needs inside a container started with a clean environment: Slurm's task
# identity, PMIx/MPI wire-up, framework rendezvous, GPU selection, and hpcest's own.
FORWARD_PATTERNS = (
    "SLURM_*",
    "SLURMD_NODENAME",
    "PMIX_*",
    "PMI_*",
    "OMPI_*",
    "UCX_*",
    "NCCL_*",
    "HOROVOD_*",
    "CUDA_VISIBLE_DEVICES",
    "GPU_DEVICE_ORDINAL",
    "RANK",
    "WORLD_SIZE",
    "LOCAL_RANK",
    "LOCAL_WORLD_SIZE",
    "NODE_RANK",
    "GROUP_RANK",
    "MASTER_ADDR",
    "MASTER_PORT",
    "TF_CONFIG",
    "AZUREML_*",
    "HPCEST_*",
    "PYTHONNOUSERSITE",
    "PYTHONPATH",
    "TMPDIR",
)

# Variables the runtimes do not take from the host through the prefix mechanism (HOME) or give a
# special meaning (PATH, LD_LIBRARY_PATH are the image's own).
NOT_FORWARDABLE = ("HOME", "PATH", "LD_LIBRARY_PATH")


@dataclass(frozen=True)
class Layout:
    """Where things are, as seen by the training process."""

    run_dir: str
    src_dir: str

    def input_path(self, name: str) -> str:
        return posixpath.join(self.run_dir, "inputs", name)


def layout(runtime: RuntimeName, host_run_dir: str) -> Layout:
    run_dir = {"none": host_run_dir, "charliecloud": CHARLIECLOUD_RUN_DIR}.get(runtime, CONTAINER_RUN_DIR)
    return Layout(run_dir=run_dir, src_dir=posixpath.join(run_dir, "src"))


def image_key(source: str) -> str:
    """Content-addressed cache name: the same image reference is pulled once per cluster."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:24]


def cached_image_path(runtime: RuntimeName, cache_dir: str, source: str) -> str:
    suffix = ".sif" if runtime in ("apptainer", "singularity") else ""
    return posixpath.join(cache_dir, f"{runtime}-{image_key(source)}{suffix}")


def _check_bind_path(path: str, what: str) -> str:
    # Apptainer's --bind splits specs on ',' and fields on ':'; charliecloud splits on ':'.
    # There is no escape syntax, so such paths cannot be bound and must be refused up front.
    bad = [c for c in (":", ",", "\n") if c in path]
    if bad:
        raise ConfigError(
            f"{what} {path!r} contains {' and '.join(repr(c) for c in bad)}, which container bind "
            "specifications cannot express; move or symlink the data to a path without them"
        )
    if not path.startswith("/"):
        raise ConfigError(f"{what} {path!r} must be an absolute path on the cluster")
    return path


def bind_spec(bind: Bind, runtime: RuntimeName) -> str:
    src = _check_bind_path(bind.source, "bind source")
    dst = _check_bind_path(bind.target, "bind target")
    if runtime == "charliecloud":
        # ch-run 0.31 has no per-bind read-only flag; the image itself stays read-only.
        return f"{src}:{dst}"
    return f"{src}:{dst}:ro" if bind.read_only else f"{src}:{dst}"


def default_binds(host_run_dir: str, runtime: RuntimeName) -> tuple[Bind, ...]:
    # The snapshot is the run's own copy (writable, as v1's was): the run directory is one bind.
    if runtime == "none":
        return ()
    return (Bind(host_run_dir, layout(runtime, host_run_dir).run_dir),)


def exec_prefix(spec: ContainerSpec, image_path: str | None) -> list[str]:
    """The argv that precedes the training command for one rank."""
    runtime = spec.runtime
    if runtime == "none":
        return []
    if not image_path:
        raise ConfigError(f"container runtime {runtime!r} needs an image")
    if runtime in ("apptainer", "singularity"):
        argv = [runtime, "exec"]
        if spec.cleanenv:
            argv.append("--cleanenv")
        # Without --no-eval the runtime shell-evaluates forwarded values inside the container
        # ($HOME, backticks, quotes); with it they arrive byte for byte (Apptainer >= 1.1,
        # SingularityCE >= 3.10).
        argv.append("--no-eval")
        if spec.gpu:
            argv.append("--nv")
        for bind in spec.binds:
            argv += ["--bind", bind_spec(bind, runtime)]
        if spec.workdir:
            argv += ["--pwd", spec.workdir]
        argv.append(image_path)
        return argv
    if runtime == "charliecloud":
        argv = ["ch-run"]
        for bind in spec.binds:
            argv += ["-b", bind_spec(bind, runtime)]
        if spec.workdir:
            argv += ["-c", spec.workdir]
        # ch-run passes the host environment through; drop the user's site-packages path only.
        argv += ["--unset-env=PYTHONUSERBASE", image_path, "--"]
        return argv
    raise ConfigError(f"unknown container runtime {runtime!r}")


# Image tarballs on the cluster's filesystem (what `ch-convert -o tar` writes): air-gapped sites
# copy images in this way, since not even the login node reaches a registry.
IMAGE_ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2", ".tar.zst")


def is_image_archive(runtime: RuntimeName, source: str) -> bool:
    """A path to an image tarball that ``runtime`` converts into a runnable image (charliecloud)."""
    return runtime == "charliecloud" and source.startswith("/") and source.endswith(IMAGE_ARCHIVE_SUFFIXES)


def pull_argv(runtime: RuntimeName, source: str, dest: str) -> list[list[str]]:
    """Commands that turn an image reference into the runnable image at ``dest`` (run once)."""
    if runtime in ("apptainer", "singularity"):
        if source.endswith(".def"):
            # A definition file (user packages layered on a base image) is built, not pulled.
            return [[runtime, "build", "--fakeroot", dest, source]]
        return [[runtime, "pull", dest, source]]
    if runtime == "charliecloud" and is_image_archive(runtime, source):
        return [["ch-convert", "-i", "tar", "-o", "dir", source, dest]]
    if runtime == "charliecloud":
        ref = source.removeprefix("docker://")
        return [["ch-image", "pull", ref], ["ch-convert", "-o", "dir", ref, dest]]
    return []


def shm_warning(runtime: RuntimeName, shm_size: str | None) -> str | None:
    """Why ``shm_size`` cannot be honoured by this runtime (None when it can or was not asked)."""
    if not shm_size or shm_size == DEFAULT_SHM_SIZE:
        # v1's DockerConfiguration default: nobody asked for it, so nothing to warn about.
        return None
    if runtime == "none":
        return (
            f"shm_size={shm_size!r} ignored: without a container the job uses the node's /dev/shm "
            "as configured by the cluster"
        )
    return (
        f"shm_size={shm_size!r} ignored: {runtime} shares the node's /dev/shm with the container "
        "(there is no per-container shm size as in Docker); the job gets what the node has"
    )
