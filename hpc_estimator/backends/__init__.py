"""Backends run a compiled job somewhere: ``local`` (this machine, no Slurm) or ``slurm``."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..cluster.profile import ClusterProfile
from ..v1.compute import LOCAL_TARGET

if TYPE_CHECKING:
    from .base import Backend


class Workspace(Protocol):
    """What a backend needs of the workspace that owns it (the runs' Workspace provides it)."""

    @property
    def path(self) -> Path: ...

    @property
    def history_dir(self) -> Path: ...

    def get_profile(self, name: str) -> ClusterProfile: ...


def make_backend(workspace: Workspace, target: str) -> Backend:
    """The backend for compute target ``target`` of ``workspace`` (transports open lazily)."""
    profile = workspace.get_profile(target)
    if target == LOCAL_TARGET:
        from .local import LocalBackend

        return LocalBackend(workspace.history_dir / "runs", workspace.history_dir / "cas")
    from .slurm import SlurmBackend

    if profile.transport == "ssh":
        from ..transport.ssh import SshTransport

        transport = SshTransport(
            profile.host or "",
            user=profile.user,
            port=profile.port,
            identity_file=profile.identity_file,
            known_hosts=profile.known_hosts,
            ssh_config=profile.ssh_config,
            trust_unknown_host=profile.trust_unknown_host or None,
            env=profile.client_env,
            login_shell=profile.login_shell,
        )
        return SlurmBackend(profile, transport)
    import os

    from ..transport.local import LocalTransport

    env = {**os.environ, **profile.client_env} if profile.client_env else None
    return SlurmBackend(profile, LocalTransport(env=env, login_shell=profile.login_shell))


_CACHE: dict[tuple[str, str], Backend] = {}


def get_backend(workspace: Workspace, target: str) -> Backend:
    """One backend (and so one SSH connection) per workspace and target for this process."""
    key = (str(workspace.path), target)
    backend = _CACHE.get(key)
    if backend is None:
        backend = _CACHE[key] = make_backend(workspace, target)
        if len(_CACHE) == 1:
            import atexit

            atexit.register(close_all)
    return backend


def close_all() -> None:
    while _CACHE:
        _, backend = _CACHE.popitem()
        with contextlib.suppress(Exception):  # closing at exit must never raise
            backend.close()
