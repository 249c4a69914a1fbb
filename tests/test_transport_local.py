"""LocalTransport: real subprocesses and real files on this machine."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from hpc_estimator.errors import TransportError
from hpc_estimator.transport import LocalTransport, RemoteFileNotFoundError

HOSTILE = [
    "plain",
    "with space",
    "it's \"quoted\"",
    "$(touch /tmp/hpcest-should-not-exist)",
    "`id`",
    "semi;colon && pipe | amp &",
    "new\nline",
    "tab\there",
    "ünïcødé ✓ 日本",
    "*",
    "~",
    "",
    "--not-an-option",
]


def test_argv_arrives_byte_identical_without_a_shell():
    """Each argv element reaches the program unchanged: no shell expands, splits or globs it."""
    t = LocalTransport()
    result = t.run(["printf", "%s\\0", *HOSTILE])
    assert result.ok
    assert result.stdout.split("\0")[:-1] == HOSTILE
    assert not os.path.exists("/tmp/hpcest-should-not-exist")
    assert result.argv == ("printf", "%s\\0", *HOSTILE)


def test_exit_status_and_stderr_are_reported():
    t = LocalTransport()
    result = t.run(["sh", "-c", "echo out; echo err >&2; exit 7"])
    assert (result.returncode, result.stdout, result.stderr, result.ok) == (7, "out\n", "err\n", False)


def test_stdin_is_fed_and_defaults_to_empty():
    """Without stdin, a command reading stdin must see EOF at once instead of hanging on ours."""
    t = LocalTransport()
    assert t.run(["cat"], stdin=b"line1\nline2\n").stdout == "line1\nline2\n"
    assert t.run(["cat"]).stdout == ""


def test_env_replaces_the_environment(monkeypatch):
    """``env`` lets the caller point Slurm clients at a cluster without touching os.environ."""
    monkeypatch.setenv("HPCEST_OUTER", "outer")
    default = LocalTransport().run(["sh", "-c", 'printf %s "$HPCEST_OUTER"'])
    assert default.stdout == "outer"
    custom = LocalTransport(env={"PATH": os.environ["PATH"], "SLURM_CONF": "/x/slurm.conf"})
    out = custom.run(["sh", "-c", 'printf "%s|%s" "$SLURM_CONF" "$HPCEST_OUTER"']).stdout
    assert out == "/x/slurm.conf|"


def test_timeout_kills_and_raises():
    t = LocalTransport()
    with pytest.raises(TransportError, match=r"timed out after 0\.5 s"):
        t.run(["sleep", "30"], timeout=0.5)


def test_missing_program_is_a_transport_error_naming_it():
    with pytest.raises(TransportError, match="command not found: 'hpcest-no-such-tool'"):
        LocalTransport().run(["hpcest-no-such-tool"])


def test_large_output_is_not_truncated():
    result = LocalTransport().run(["head", "-c", str(3 * 1024 * 1024), "/dev/zero"])
    assert len(result.stdout) == 3 * 1024 * 1024


def test_put_get_create_parent_directories(tmp_path):
    src = tmp_path / "src.txt"
    src.write_text("payload ✓")
    src.chmod(0o750)
    t = LocalTransport()
    t.put(src, str(tmp_path / "remote" / "a" / "b" / "dst.txt"))
    assert (tmp_path / "remote/a/b/dst.txt").read_text() == "payload ✓"
    assert stat.S_IMODE((tmp_path / "remote/a/b/dst.txt").stat().st_mode) == 0o750
    t.get(str(tmp_path / "remote/a/b/dst.txt"), tmp_path / "back" / "x" / "got.txt")
    assert (tmp_path / "back/x/got.txt").read_text() == "payload ✓"


def test_missing_remote_file_is_file_not_found(tmp_path):
    """A job's exit-code file being absent is a normal answer callers catch as FileNotFoundError."""
    t = LocalTransport()
    with pytest.raises(FileNotFoundError):
        t.read_text(str(tmp_path / "nope"))
    with pytest.raises(RemoteFileNotFoundError):
        t.get(str(tmp_path / "nope"), tmp_path / "x")


def test_write_text_sets_mode_and_replaces_atomically(tmp_path):
    """Readers polling the file see the old or the new content, never a truncated one."""
    t = LocalTransport()
    target = tmp_path / "deep" / "job.sh"
    t.write_text(str(target), "#!/bin/sh\necho 1\n", mode=0o755)
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    old, new = "A" * 200_000, "B" * 300_000
    t.write_text(str(target), old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644

    seen: set[str] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            seen.add(target.read_text())

    th = threading.Thread(target=reader)
    th.start()
    try:
        for _ in range(30):
            t.write_text(str(target), new)
            t.write_text(str(target), old)
    finally:
        stop.set()
        th.join()
    assert seen <= {old, new}
    assert [p.name for p in target.parent.iterdir()] == ["job.sh"]  # no temp files left behind


def test_tilde_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    t = LocalTransport()
    t.write_text("~/hpcest/run1/x.txt", "hello")
    assert (tmp_path / "hpcest/run1/x.txt").read_text() == "hello"
    assert t.read_text("~/hpcest/run1/x.txt") == "hello"
    t.put(tmp_path / "hpcest/run1/x.txt", "~/copy/y.txt")
    assert Path(tmp_path / "copy/y.txt").exists()
