"""Cutting a list of command arguments into commands that Linux accepts (``util.argv_chunks``).

Protects: items are kept in order and none is lost or repeated; a chunk takes at most the budget,
measured as the SSH transport sends the arguments (quoted, separated), and is cut exactly where one
more item would pass it; no items give no command; an item that alone passes the budget is refused
with a message saying how big it is and what the limit is (no command could carry it); and every
command built from a chunk keeps its fixed part (script, options) small enough that the budget
plus that part, a profile's environment and the login-shell wrapper stay under 128 KiB.
"""

from __future__ import annotations

import itertools

import pytest

from hpc_estimator import slurm
from hpc_estimator.backends.job_files import job_files_argv
from hpc_estimator.backends.metrics_files import metrics_argv
from hpc_estimator.backends.slurm_graph import cancel_argv
from hpc_estimator.transport.ssh import command_line
from hpc_estimator.util.argv_chunks import ARGV_BUDGET, MAX_ARG_STRLEN, arg_size, argv_chunks


def test_a_chunk_is_cut_exactly_where_one_more_item_would_pass_the_budget() -> None:
    items = ["a" * 9, "b" * 9, "c" * 9, "d" * 9, "e" * 9]  # 10 bytes each with the separator
    assert argv_chunks(items, budget=30) == [items[:3], items[3:]]
    assert argv_chunks(items, budget=29) == [items[:2], items[2:4], items[4:]]
    assert argv_chunks(items, budget=50) == [items]
    assert argv_chunks(items, budget=10) == [[i] for i in items]  # an item exactly the budget fits alone


def test_order_is_kept_and_nothing_is_lost_or_repeated() -> None:
    items = [f"/w/runs/{'x' * (i % 37)}/{i}" for i in range(5000)]
    chunks = argv_chunks(items, budget=4096)
    assert [i for chunk in chunks for i in chunk] == items
    assert all(sum(arg_size(i) for i in chunk) <= 4096 for chunk in chunks)
    # each cut is where the next item would not have fitted
    for chunk, after in itertools.pairwise(chunks):
        assert sum(arg_size(i) for i in chunk) + arg_size(after[0]) > 4096


def test_no_items_give_no_command() -> None:
    assert argv_chunks([]) == []
    assert argv_chunks([], lambda pair: pair) == []


def test_the_size_is_what_the_ssh_transport_sends_quoting_included() -> None:
    assert arg_size("/w/runs/1") == len("/w/runs/1") + 1  # no quoting needed
    assert arg_size("~/it's here") == len(command_line(["~/it's here"])) + 1
    assert arg_size("/w/ä") == len("'/w/ä'".encode()) + 1 == 8  # quoted, and bytes, not characters
    assert arg_size("") == 3  # ''


def test_the_arguments_of_an_item_are_all_counted() -> None:
    pairs = [(f"key{i}", "/w/" + "d" * 16) for i in range(6)]  # 20 bytes of argument each
    assert argv_chunks(pairs, lambda pair: (pair[1],), budget=40) == [pairs[0:2], pairs[2:4], pairs[4:6]]
    assert argv_chunks(pairs, lambda pair: pair, budget=40) == [[p] for p in pairs]  # the keys count too


def test_an_item_larger_than_the_budget_is_refused_with_its_size_and_the_limit() -> None:
    with pytest.raises(ValueError, match=r"an item of 101 bytes cannot be sent in one command.* 100 bytes"):
        argv_chunks(["ok", "x" * 100], budget=100)
    with pytest.raises(ValueError, match=rf"{MAX_ARG_STRLEN} bytes\): '/w/xxx"):
        argv_chunks(["/w/" + "x" * ARGV_BUDGET])


def test_the_fixed_part_of_every_chunked_command_leaves_room_under_the_one_argument_limit() -> None:
    """The budget is for the listed items; what each command adds to them must fit the headroom,
    with room left for a profile's ``env K=V`` prefix and the login-shell wrapper."""
    env = {"SLURM_CONF": "/etc/slurm/" + "c" * 200, "PATH": "/opt/slurm/bin:" + "p" * 1000}
    fixed = [
        metrics_argv([]),
        job_files_argv([]),
        cancel_argv([], [], []),
        slurm.recorded_ids_argv([]),
        slurm.submission_lookup_argv([]),
        slurm.squeue_argv(["1"]),
        slurm.sacct_argv(["1"]),
        slurm.scancel_argv(["1"]),
    ]
    for argv in fixed:
        line = command_line(argv, env=env, login=True)
        assert len(line.encode()) + ARGV_BUDGET + 1 <= MAX_ARG_STRLEN - 16 * 1024, argv[:3]
