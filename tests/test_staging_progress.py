"""Staging reports its progress (the CLI draws a bar from it): packing the archive is the first half,
sending it the second, so a large file never packs silently; nothing is reported when nothing moves."""

from __future__ import annotations

import os
from pathlib import Path

from hpc_estimator.snapshot.staging import build_manifest, stage
from hpc_estimator.transport.local import LocalTransport


def test_progress_covers_packing_and_sending_and_is_silent_when_nothing_is_sent(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "big.bin").write_bytes(os.urandom(3 << 20))  # incompressible: the archive is > 1 chunk
    (src / "train.py").write_text("print('hi')\n")
    calls: list[tuple[int, int]] = []
    transport = LocalTransport()
    first = stage(transport, build_manifest(src), src, str(tmp_path / "run1" / "src"), str(tmp_path / "cas"),
                  progress=lambda done, total: calls.append((done, total)))
    raw = (3 << 20) + len("print('hi')\n")
    assert len(calls) >= 3 and {total for _, total in calls} == {2 * raw}
    assert calls[-1][0] == 2 * raw and first.bytes_sent > 3 << 20
    assert any(done <= raw for done, _ in calls[:-1])  # packing reported before sending began
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    calls.clear()
    second = stage(transport, build_manifest(src), src, str(tmp_path / "run2" / "src"), str(tmp_path / "cas"),
                   progress=lambda done, total: calls.append((done, total)))
    assert second.files_sent == 0 and calls == []
