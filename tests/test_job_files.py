"""The one read of the files jobs write about themselves (exit_code, started_at, cancel_requested,
end_reason) for many run directories.

Protects: the read has the scheduler queries' time limit (a hung network filesystem cannot block
every poll), and an answer of the wrong shape (cut short) is transport trouble, not "no files" for
the missing directories, which after the grace period would declare those runs lost. The read
itself runs for real through the local transport. The 3,000 run directories of a large sweep are
read in commands a login node accepts over SSH (each within the 128 KiB one-argument limit), all
answered; one of those commands failing or cut short is an error for the whole poll.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from hpc_estimator.backends.job_files import JobFiles, read_job_files
from hpc_estimator.backends.status import QUERY_TIMEOUT_S
from hpc_estimator.errors import TransportError
from hpc_estimator.transport.base import CommandResult
from hpc_estimator.transport.local import LocalTransport
from hpc_estimator.util.argv_chunks import argv_chunks
from tests.argv_limits import OverSsh, assert_fits, many_run_dirs


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


def _many(tmp_path: Path) -> tuple[list[tuple[str, str]], dict[str, JobFiles]]:
    """3,000 trials' run directories of realistic length, every 50th finished, the even ones started."""
    dirs = many_run_dirs(tmp_path)
    expected: dict[str, JobFiles] = {}
    for i, d in enumerate(dirs):
        if i % 50 == 0:
            (d / "exit_code").write_text(f"{i % 7}\n")
        if i % 2 == 0:
            (d / "started_at").write_text("1\n")
        expected[str(i)] = (f"{i % 7}" if i % 50 == 0 else None, i % 2 == 0, False, None)
    return [(str(i), str(d)) for i, d in enumerate(dirs)], expected


def test_thousands_of_run_directories_are_read_in_commands_a_login_node_accepts(tmp_path: Path) -> None:
    """Every status poll of a 3,000-trial sweep over SSH: each command within the one-argument
    limit, every directory answered."""
    pairs, expected = _many(tmp_path)
    transport = OverSsh()
    assert read_job_files(transport, pairs) == expected
    assert len(transport.commands) == len(argv_chunks([d for _, d in pairs])) > 1
    for argv in transport.commands:
        assert_fits(argv)
    assert [d for argv in transport.commands for d in argv[4:]] == [d for _, d in pairs]


class FailsAfterFirst(OverSsh):
    """The first command runs; the later ones fail (``answer``) or come back cut short."""

    def __init__(self, answer: CommandResult | None) -> None:
        super().__init__()
        self.answer = answer

    def run(self, argv: Sequence[str], **kwargs: Any) -> CommandResult:
        result = super().run(argv, **kwargs)
        if len(self.commands) == 1:
            return result
        if self.answer is None:
            return replace(result, stdout="".join(result.stdout.splitlines(keepends=True)[:-1]))
        return self.answer


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (CommandResult(("sh",), 255, "", "Connection closed by remote host"), "Connection closed"),
        (None, "expected [0-9]+ line"),
    ],
    ids=["failed", "cut short"],
)
def test_one_command_of_several_failing_is_an_error_for_the_poll_not_fewer_files(
    tmp_path: Path, answer: CommandResult | None, error: str
) -> None:
    pairs, _ = _many(tmp_path)
    with pytest.raises(TransportError, match=error):
        read_job_files(FailsAfterFirst(answer), pairs)
