"""Cluster profiles: everything hpcest needs to know about one cluster.

A profile is plain data (no I/O). ``workspace.py`` reads profiles from ``hpcest.toml`` and
validates them with ``ClusterProfile.from_mapping``, which names the offending key on error.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError

RUNTIMES = ("apptainer", "singularity", "charliecloud", "none", "auto")
IMAGE_FETCH = ("login", "job", "build-job")
# What "auto" looks for on the machine that runs the job, in order (command, runtime).
AUTO_RUNTIMES = (("apptainer", "apptainer"), ("singularity", "singularity"), ("ch-run", "charliecloud"))


@dataclass(frozen=True)
class VmSize:
    """What an Azure ``vm_size`` means on this cluster."""

    partition: str | None = None
    constraint: str | None = None
    gpus: int = 0
    cpus: int | None = None
    mem_mb: int | None = None


@dataclass(frozen=True)
class ClusterProfile:
    name: str
    # "local" runs sbatch/squeue on this machine; "ssh" runs them on a login node.
    transport: str = "local"
    host: str | None = None
    user: str | None = None
    port: int | None = None
    identity_file: str | None = None
    known_hosts: str | None = None
    # An OpenSSH client config to read instead of ~/.ssh/config (HostName, User, Port, ProxyJump...).
    ssh_config: str | None = None
    # Accept a host key not in known_hosts (first contact only; a changed key is always refused).
    trust_unknown_host: bool = False
    # Run cluster commands through a login shell (bash -l), for sites that put Slurm or modules
    # on PATH in /etc/profile.d only; `hpcest cluster check` says when that is needed.
    login_shell: bool = False
    # Where run directories live on the cluster (shared filesystem).
    workdir: str = "~/hpcest"
    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    # QOS used for vm_priority="lowpriority" (requeue-able); partition may be overridden too.
    lowpriority_qos: str | None = None
    lowpriority_partition: str | None = None
    gpus_per_node: int | None = None
    gres_name: str = "gpu"
    vm_sizes: Mapping[str, VmSize] = field(default_factory=dict)
    container_runtime: str = "apptainer"
    # Where fetched and built images are kept. Empty: <workdir>/images, on the run directories'
    # filesystem (home directories have small quotas on most sites).
    image_cache: str = ""
    # Where images are fetched or built: "login" (on the login node at submission, through the
    # transport: compute nodes often have no internet and no fakeroot), "job" (inside the job),
    # or "build-job" (a Slurm job of its own on image_build_partition that the run waits for).
    image_fetch: str = "login"
    image_build_partition: str | None = None
    max_array_size: int = 1001
    mpi_plugin: str = "pmix"
    prologue: tuple[str, ...] = ()
    extra_directives: tuple[str, ...] = ()
    # Environment variables exported in every job (e.g. OMPI_MCA_* for the site fabric).
    env: Mapping[str, str] = field(default_factory=dict)
    # Environment of the Slurm client commands hpcest runs (e.g. SLURM_CONF for one of several
    # clusters reachable from the same login node).
    client_env: Mapping[str, str] = field(default_factory=dict)
    # Executable used for python inside the job when no container is used.
    python: str = "python3"
    # How long a job the scheduler no longer lists may go without its exit-code file before it
    # counts as lost (shared filesystems show new files late).
    status_grace_seconds: float = 120.0
    # File creation mask for run directories, the content store and the job's outputs on shared
    # scratch: private to the user by default ("0027" shares them read-only with the group).
    umask: str = "0077"

    def __post_init__(self) -> None:
        if self.transport not in ("local", "ssh"):
            raise ConfigError(
                f"cluster profile {self.name!r}: key 'transport' must be 'local' or 'ssh', got {self.transport!r}"
            )
        if self.transport == "ssh" and not self.host:
            raise ConfigError(f"cluster profile {self.name!r}: key 'host' is required when transport = 'ssh'")
        if self.container_runtime not in RUNTIMES:
            raise ConfigError(
                f"cluster profile {self.name!r}: key 'container_runtime' must be one of "
                f"{', '.join(RUNTIMES)}, got {self.container_runtime!r}"
            )
        if self.gpus_per_node is not None and self.gpus_per_node < 0:
            raise ConfigError(f"cluster profile {self.name!r}: key 'gpus_per_node' must be >= 0")
        if not self.image_cache:
            object.__setattr__(self, "image_cache", self.workdir.rstrip("/") + "/images")
        if self.image_fetch not in IMAGE_FETCH:
            raise ConfigError(
                f"cluster profile {self.name!r}: key 'image_fetch' must be one of {', '.join(IMAGE_FETCH)}, "
                f"got {self.image_fetch!r}"
            )
        if self.max_array_size < 1:
            raise ConfigError(f"cluster profile {self.name!r}: key 'max_array_size' must be >= 1")
        if self.port is not None and not 1 <= self.port <= 65535:
            raise ConfigError(f"cluster profile {self.name!r}: key 'port' must be a TCP port 1-65535, got {self.port}")
        if not re.fullmatch(r"0?[0-7]{3}", self.umask):
            raise ConfigError(
                f"cluster profile {self.name!r}: key 'umask' must be three or four octal digits such as "
                f"\"0077\" (private) or \"0027\" (group may read), got {self.umask!r}"
            )

    def with_runtime_detected(self, which: Callable[[str], str | None]) -> tuple[ClusterProfile, str | None]:
        """Resolve ``container_runtime = "auto"`` with ``which`` (e.g. shutil.which) on the job's machine.

        Returns the profile and, when nothing was found, a note saying jobs run without a container.
        """
        from dataclasses import replace

        if self.container_runtime != "auto":
            return self, None
        for command, runtime in AUTO_RUNTIMES:
            if which(command):
                return replace(self, container_runtime=runtime), None
        note = (
            "no container runtime (apptainer, singularity, ch-run) on this machine: the job runs without a "
            "container, on this machine's Python"
        )
        return replace(self, container_runtime="none"), note

    def with_home(self, home: str) -> ClusterProfile:
        """The profile with ``~`` in its cluster paths replaced by ``home`` (the cluster user's).

        Paths reach the job script quoted, where the shell would not expand ``~`` any more.
        """
        from dataclasses import replace

        def expand(path: str) -> str:
            if path == "~" or path.startswith("~/"):
                return home.rstrip("/") + path[1:]
            return path

        return replace(self, workdir=expand(self.workdir), image_cache=expand(self.image_cache))

    @classmethod
    def from_mapping(cls, name: str, data: Mapping[str, Any]) -> ClusterProfile:
        """Build a profile from a TOML table, naming the offending key on any error."""
        known = {f for f in cls.__dataclass_fields__ if f != "name"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"cluster profile {name!r}: unknown key(s) {', '.join(unknown)}; "
                f"known keys are {', '.join(sorted(known))}"
            )
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key == "vm_sizes":
                if not isinstance(value, Mapping):
                    raise ConfigError(f"cluster profile {name!r}: key 'vm_sizes' must be a table")
                sizes = {}
                for size_name, spec in value.items():
                    if not isinstance(spec, Mapping):
                        raise ConfigError(f"cluster profile {name!r}: key 'vm_sizes.{size_name}' must be a table")
                    bad = sorted(set(spec) - set(VmSize.__dataclass_fields__))
                    if bad:
                        raise ConfigError(
                            f"cluster profile {name!r}: unknown key(s) {', '.join(bad)} in "
                            f"'vm_sizes.{size_name}'; known: {', '.join(VmSize.__dataclass_fields__)}"
                        )
                    for field_name, field_value in spec.items():
                        _check_scalar(
                            name,
                            f"vm_sizes.{size_name}.{field_name}",
                            field_value,
                            VmSize.__dataclass_fields__[field_name].type,
                        )
                    sizes[size_name] = VmSize(**spec)
                kwargs[key] = sizes
            elif key in ("prologue", "extra_directives"):
                if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                    raise ConfigError(f"cluster profile {name!r}: key {key!r} must be a list of strings")
                kwargs[key] = tuple(value)
            elif key in ("env", "client_env"):
                if not isinstance(value, Mapping):
                    raise ConfigError(f"cluster profile {name!r}: key {key!r} must be a table")
                kwargs[key] = {str(k): str(v) for k, v in value.items()}
            else:
                _check_scalar(name, key, value, cls.__dataclass_fields__[key].type)
                kwargs[key] = value
        return cls(name=name, **kwargs)


_SCALARS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "bool": (bool, "true or false"),
    "int": (int, "an integer"),
    "float": ((int, float), "a number"),
    "str": (str, "a string"),
}


def _check_scalar(profile: str, key: str, value: Any, annotation: object) -> None:
    """``value`` must have the scalar type the field is annotated with (``int | None`` -> int)."""
    kind = str(annotation).split("|")[0].strip()
    if kind not in _SCALARS:
        return
    expected, words = _SCALARS[kind]
    # TOML's true/false are Python bools, and bool is an int subclass: refuse them for numbers.
    if not isinstance(value, expected) or (kind in ("int", "float") and isinstance(value, bool)):
        raise ConfigError(f"cluster profile {profile!r}: key {key!r} must be {words}, got {value!r}")


# The profile used when nothing is configured: this machine, no container runtime required, and
# the jobs run by the Python that runs hpcest (so the packages the user installed are there).
# "auto": a container runtime found on this machine runs estimators that ask for Docker (v1 ran
# local Docker runs); without one the job runs bare, with a warning.
LOCAL_PROFILE = ClusterProfile(name="local", transport="local", container_runtime="auto", python=sys.executable)
