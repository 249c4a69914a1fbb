"""The pure pieces behind issue 9's Slurm items: queue reasons, cluster facts, srun's task report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hpc_estimator.job.spec import JobSpec, ResourceSpec, SchedulerSpec
from hpc_estimator.runs.cluster_facts import (
    ClusterFacts,
    PartitionFacts,
    facts_from_check,
    fit_warnings,
    load_facts,
    save_facts,
    slurm_time_seconds,
)
from hpc_estimator.runs.queue_reasons import describe, explain, find_reason
from hpc_estimator.slurm.task_exits import failed_ranks, task_exits

# What srun printed on the real local cluster for a 2x2 step whose task 3 exited 3.
SRUN_REPORT = """\
srun: error: node2: task 3: Exited with exit code 3
srun: launch/slurm: _step_signal: Terminating StepId=1.0
srun: error: node2: task 2: Terminated
srun: error: node1: tasks 0-1: Terminated
srun: Force Terminated StepId=1.0
"""


def test_srun_report_names_the_failed_task_and_the_stopped_ones() -> None:
    exits = task_exits(SRUN_REPORT)
    assert [(e.rank, e.host, e.exit_code, e.signal) for e in exits] == [
        (3, "node2", 3, None), (2, "node2", None, "Terminated"), (0, "node1", None, "Terminated"),
        (1, "node1", None, "Terminated"),
    ]
    assert [e.rank for e in failed_ranks(SRUN_REPORT)] == [3]


def test_a_signal_that_is_not_the_stop_counts_as_the_failure() -> None:
    text = "srun: error: n1: task 1: Segmentation fault (core dumped)\nsrun: error: n1: task 0: Killed\n"
    assert [(e.rank, e.signal) for e in failed_ranks(text)] == [(1, "Segmentation fault (core dumped)")]
    assert [e.rank for e in failed_ranks("srun: error: n1: tasks 0,2-3: Killed\n")] == [0, 2, 3]
    assert failed_ranks("hello\nno srun lines\n") == []


@pytest.mark.parametrize(("detail", "never"), [
    ("PartitionNodeLimit", True), ("PENDING: PartitionTimeLimit", True), ("(QOSMaxNodePerJobLimit)", True),
    ("Resources", False), ("Priority", False), ("PartitionConfig", False), (None, None), ("Whatever", None),
])
def test_queue_reasons(detail: str | None, never: bool | None) -> None:
    reason = find_reason(detail)
    assert (reason.never_starts if reason else None) == never
    text = explain(detail, run_id="r1", cluster="c")
    assert (text is not None) == bool(never)
    if never:
        assert text is not None and "hpcest cancel r1" in text and "will not start as submitted" in text
    if reason is not None:
        assert describe(detail) == reason.meaning


def test_every_never_starting_reason_has_a_fix() -> None:
    from hpc_estimator.runs import queue_reasons

    for reason in queue_reasons._TABLE.values():
        assert bool(reason.fix) == reason.never_starts, reason.code


@pytest.mark.parametrize(("text", "seconds"), [
    ("infinite", None), ("UNLIMITED", None), ("30", 1800), ("30:00", 1800), ("4:00:00", 14400),
    ("1-00:00:00", 86400), ("2-12", 216000), ("1-00:30", 88200),
])
def test_slurm_time_limits(text: str, seconds: int | None) -> None:
    assert slurm_time_seconds(text) == seconds


FACTS = ClusterFacts("c", "2026-01-02T03:04:05.000000Z", {
    "debug": PartitionFacts("debug", True, nodes=2, cpus_per_node=4, gpus_per_node=0, time_limit="1:00:00"),
    "gpu": PartitionFacts("gpu", False, nodes=8, cpus_per_node=32, gpus_per_node=4, time_limit="infinite"),
})


def _spec(partition: str | None = None, **resources: int) -> JobSpec:
    time_limit = resources.pop("time", None)
    return JobSpec(name="r", argv=("python", "t.py"), run_dir="/w/r", resources=ResourceSpec(**resources),
                   scheduler=SchedulerSpec(partition=partition, time_limit_s=time_limit))


def test_fit_warnings_for_each_resource() -> None:
    assert fit_warnings(_spec(nodes=2, tasks_per_node=4), FACTS) == []
    assert fit_warnings(_spec(nodes=3), FACTS)[0].startswith("the job asks for 3 nodes but partition 'debug' has 2")
    (cpus,) = fit_warnings(_spec(tasks_per_node=2, cpus_per_task=3), FACTS)
    assert "2 rank(s) x 3 CPU(s) = 6 CPUs on one node" in cpus
    (gpus,) = fit_warnings(_spec(gpus_per_node=2), FACTS)
    assert "asks for 2 GPU(s) per node but the nodes of partition 'debug' have no GPUs" in gpus
    assert "choose a GPU partition" in gpus
    assert fit_warnings(_spec("gpu", gpus_per_node=4, nodes=8), FACTS) == []
    (limit,) = fit_warnings(_spec(time=7200), FACTS)
    assert "time limit (7200 s) is longer than partition 'debug' allows (1:00:00)" in limit
    (missing,) = fit_warnings(_spec("nosuch"), FACTS)
    assert "partition 'nosuch' does not exist on cluster 'c'" in missing and "it has: debug, gpu" in missing
    assert fit_warnings(_spec(nodes=99), None) == []


def test_facts_round_trip_through_the_workspace_file(tmp_path: Path) -> None:
    report = {"partitions": {"debug": {"default": True, "available": "up", "time_limit": "infinite",
                                       "nodes": ["node1", "node2"], "gpus_per_node": 4, "cpus_per_node": 4}},
              "max_array_size": 1001}
    path = save_facts(tmp_path, facts_from_check("c", report))
    assert path == tmp_path / "clusters" / "c.json"
    loaded = load_facts(tmp_path, "c")
    assert loaded is not None and loaded.partition(None) == loaded.partitions["debug"]
    assert loaded.partitions["debug"].nodes == 2 and loaded.max_array_size == 1001
    assert json.loads(path.read_text())["format"] == 1
    path.write_text("{not json")
    assert load_facts(tmp_path, "c") is None  # a broken cache only costs the warning
    assert load_facts(tmp_path, "never-checked") is None
