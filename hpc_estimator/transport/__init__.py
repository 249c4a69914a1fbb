"""Transports: how hpcest reaches a cluster's login node (this machine, or over SSH).

``SshTransport`` is imported lazily so that purely local use never pays for importing paramiko.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import TransportError
from .base import CommandResult, Transport


class RemoteFileNotFoundError(TransportError, FileNotFoundError):
    """The file does not exist on the cluster side.

    Also a FileNotFoundError, so ``except FileNotFoundError`` works the same for every transport
    (a job's exit-code file being absent is a normal answer, not a broken connection).
    """


from .local import LocalTransport  # noqa: E402  (needs RemoteFileNotFoundError defined first)

if TYPE_CHECKING:
    from .ssh import SshTransport

__all__ = [
    "CommandResult",
    "LocalTransport",
    "RemoteFileNotFoundError",
    "SshTransport",
    "Transport",
]


def __getattr__(name: str) -> Any:
    if name == "SshTransport":
        from .ssh import SshTransport

        return SshTransport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
