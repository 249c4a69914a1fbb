"""Reading what jobs logged from many run directories in one remote command: the command and its parser.

Protects: ``metrics_argv`` prints each directory's rank files between separator lines, ending with
an end line; ``parse_metrics`` gives each directory its own records (a torn line skipped, one
directory's records never in another's, a directory without metrics empty) and refuses an answer
cut short or not of that shape (what was logged is then unknown, not nothing); ``fetch_events_of``
asks once, with the query time limit (more only when the directories' names would pass the
remote command's argument limit: 3,000 trials' directories are read in commands a login node
accepts over SSH, all answered, and one of those commands failing is an error, not fewer runs),
and asks nothing for no directories.

RECORDED is what ``metrics_argv`` printed under dash for three directories: one with a metric and
a tag; one, given as ``~/runs/b 1``, with two ranks, rank 0 killed mid-write; one with no metrics.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hpc_estimator.backends.metrics_files import (
    fetch_events_of,
    fetch_metrics_of,
    metrics_argv,
    parse_metrics,
)
from hpc_estimator.backends.status import QUERY_TIMEOUT_S
from hpc_estimator.errors import TransportError
from hpc_estimator.runtime.context import JobRunContext, merge_metrics, merge_tags
from hpc_estimator.transport.base import CommandResult
from hpc_estimator.transport.local import LocalTransport
from hpc_estimator.util.argv_chunks import argv_chunks
from tests.argv_limits import OverSsh, assert_fits, many_run_dirs

RECORDED = (
    "\x1ehpcest-metrics\n"
    '{"t": 1796146543.210235, "rank": 0, "seq": 0, "kind": "metric", "type": "scalar", "name": "acc", '
    '"value": 0.5, "description": "", "step": null}\n'
    '{"t": 1796146543.2107487, "rank": 0, "seq": 1, "kind": "tag", "name": "t", "value": "v"}\n'
    "\x1ehpcest-metrics\n"
    '{"t": 1796146543.210845, "rank": 0, "seq": 0, "kind": "metric", "type": "scalar", "name": "acc", '
    '"value": 0.1, "description": "", "step": null}\n'
    '{"t": 9e99, "kind": "metric", "na\n'
    '{"t": 1796146543.2112021, "rank": 1, "seq": 0, "kind": "metric", "type": "scalar", "name": "acc", '
    '"value": 0.2, "description": "", "step": null}\n'
    "\x1ehpcest-metrics\n"
    "\x1ehpcest-end\n"
)


class Answering:
    """Answers every command with one canned result, recording the commands and their options."""

    def __init__(self, result: CommandResult) -> None:
        self.result = result
        self.calls: list[tuple[list[str], dict[str, Any]]] = []

    def run(self, argv: Any, **kwargs: Any) -> CommandResult:
        self.calls.append((list(argv), kwargs))
        return self.result


def test_each_directory_gets_its_own_records_from_the_recorded_answer() -> None:
    a, b, none = parse_metrics(3, RECORDED)
    assert merge_metrics(a) == {"acc": 0.5} and merge_tags(a) == {"t": "v"}
    assert merge_metrics(b) == {"acc": [0.1, 0.2]}  # both ranks, in logging order; the torn line skipped
    assert none == []


@pytest.mark.parametrize(
    "answer",
    [
        RECORDED[: RECORDED.index("\x1ehpcest-end")],  # cut before the end line
        RECORDED[: RECORDED.rindex("\x1ehpcest-metrics")] + "\x1ehpcest-end\n",  # a directory short
        RECORDED + "more\n",  # something after the end line
        "",
    ],
    ids=["no end line", "a directory short", "after the end", "empty"],
)
def test_an_answer_not_of_that_shape_is_an_error_not_no_metrics(answer: str) -> None:
    with pytest.raises(TransportError, match="cannot read the metrics of 3 run"):
        parse_metrics(3, answer)


def test_output_before_the_first_directory_is_not_a_record() -> None:
    noisy = '{"kind": "metric", "type": "scalar", "name": "acc", "value": 9}\n' + RECORDED  # a login script's
    assert merge_metrics(parse_metrics(3, noisy)[0]) == {"acc": 0.5}


def test_the_command_run_for_real_is_read_back_per_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    dirs = [tmp_path / "runs" / f"trial {i} $(x)" for i in range(3)]
    for i, run_dir in enumerate(dirs):
        for rank in range(2):
            ctx = JobRunContext("t", run_dir, "e", rank=rank)
            ctx.log("acc", i + rank / 10)
            ctx.close()
    with open(dirs[0] / "metrics" / "1.jsonl", "a") as f:
        f.write('{"t": 9e99, "kind": "metric", "na')  # no newline at the end
    pairs = [("a", str(dirs[0])), ("b", "~/runs/trial 1 $(x)"), ("c", str(dirs[2])), ("gone", str(tmp_path / "no"))]
    expected = {"a": {"acc": [0, 0.1]}, "b": {"acc": [1, 1.1]}, "c": {"acc": [2, 2.1]}, "gone": {}}
    assert fetch_metrics_of(LocalTransport(), pairs) == expected
    argv = metrics_argv([d for _, d in pairs])
    assert argv[4:] == [d for _, d in pairs]  # passed as arguments, never as code
    for shell in [s for s in ("dash", "bash") if shutil.which(s)]:  # a login node's sh is either
        out = subprocess.run([shell, *argv[1:]], capture_output=True, text=True, check=True).stdout
        assert [merge_metrics(e) for e in parse_metrics(4, out)] == list(expected.values()), shell


def test_thousands_of_directories_are_read_in_commands_a_login_node_accepts(tmp_path: Path) -> None:
    """3,000 trials' directories of realistic length (past 128 KiB together), run as sshd runs a
    command: every directory answered, by as few commands as the argument limit allows."""
    dirs = many_run_dirs(tmp_path)
    for i, d in enumerate(dirs[::10]):  # every tenth trial logged something
        (d / "metrics").mkdir()
        (d / "metrics" / "0.jsonl").write_text(
            json.dumps({"t": 1.0, "rank": 0, "seq": 0, "kind": "metric", "type": "scalar", "name": "acc",
                        "value": i, "description": "", "step": None}) + "\n"
        )
    pairs = [(str(i), str(d)) for i, d in enumerate(dirs)]
    transport = OverSsh()
    metrics = fetch_metrics_of(transport, pairs)
    assert metrics == {str(i): ({"acc": i // 10} if i % 10 == 0 else {}) for i in range(len(dirs))}
    assert len(transport.commands) == len(argv_chunks([d for _, d in pairs])) > 1
    for argv in transport.commands:
        assert_fits(argv)
    assert [d for argv in transport.commands for d in argv[4:]] == [d for _, d in pairs]


def test_a_failed_command_among_several_is_an_error_not_fewer_runs(tmp_path: Path) -> None:
    class SecondFails(OverSsh):
        def run(self, argv, **kwargs):  # type: ignore[no-untyped-def, override]
            if self.commands:
                self.commands.append(list(argv))
                return CommandResult(tuple(argv), 255, "", "Connection closed by remote host")
            return super().run(argv, **kwargs)

    pairs = [(str(i), str(d)) for i, d in enumerate(many_run_dirs(tmp_path))]
    with pytest.raises(TransportError, match=r"cannot read the metrics of [0-9]+ runs: Connection closed"):
        fetch_metrics_of(SecondFails(), pairs)


def test_one_command_with_the_query_time_limit_and_none_for_no_directories() -> None:
    transport = Answering(CommandResult(("sh",), 0, RECORDED, ""))
    events = fetch_events_of(transport, [("a", "/w/a"), ("b", "~/runs/b 1"), ("c", "/w/c")])  # type: ignore[arg-type]
    assert list(events) == ["a", "b", "c"] and events["c"] == []
    ((argv, kwargs),) = transport.calls
    assert argv == metrics_argv(["/w/a", "~/runs/b 1", "/w/c"]) and kwargs["timeout"] == QUERY_TIMEOUT_S
    assert fetch_events_of(transport, []) == {}  # type: ignore[arg-type]
    assert len(transport.calls) == 1


def test_a_failed_read_is_an_error() -> None:
    transport = Answering(CommandResult(("sh",), 255, "", "Connection closed by remote host"))
    with pytest.raises(TransportError, match="cannot read the metrics of 2 runs: Connection closed"):
        fetch_events_of(transport, [("a", "/w/a"), ("b", "/w/b")])  # type: ignore[arg-type]
