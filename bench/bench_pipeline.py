"""Pipeline submission and status over SSH on a real Slurm cluster, vs separate submissions.

    python bench/bench_pipeline.py [STEPS]        (default 50)

Starts its own 2-node local cluster with a loopback sshd (root, slurm-wlm and openssh-server
needed; see scripts/test.sh) and a workspace whose only target is reached over SSH. Measured in
the same run, after one warm-up submission (so every variant finds the source files already in
the cluster's content store):

* a STEPS-step chain submitted as one pipeline: transport round trips (commands + file transfers)
  and wall time of the submit call;
* a STEPS-wide fan-out (one producer, STEPS consumers) submitted as one pipeline;
* the baseline: STEPS separate submissions of the same script (``Experiment.submit`` of a
  ScriptRunConfig, what ``hpcest submit`` does per job);
* the status cost of one poll of the chain while its STEPS steps are live (queued or running):
  scheduler calls (squeue/sacct) and round trips.

Figures are printed; nothing is asserted.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hpc_estimator import (
    DockerConfiguration,
    Experiment,
    Pipeline,
    PipelineData,
    PipelineRun,
    PythonScriptStep,
    RunConfiguration,
    ScriptRunConfig,
    Workspace,
)
from hpc_estimator.backends import close_all, get_backend
from hpc_estimator.runs.pipeline_status import cancel_pipeline, refresh_pipelines
from hpc_estimator.testing import local_cluster as lc
from hpc_estimator.testing.state_dir import new_state_dir, remove_state_dir

SLEEP = "import sys, time\ntime.sleep(float(sys.argv[1]))\n"
SCHEDULER = ("squeue", "sacct", "scontrol", "sbatch", "scancel")


class Counting:
    """The real transport, counting round trips and the Slurm commands run through it."""

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self.calls: Counter[str] = Counter()
        self.scheduler: Counter[str] = Counter()

    def reset(self) -> None:
        self.calls.clear()
        self.scheduler.clear()

    def run(self, argv: Sequence[str], **kwargs: Any) -> Any:
        self.calls["run"] += 1
        if argv and argv[0] in SCHEDULER:
            self.scheduler[argv[0]] += 1
        elif any("exec scancel" in a for a in argv[:3]):
            self.scheduler["scancel"] += 1  # cancel_graph: the cancel markers and one scancel, one command
        elif any("submit.sh" in a for a in argv[:3]):
            # The graph's submit script: on the login node it runs 1 squeue and 1 sbatch per step.
            self.scheduler["submit.sh (1 squeue + 1 sbatch per step, on the login node)"] += 1
        return self._transport.run(argv, **kwargs)

    def put(self, *args: Any, **kwargs: Any) -> Any:
        self.calls["put"] += 1
        return self._transport.put(*args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        self.calls["get"] += 1
        return self._transport.get(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    @property
    def round_trips(self) -> int:
        return sum(self.calls.values())


def _rc() -> RunConfiguration:
    rc = RunConfiguration()
    rc.docker = DockerConfiguration(use_docker=False)
    return rc


def chain(ws: Workspace, src: Path, n: int, seconds: float) -> Pipeline:
    steps, previous = [], None
    for i in range(n):
        out = PipelineData(f"d{i}")
        inputs = [previous] if previous is not None else []
        steps.append(PythonScriptStep("sleep.py", name=f"s{i}", arguments=[seconds, out, *inputs], inputs=inputs,
                                      outputs=[out], compute_target="bench", source_directory=str(src),
                                      runconfig=_rc(), allow_reuse=False))
        previous = out
    return Pipeline(ws, steps)


def fan_out(ws: Workspace, src: Path, n: int, seconds: float) -> Pipeline:
    root = PipelineData("root")
    steps = [PythonScriptStep("sleep.py", name="root", arguments=[seconds, root], outputs=[root],
                              compute_target="bench", source_directory=str(src), runconfig=_rc(), allow_reuse=False)]
    steps += [
        PythonScriptStep("sleep.py", name=f"leaf{i}", arguments=[seconds, root], inputs=[root],
                         compute_target="bench", source_directory=str(src), runconfig=_rc(), allow_reuse=False)
        for i in range(n)
    ]
    return Pipeline(ws, steps)


def _timed(counting: Counting, func: Any) -> tuple[Any, float, Counter[str], Counter[str]]:
    counting.reset()
    started = time.perf_counter()
    result = func()
    return result, time.perf_counter() - started, Counter(counting.calls), Counter(counting.scheduler)


def _row(label: str, seconds: float, calls: Counter[str], scheduler: Counter[str]) -> str:
    trips = sum(calls.values())
    detail = ", ".join(f"{k} {v}" for k, v in sorted(calls.items()))
    slurm = ", ".join(f"{k} {v}" for k, v in sorted(scheduler.items()) if v)
    return f"  {label:<44} {trips:>5} round trips ({detail}); {seconds:6.2f} s; slurm: {slurm or '-'}"


def main(n: int = 50) -> None:
    problems = lc.missing_requirements(ssh=True)
    if problems:
        sys.exit("cannot start a local cluster: " + "; ".join(problems))
    state = new_state_dir("hpcest-bench-")
    cluster = lc.start(state, nodes=2, ssh=True)
    assert cluster.ssh is not None
    work = Path(tempfile.mkdtemp(prefix="hpcest-bench-pipe-"))
    try:
        ws = Workspace.create(work / "ws", name="bench")
        ws.add_profile("bench", {
            "transport": "ssh", "host": cluster.ssh.alias, "ssh_config": str(cluster.ssh.ssh_config),
            "workdir": str(work / "cluster"), "partition": cluster.partition, "container_runtime": "none",
            "python": sys.executable,
        })
        src = work / "src"
        src.mkdir()
        (src / "sleep.py").write_text(SLEEP)
        backend = get_backend(ws, "bench")
        counting = Counting(backend.transport)
        backend.transport = counting  # type: ignore[misc]
        experiment = Experiment(ws, "bench")
        warnings.simplefilter("ignore")

        def single() -> Any:
            return experiment.submit(ScriptRunConfig(source_directory=str(src), script="sleep.py", arguments=[0],
                                                     compute_target="bench",
                                                     docker_runtime_config=DockerConfiguration(use_docker=False)))

        single()  # warm-up: home directory, content store, connection
        print(f"pipeline submission over SSH, {n} steps (2-node local cluster, loopback sshd)")
        chain_run, t_chain, c_chain, s_chain = _timed(counting, lambda: experiment.submit(chain(ws, src, n, 600)))
        print(_row(f"{n}-step chain, one pipeline", t_chain, c_chain, s_chain))
        fan_run, t_fan, c_fan, s_fan = _timed(counting, lambda: experiment.submit(fan_out(ws, src, n, 600)))
        print(_row(f"{n}-wide fan-out (+1 producer), one pipeline", t_fan, c_fan, s_fan))
        _runs, t_sep, c_sep, s_sep = _timed(counting, lambda: [single() for _ in range(n)])
        print(_row(f"{n} separate submissions (baseline)", t_sep, c_sep, s_sep))
        print(f"  ratio separate / chain: {sum(c_sep.values()) / sum(c_chain.values()):.1f}x round trips, "
              f"{t_sep / t_chain:.1f}x wall time")

        assert isinstance(chain_run, PipelineRun) and isinstance(fan_run, PipelineRun)
        live = sum(1 for s in ws.run_store.children(chain_run.id) if not s.is_terminal)
        _none, t_poll, c_poll, s_poll = _timed(counting, lambda: refresh_pipelines(ws, [chain_run.record]))
        print(f"status of the chain with {live} live steps:")
        print(_row("one poll (all steps)", t_poll, c_poll, s_poll))
        pipelines = [chain_run.record, fan_run.record]
        live_both = sum(1 for p in pipelines for s in ws.run_store.children(p.run_id) if not s.is_terminal)
        _none, t_poll2, c_poll2, s_poll2 = _timed(counting, lambda: refresh_pipelines(ws, pipelines))
        print(_row(f"one poll of both pipelines ({live_both} live steps)", t_poll2, c_poll2, s_poll2))
        _none, t_cancel, c_cancel, s_cancel = _timed(
            counting, lambda: [cancel_pipeline(ws, ws.run_store.get(p.run_id)) for p in pipelines])
        print(_row("cancel both pipelines", t_cancel, c_cancel, s_cancel))
    finally:
        close_all()
        lc.stop(cluster)
        remove_state_dir(state)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
