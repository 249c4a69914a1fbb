"""The one read of the files jobs write about themselves (exit_code, started_at, cancel_requested,
end_reason) for many run directories.

Protects: the read has the scheduler queries' time limit (a hung network filesystem cannot block
every poll), and an answer of the wrong shape (cut short) is transport trouble, not "no files" for
the missing directories, which after the grace period would declare those runs lost. The read
itself runs for real through the local transport.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from hpc_estimator.backends.job_files import read_job_files
from hpc_estimator.backends.status import QUERY_TIMEOUT_S
from hpc_estimator.errors import TransportError
from hpc_estimator.transport.base import CommandResult
from hpc_estimator.transport.local import LocalTransport


class CutShort(LocalTransport):
    """The real command, with its answer losing its last line (a connection that dropped the end)."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[float | None] = []

    def run(self, argv: Sequence[str], *, timeout: float | None = None, **kwargs: Any) -> CommandResult:
        self.timeouts.append(timeout)
        result = super().run(argv, timeout=timeout, **kwargs)
        return replace(result, stdout="".join(result.stdout.splitlines(keepends=True)[:-1]))


def _dirs(tmp_path: Path) -> list[tuple[str, str]]:
    done, running, odd = tmp_path / "done", tmp_path / "running", tmp_path / "odd"
    for d in (done, running, odd):
        d.mkdir()
    (done / "exit_code").write_text("3\n")
    (done / "started_at").write_text("1\n")
    (done / "end_reason").write_text("timeout\n")
    (running / "started_at").write_text("1\n")
    (odd / "exit_code").write_text("0\r\t\n")  # a stray carriage return and tab
    (odd / "cancel_requested").write_text("1\n")
    return [("done", str(done)), ("running", str(running)), ("odd", str(odd)), ("gone", str(tmp_path / "gone"))]


def test_the_files_of_each_run_directory_are_read_in_one_command(tmp_path: Path) -> None:
    assert read_job_files(LocalTransport(), _dirs(tmp_path)) == {
        "done": ("3", True, False, "timeout"),
        "running": (None, True, False, None),
        "odd": ("0\r", False, True, None),
        "gone": (None, False, False, None),
    }


def test_a_short_answer_is_an_error_and_the_read_has_a_time_limit(tmp_path: Path) -> None:
    transport = CutShort()
    with pytest.raises(TransportError, match="expected 4 line"):
        read_job_files(transport, _dirs(tmp_path))
    assert transport.timeouts == [QUERY_TIMEOUT_S]
