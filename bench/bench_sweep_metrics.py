"""Reading a finished sweep's metrics: one remote command for all trials vs one per trial.

N trial directories (two ranks, 20 logged values of the primary metric each) are read through
the local transport, as ``HyperDriveRun.get_children_sorted_by_primary_metric`` reads them (one
batched command) and as it did before (``Run.get_metrics`` per trial, the baseline). Printed per
N: remote commands and wall time of each, and what the per-trial way would cost over SSH at
ROUND_TRIP_S a command (a login node's usual latency; the batched read is one such command).
``wait_for_completion(show_output=True)`` reads this once per tick.

    python bench/bench_sweep_metrics.py [N ...]        (default: 10 100 1000)

No cluster needed.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hpc_estimator.backends import close_all, get_backend
from hpc_estimator.runs.experiment import Experiment
from hpc_estimator.runs.sweep_run import HyperDriveRun
from hpc_estimator.runs.workspace import Workspace
from hpc_estimator.runtime.context import JobRunContext
from hpc_estimator.transport.local import LocalTransport

ROUND_TRIP_S = 0.03
VALUES = 20


class Counting(LocalTransport):
    def __init__(self) -> None:
        super().__init__()
        self.commands = 0

    def run(self, argv: Any, *args: Any, **kwargs: Any) -> Any:
        self.commands += 1
        return super().run(argv, *args, **kwargs)


def make_sweep(ws: Workspace, root: Path, n: int) -> HyperDriveRun:
    sweep_id = f"bench_{n}"
    ws.run_store.create_run(
        "bench", "cluster", "slurm", run_id=sweep_id, kind="sweep", status="Completed", remote_dir=str(root),
        properties={"hyperdrive": {"primary_metric_config": {"name": "acc", "goal": "maximize"}}},
    )
    for i in range(n):
        run_dir = root / "trials" / str(i)
        for rank in range(2):
            ctx = JobRunContext(f"{sweep_id}_{i}", run_dir, "bench", rank=rank)
            for step in range(VALUES // 2):
                ctx.log("acc", (i * 7919 % n) / n + step / 1000)
            ctx.close()
        ws.run_store.create_run(
            "bench", "cluster", "slurm", run_id=f"{sweep_id}_{i}", kind="trial", parent_id=sweep_id, name=str(i),
            status="Completed", remote_dir=str(run_dir),
        )
    return HyperDriveRun(Experiment(ws, "bench"), sweep_id)


def measure(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.create(Path(tmp) / "ws", name="bench-metrics")
        ws.add_profile("cluster", {"transport": "local", "workdir": str(Path(tmp) / "work"),
                                   "container_runtime": "none"})
        run = make_sweep(ws, Path(tmp) / "sweep", n)
        transport = Counting()
        get_backend(ws, "cluster").transport = transport  # type: ignore[misc]
        t0 = time.perf_counter()
        rows = run.get_children_sorted_by_primary_metric(top=1)
        batched_s, batched_calls = time.perf_counter() - t0, transport.commands
        transport.commands = 0
        t0 = time.perf_counter()
        per_trial = {child.id: child.get_metrics() for child in run.get_children()}
        per_trial_s, per_trial_calls = time.perf_counter() - t0, transport.commands
        assert rows[0]["run_id"] == max(per_trial, key=lambda k: max(per_trial[k]["acc"]))
        close_all()
        ws.close()
    return {"batched_s": batched_s, "batched_calls": batched_calls,
            "per_trial_s": per_trial_s, "per_trial_calls": per_trial_calls}


def main(sizes: list[int]) -> None:
    print(f"reading every trial's metrics ({VALUES} values a trial, 2 ranks), local transport")
    print(f"  {'N':>5}  {'batched':>18}  {'one per trial':>20}  {'ratio':>6}  {'per trial over SSH':>18}")
    results = {}
    for n in sizes:
        r = measure(n)
        results[n] = r
        ssh = r["per_trial_calls"] * ROUND_TRIP_S
        print(f"  {n:>5}  {r['batched_calls']:>3.0f} cmd {r['batched_s'] * 1000:>8.1f} ms  "
              f"{r['per_trial_calls']:>5.0f} cmd {r['per_trial_s'] * 1000:>8.1f} ms  "
              f"{r['per_trial_s'] / r['batched_s']:>5.1f}x  >= {ssh:>8.1f} s")
    print(json.dumps({str(n): r for n, r in results.items()}))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10, 100, 1000])
