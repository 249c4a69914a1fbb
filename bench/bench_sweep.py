"""HyperDrive sweeps on a real Slurm cluster: one job array vs one job per trial, in the same run.

    python bench/bench_sweep.py [N ...]        (default: 10 100 1000)

Starts its own 1-node local cluster (root and slurm-wlm needed; see scripts/test.sh) with 128
CPUs (more than the machine has: Slurm is told to trust the count) and prints:

1. Submission of an N-trial Random sweep (``Experiment.submit(HyperDriveConfig)``) against N
   separate ``Experiment.submit(ScriptRunConfig)`` with the same sampled arguments: sbatch calls,
   all remote commands, wall time, and the client's own time (wall minus time inside remote
   commands: drawing, compiling, rendering, recording). Jobs go to a partition set DOWN, so they
   queue and never run; everything is cancelled afterwards. The largest N is also submitted with a
   profile MaxArraySize of N/4, to show the chunking (ceil(N / MaxArraySize) arrays).
2. One status poll of each: scheduler calls (squeue) and all remote commands, for the sweep
   (``HyperDriveRun.get_status``), for the N separate runs refreshed together (``hpcest runs``
   does this) and one by one (``Run.get_status`` per run).
3. Drawing N parameter sets (Random, Grid) against a bare ``random.Random`` loop drawing as many
   values (the floor), and Bayesian ask + tell per trial (Optuna TPE, journal file) against
   Random's per-trial draw.
4. The controller's cost per tick with 100 running trials that log every second: its own CPU,
   its children's CPU (squeue, sh), wall time, against one bare squeue over the same array, and
   as a share of the default 2 s tick.
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpc_estimator import (
    Experiment,
    GridParameterSampling,
    HyperDriveConfig,
    PrimaryMetricGoal,
    RandomParameterSampling,
    ScriptRunConfig,
    Workspace,
    choice,
    loguniform,
    uniform,
)
from hpc_estimator.backends import close_all, get_backend
from hpc_estimator.runs.run import refresh_status
from hpc_estimator.testing import local_cluster as lc
from hpc_estimator.testing.state_dir import new_state_dir, remove_state_dir
from hpc_estimator.transport.local import LocalTransport
from hpc_estimator.v1.hyperdrive.draw import plan_parameters, trial_arguments

TRAIN = """\
import argparse, time
from azureml.core import Run
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.1)
p.add_argument("--layers", type=int, default=1)
p.add_argument("--epochs", type=int, default=600)  # outlives the measurement; cancelled after
a, _ = p.parse_known_args()
run = Run.get_context()
for epoch in range(1, a.epochs + 1):
    run.log("accuracy", a.lr * a.layers * epoch / a.epochs)
    time.sleep(1)
"""

SPACE = {"lr": loguniform(-6, 0), "layers": choice(1, 2, 3, 4), "dropout": uniform(0.0, 0.5)}


@dataclass
class Counting:
    """A transport that counts the remote commands it runs (by program) and the time spent in them."""

    inner: Any
    calls: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def run(self, argv: list[str], *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return self.inner.run(argv, *args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - t0
            self.calls[argv[0]] += 1

    def reset(self) -> None:
        self.calls.clear()
        self.seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def counting(ws: Workspace, target: str) -> Counting:
    backend = get_backend(ws, target)
    if not isinstance(backend.transport, Counting):
        backend.transport = Counting(backend.transport)  # type: ignore[attr-defined]
    return backend.transport  # type: ignore[return-value]


def scontrol(*args: str, env: dict[str, str]) -> None:
    subprocess.run(["scontrol", *args], env=env, check=True, capture_output=True)


def cancel_partition(partition: str, env: dict[str, str]) -> None:
    subprocess.run(["scancel", f"--partition={partition}"], env=env, check=False, capture_output=True)


def quiet_submit(ws: Workspace, experiment: str, config: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Experiment(ws, experiment).submit(config)


def sweep_config(src: Path, target: str, n: int, **kwargs: Any) -> HyperDriveConfig:
    run_config = ScriptRunConfig(source_directory=str(src), script="train.py", compute_target=target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return HyperDriveConfig(
            run_config=run_config,
            hyperparameter_sampling=RandomParameterSampling(SPACE, properties={"seed": 7}),
            primary_metric_name="accuracy",
            primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
            max_total_runs=n,
            max_concurrent_runs=kwargs.pop("max_concurrent_runs", n),
            **kwargs,
        )


def submission(ws: Workspace, src: Path, n: int, target: str) -> dict[str, Any]:
    transport = counting(ws, target)
    config = sweep_config(src, target, n)
    transport.reset()
    t0 = time.perf_counter()
    sweep = quiet_submit(ws, f"sweep{n}", config)
    sweep_wall = time.perf_counter() - t0
    sweep_calls, sweep_remote = dict(transport.calls), transport.seconds

    params = plan_parameters("RANDOM", config._resolved_sweep().parameter_space, n, 7)
    transport.reset()
    runs = []
    t0 = time.perf_counter()
    for p in params:
        config = ScriptRunConfig(source_directory=str(src), script="train.py", arguments=trial_arguments(p),
                                 compute_target=target)
        runs.append(quiet_submit(ws, f"single{n}", config))
    single_wall = time.perf_counter() - t0
    single_calls, single_remote = dict(transport.calls), transport.seconds
    return {
        "sweep": sweep, "runs": runs,
        "sweep_sbatch": sweep_calls.get("sbatch", 0), "sweep_remote_calls": sum(sweep_calls.values()),
        "sweep_wall": sweep_wall, "sweep_own": sweep_wall - sweep_remote,
        "single_sbatch": single_calls.get("sbatch", 0), "single_remote_calls": sum(single_calls.values()),
        "single_wall": single_wall, "single_own": single_wall - single_remote,
    }


def polls(ws: Workspace, target: str, sweep: Any, runs: list[Any]) -> dict[str, Counter[str]]:
    transport = counting(ws, target)
    out: dict[str, Counter[str]] = {}
    transport.reset()
    sweep.get_status()
    out["sweep"] = Counter(transport.calls)
    transport.reset()
    refresh_status(ws, [r.record for r in runs])
    out["together"] = Counter(transport.calls)
    transport.reset()
    for r in runs:
        r.get_status()
    out["one_by_one"] = Counter(transport.calls)
    return out


def drawing(sizes: list[int]) -> None:
    config = sweep_config(Path("."), "bench", 1)
    space = config._resolved_sweep().parameter_space
    grid = GridParameterSampling({"lr": choice(*range(100)), "layers": choice(*range(100)), "d": choice(1, 2)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grid_space = HyperDriveConfig(
            run_config=ScriptRunConfig(source_directory=".", script="t.py", compute_target="bench"),
            hyperparameter_sampling=grid,
            primary_metric_name="m", primary_metric_goal=PrimaryMetricGoal.MAXIMIZE, max_total_runs=20000,
        )._resolved_sweep().parameter_space
    print("\n3. drawing N parameter sets (3 parameters; median of 15)")
    print(f"  {'N':>6}  {'Random':>10}  {'bare random.Random':>18}  {'ratio':>6}  {'Grid':>10}")
    for n in [*sizes, 10 * max(sizes)]:
        t_random = median_time(plan_parameters, "RANDOM", space, n, 7)
        t_bare = median_time(bare_draw, n)
        t_grid = median_time(plan_parameters, "GRID", grid_space, n, 7)
        print(f"  {n:>6}  {fmt(t_random):>10}  {fmt(t_bare):>18}  {t_random / t_bare:>5.1f}x  {fmt(t_grid):>10}")
    bayes_per_trial(space)


def bare_draw(n: int) -> list[tuple[float, int, float]]:
    """The floor: as many values from one seeded random.Random, nothing else."""
    r = random.Random(7)
    return [(r.uniform(-6, 0), r.choice((1, 2, 3, 4)), r.uniform(0, 0.5)) for _ in range(n)]


def bayes_per_trial(space: dict[str, Any], n: int = 100) -> None:
    from hpc_estimator.sweep.bayes import BayesianSearch

    space_b = {k: v for k, v in space.items() if v[0] in ("choice", "uniform")}
    with tempfile.TemporaryDirectory() as tmp:
        plan = {"sweep_id": "bench", "seed": 7, "primary_metric_goal": "maximize", "parameter_space": space_b}
        search = BayesianSearch.open(Path(tmp), plan)
        times = []
        for k in range(n):
            t0 = time.perf_counter()
            params = search.ask(k)
            search.tell(k, float(params.get("dropout", 0.0)))
            times.append(time.perf_counter() - t0)
    t_random = median_time(plan_parameters, "RANDOM", space, 1, 7)
    first, last = statistics.median(times[:10]), statistics.median(times[-10:])
    print(f"  Bayesian (Optuna TPE, journal file) ask+tell per trial: trials 1-10 {fmt(first)}, "
          f"{n - 9}-{n} {fmt(last)}; Random per trial {fmt(t_random)} ({last / t_random:.0f}x)")


def controller_ticks(ws: Workspace, src: Path, target: str, env: dict[str, str], ticks: int = 10) -> None:
    from hpc_estimator.sweep.controller import Controller

    n = 100
    sweep = quiet_submit(ws, "ctl", sweep_config(src, target, n))
    array = sweep.record.properties["array_jobs"][0]
    deadline = time.time() + 180
    while time.time() < deadline:
        out = subprocess.run(["squeue", "-h", "--array", f"--jobs={array}", "--states=RUNNING", "-o", "%i"],
                             env=env, capture_output=True, text=True).stdout
        started = sum(1 for d in (Path(sweep.record.remote_dir) / "trials").glob("*/metrics/0.jsonl"))
        if len(out.split()) >= n and started >= n:
            break
        time.sleep(1)
    else:
        print(f"\n4. controller: only {len(out.split())} of {n} trials got running in 180 s; skipped")
        return
    ctl = Controller.load(sweep.record.remote_dir, LocalTransport())
    # Evaluate a Bandit policy every tick, with slack no trial falls outside: the cost without the stops.
    ctl.plan["policy"] = {"name": "Bandit", "evaluation_interval": 1, "delay_evaluation": 1, "slack_amount": 1e9}
    own, child, wall = [], [], []
    for _ in range(ticks):
        c0, k0 = time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        ctl.tick()
        wall.append(time.perf_counter() - t0)
        k1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        own.append(time.process_time() - c0)
        child.append((k1.ru_utime + k1.ru_stime) - (k0.ru_utime + k0.ru_stime))
        time.sleep(1)
    state = json.loads((Path(sweep.record.remote_dir) / "controller.json").read_text())
    bare_wall, bare_cpu = [], []
    for _ in range(ticks):
        k0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(["squeue", "--noheader", "--array", "--states=all", f"--jobs={array}"], env=env,
                       capture_output=True, check=True)
        bare_wall.append(time.perf_counter() - t0)
        k1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        bare_cpu.append((k1.ru_utime + k1.ru_stime) - (k0.ru_utime + k0.ru_stime))
    m_own, m_child, m_wall = statistics.median(own), statistics.median(child), statistics.median(wall)
    print(f"\n4. controller tick with {state['running']} running trials logging every second "
          f"(median of {ticks} ticks; Bandit evaluated every tick)")
    print(f"  controller CPU per tick: {fmt(m_own)} own + {fmt(m_child)} in squeue/sh = {fmt(m_own + m_child)}; "
          f"wall {fmt(m_wall)}")
    print(f"  one bare squeue over the array: CPU {fmt(statistics.median(bare_cpu))}, "
          f"wall {fmt(statistics.median(bare_wall))}; tick / bare squeue wall: "
          f"{m_wall / statistics.median(bare_wall):.1f}x")
    print(f"  share of the default 2 s tick: CPU {100 * (m_own + m_child) / 2:.1f}%, wall {100 * m_wall / 2:.1f}%")
    subprocess.run(["scancel", array], env=env, check=False)


def median_time(fn: Any, *args: Any, repeat: int = 15) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def fmt(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} us"


def main(sizes: list[int]) -> None:
    problems = lc.missing_requirements(ssh=False)
    if problems:
        sys.exit("cannot start a local cluster: " + "; ".join(problems))
    state = new_state_dir("hpcest-bench-")
    cluster = lc.start(state, nodes=1, cpus_per_node=128, gpus_per_node=0, ssh=False,
                       max_array_size=max(1001, *sizes))
    env = cluster.client_env()
    work = Path(tempfile.mkdtemp(prefix="hpcest-bench-ws-"))
    os.environ.update(env)  # the controller part runs Slurm commands from this process
    try:
        ws = Workspace.create(work / "ws")
        common = {"transport": "local", "workdir": str(work / "cluster"), "container_runtime": "none",
                  "python": sys.executable, "client_env": {"SLURM_CONF": str(cluster.slurm_conf)}}
        queued = cluster.lowprio_partition or cluster.partition
        ws.add_profile("queued", {**common, "partition": queued})
        ws.add_profile("chunked", {**common, "partition": queued, "max_array_size": max(1, max(sizes) // 4)})
        ws.add_profile("running", {**common, "partition": cluster.partition})
        src = work / "src"
        src.mkdir()
        (src / "train.py").write_text(TRAIN)
        scontrol("update", f"PartitionName={queued}", "State=DOWN", env=env)

        print(f"1. submission (1-node local cluster, partition {queued} DOWN: jobs queue, none runs)")
        print(f"  {'N':>5}  {'sbatch: sweep':>13} {'vs runs':>7}  {'remote cmds':>11} {'vs runs':>7}  "
              f"{'wall: sweep':>11} {'vs runs':>8} {'ratio':>6}  {'client own: sweep':>17} {'vs runs':>8}")
        # Warm-up (imports, the first staging of the snapshot), so that N=10 is not a cold start.
        quiet_submit(ws, "warmup", sweep_config(src, "queued", 2))
        quiet_submit(ws, "warmup", ScriptRunConfig(source_directory=str(src), script="train.py",
                                                   compute_target="queued"))
        results = {}
        for n in sizes:
            r = results[n] = submission(ws, src, n, "queued")
            print(f"  {n:>5}  {r['sweep_sbatch']:>13} {r['single_sbatch']:>7}  {r['sweep_remote_calls']:>11} "
                  f"{r['single_remote_calls']:>7}  {fmt(r['sweep_wall']):>11} {fmt(r['single_wall']):>8} "
                  f"{r['single_wall'] / r['sweep_wall']:>5.0f}x  {fmt(r['sweep_own']):>17} {fmt(r['single_own']):>8}")
        big = max(sizes)
        transport = counting(ws, "chunked")
        transport.reset()
        chunked = quiet_submit(ws, "chunked", sweep_config(src, "chunked", big))
        size = max(1, big // 4)
        print(f"  {big} trials with MaxArraySize {size}: {transport.calls['sbatch']} sbatch call(s) "
              f"(ceil({big} / {size}) = {-(-big // size)}), arrays {chunked.record.properties['array_options']}")

        print("\n2. one status poll: squeue calls / all remote commands")
        print(f"  {'N':>5}  {'sweep':>9}  {'N runs together':>16}  {'N runs one by one':>18}")
        for n in sizes:
            p = polls(ws, "queued", results[n]["sweep"], results[n]["runs"])
            cells = [f"{c['squeue']} / {sum(c.values())}" for c in (p["sweep"], p["together"], p["one_by_one"])]
            print(f"  {n:>5}  {cells[0]:>9}  {cells[1]:>16}  {cells[2]:>18}")
        cancel_partition(queued, env)
        scontrol("update", f"PartitionName={queued}", "State=UP", env=env)

        drawing(sizes)
        controller_ticks(ws, src, "running", env)
    finally:
        close_all()
        lc.stop(cluster)
        remove_state_dir(state)
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10, 100, 1000])
