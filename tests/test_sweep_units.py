"""Sweep pieces that need no cluster: the sweep directory's formats, chunking, the plot's curve."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from hpc_estimator.cli.sweep_plot import best_so_far
from hpc_estimator.sweep import files
from hpc_estimator.sweep.controller import Controller
from hpc_estimator.transport.base import CommandResult


def test_chunks_stay_within_max_array_size() -> None:
    assert files.chunks(0, 1000, 1001) == [(0, 1000)]
    assert files.chunks(0, 2500, 1000) == [(0, 1000), (1000, 1000), (2000, 500)]
    assert files.array_range(20, 4) == "0-19%4" and files.array_range(1, None) == "0"


def test_chunk_trials_are_the_tasks_of_one_array_from_its_offset() -> None:
    records = files.chunk_trials("77", 4, [{"lr": 0.1}, {"lr": 0.2}])
    assert records == [
        {"index": 4, "job_id": "77_0", "parameters": {"lr": 0.1}, "arguments": ["--lr", "0.1"]},
        {"index": 5, "job_id": "77_1", "parameters": {"lr": 0.2}, "arguments": ["--lr", "0.2"]},
    ]
    assert files.parse_lines("".join(files.trial_record(**r) for r in records)) == records


class _Sbatch:
    """Answers each command as ``sbatch --parsable`` would, with the next job id."""

    def __init__(self, *job_ids: str) -> None:
        self.job_ids = iter(job_ids)
        self.calls: list[list[str]] = []

    def run(self, argv: list[str], **kwargs: Any) -> CommandResult:
        self.calls.append(list(argv))
        return CommandResult(tuple(argv), 0, next(self.job_ids) + "\n", "")


def test_the_controller_records_the_trials_it_submits_by_chunk(tmp_path: Path) -> None:
    """Bayesian trials 3..5 with MaxArraySize 2: arrays 501 (trials 3, 4) and 502 (trial 5)."""
    transport = _Sbatch("501", "502")
    ctl = Controller(sweep_dir=tmp_path, transport=transport, plan={"max_array_size": 2})  # type: ignore[arg-type]
    ctl._submit([(3, {"lr": 0.1}), (4, {"lr": 0.2}), (5, {"lr": 0.4})])
    assert [a for call in transport.calls for a in call if "HPCEST_TASK_OFFSET" in a] == [
        "--export=ALL,HPCEST_TASK_OFFSET=3", "--export=ALL,HPCEST_TASK_OFFSET=5"]
    trials = files.parse_lines((tmp_path / files.TRIALS_FILE).read_text())
    assert [(t["index"], t["job_id"], t["arguments"]) for t in trials] == [
        (3, "501_0", ["--lr", "0.1"]), (4, "501_1", ["--lr", "0.2"]), (5, "502_0", ["--lr", "0.4"])]
    assert (tmp_path / files.ARGS_FILE).read_text() == "".join(
        files.args_line(t["index"], t["arguments"]) for t in trials)


def test_argument_lines_round_trip_through_bash() -> None:
    """Line N of trial_args.tsv gives task N exactly its arguments, whatever the characters."""
    argv = ["--act", "it's a $x `y`", "--lr", "0.01", "--nl", "a\nb"]
    line = files.args_line(3, argv)
    assert line.count("\n") == 1 and line.startswith("3\t")
    script = (
        'l=$(awk -F "\\t" -v t=3 \'$1 == t { print "+" substr($0, length($1) + 2); exit }\' "$1"); '
        'eval "a=(${l#+})"; printf "%s\\0" "${a[@]}"'
    )
    import tempfile

    with tempfile.NamedTemporaryFile("w", delete=False) as fh:
        fh.write(files.args_line(2, ["--other"]) + line)
    out = subprocess.run(["bash", "-c", script, "t", fh.name], capture_output=True, text=True, check=True).stdout
    assert out.split("\0")[:-1] == argv


def test_best_so_far_curve() -> None:
    histories = {"0": [0.1, 0.5, 0.4], "1": [0.3], "2": [0.2, 0.2, 0.9, 1.0]}
    assert best_so_far(histories, maximize=True) == [0.3, 0.5, 0.9, 1.0]
    assert best_so_far(histories, maximize=False) == [0.1, 0.1, 0.1, 0.1]
