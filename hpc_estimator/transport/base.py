"""The transport contract: how hpcest reaches a cluster's login node.

Deliberately thin (run a command, move files, read a file): everything Slurm-specific is built
and parsed elsewhere (``slurm.py``) so it can be tested from recorded output.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class Transport(Protocol):
    """What backends need from a connection to a cluster.

    ``run`` takes an argv list; implementations quote it themselves (SSH joins it with
    ``shlex.join``), so user values never pass through a shell unquoted.
    """

    def run(
        self,
        argv: Sequence[str],
        *,
        stdin: bytes | None = None,
        timeout: float | None = None,
        idempotent: bool = True,
    ) -> CommandResult: ...

    def put(self, local: Path, remote: str, *, progress: Progress | None = None) -> None:
        """Upload ``local`` to ``remote``; ``progress(bytes_done, bytes_total)`` is called as it goes."""
        ...

    def get(self, remote: str, local: Path) -> None: ...

    def read_text(self, remote: str) -> str: ...

    def write_text(self, remote: str, text: str, *, mode: int = 0o644) -> None: ...

    def close(self) -> None: ...
