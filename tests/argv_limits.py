"""Shared by the tests of commands built from lists that grow with the work (run directories, job ids).

``OverSsh`` runs each command as sshd would: the whole command line, quoted by the SSH transport's
own ``command_line``, as the one argument of ``sh -c``. The kernel then refuses a line past
MAX_ARG_STRLEN (128 KiB) exactly as a login node would ("Argument list too long"), so a caller
that put 3,000 run directories into one command fails here with no cluster and no sshd.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hpc_estimator.transport.base import CommandResult
from hpc_estimator.transport.local import LocalTransport
from hpc_estimator.transport.ssh import command_line

MAX_ARG_STRLEN = 128 * 1024  # Linux: 32 pages, the terminating NUL included


def assert_fits(argv: Sequence[str]) -> None:
    """``argv`` would reach a login node over SSH: its command line is one argument Linux accepts."""
    size = len(command_line(argv).encode()) + 1
    assert size <= MAX_ARG_STRLEN, f"a command of {size} bytes would be refused (limit {MAX_ARG_STRLEN})"


class OverSsh(LocalTransport):
    """The local transport, running each command as sshd runs it (one ``sh -c`` argument) and
    recording the commands as given."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        self.commands: list[list[str]] = []

    def run(self, argv: Sequence[str], **kwargs: Any) -> CommandResult:
        self.commands.append(list(argv))
        result = super().run(["sh", "-c", command_line(argv)], **kwargs)
        return CommandResult(tuple(argv), result.returncode, result.stdout, result.stderr)


def many_run_dirs(root: Path, count: int = 3000) -> list[Path]:
    """``count`` run directories named as a sweep's trials are on a cluster (about 140 bytes each
    under pytest's temporary directory; a thousand of them together are past what one command may
    carry), made."""
    parent = root / "scratch" / "project_2001234" / "hpcest" / "runs" / "HD_train-resnet50_1764612345_a1b2c3d4"
    dirs = [parent / "trials" / f"{i:05d}" for i in range(count)]
    for d in dirs:
        d.mkdir(parents=True)
    assert sum(len(str(d)) + 1 for d in dirs) > MAX_ARG_STRLEN  # one command could not name them all
    return dirs


def fake_command(bin_dir: Path, name: str, body: str) -> None:
    """An executable ``bin_dir/name`` running the sh ``body``."""
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
