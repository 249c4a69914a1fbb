"""Sweep pieces that need no cluster: the sweep directory's formats, chunking, the plot's curve."""

from __future__ import annotations

import subprocess

from hpc_estimator.cli.sweep_plot import best_so_far
from hpc_estimator.sweep import files


def test_chunks_stay_within_max_array_size() -> None:
    assert files.chunks(0, 1000, 1001) == [(0, 1000)]
    assert files.chunks(0, 2500, 1000) == [(0, 1000), (1000, 1000), (2000, 500)]
    assert files.sbatch_calls(1000, 1001) == 1 and files.sbatch_calls(2500, 1000) == 3
    assert files.array_range(20, 4) == "0-19%4" and files.array_range(1, None) == "0"


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
