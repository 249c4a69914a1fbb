"""A local stand-in for ``srun``: runs a job step's tasks as processes on this machine.

``compute_target="local"`` runs the very same batch script hpcest gives Slurm; this program is
put first on its PATH as ``srun``. It accepts the srun options hpcest's launchers emit, starts
nodes x tasks-per-node processes with the task identity srun would give them (SLURM_PROCID,
SLURM_LOCALID, SLURM_NODEID, ...), writes each task's output where ``--output`` says, stops all
tasks when one fails (``--kill-on-bad-exit``) and exits with the highest task exit code.

Emulated nodes are distinct loopback addresses (127.0.0.1, 127.0.0.2, ...) so per-node ports
(TF_CONFIG, rendezvous) never collide. MPI steps (``--mpi=...``) are started by ``mpirun``
instead, because PMIx wire-up needs a real launcher.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StepLayout:
    nodes: int
    tasks_per_node: tuple[int, ...]

    @property
    def ntasks(self) -> int:
        return sum(self.tasks_per_node)

    def tasks(self) -> list[tuple[int, int, int]]:
        """(procid, nodeid, localid) in block distribution order."""
        out, procid = [], 0
        for node, count in enumerate(self.tasks_per_node):
            for local in range(count):
                out.append((procid, node, local))
                procid += 1
        return out

    def slurm_tasks_per_node(self) -> str:
        """Slurm's compressed form, e.g. ``4(x2),3``."""
        parts: list[str] = []
        counts = list(self.tasks_per_node)
        i = 0
        while i < len(counts):
            j = i
            while j + 1 < len(counts) and counts[j + 1] == counts[i]:
                j += 1
            rep = j - i + 1
            parts.append(f"{counts[i]}(x{rep})" if rep > 1 else str(counts[i]))
            i = j + 1
        return ",".join(parts)


def block_layout(nodes: int, ntasks: int | None, per_node: int | None) -> StepLayout:
    if ntasks is None:
        return StepLayout(nodes, (per_node or 1,) * nodes)
    nodes = max(1, min(nodes, ntasks))
    base, extra = divmod(ntasks, nodes)
    return StepLayout(nodes, tuple(base + (1 if i < extra else 0) for i in range(nodes)))


def node_address(nodeid: int) -> str:
    return f"127.0.0.{nodeid + 1}"


def _parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(prog="srun (hpcest local)", add_help=False)
    parser.add_argument("-N", "--nodes", type=int, default=1)
    parser.add_argument("-n", "--ntasks", type=int)
    parser.add_argument("--ntasks-per-node", type=int)
    parser.add_argument("-c", "--cpus-per-task", type=int)
    parser.add_argument("--mpi")
    parser.add_argument("-m", "--distribution")
    parser.add_argument("-K", "--kill-on-bad-exit", type=int, default=0)
    parser.add_argument("-o", "--output")
    parser.add_argument("-l", "--label", action="store_true")
    # Everything after the first non-option word is the command, options included.
    opts, rest = [], list(argv)
    while rest and rest[0].startswith("-"):
        opts.append(rest.pop(0))
    ns = parser.parse_args(opts)
    if not rest:
        parser.error("no command given")
    return ns, rest


def _output_path(pattern: str | None, procid: int, nodeid: int) -> str | None:
    if not pattern:
        return None
    job = os.environ.get("SLURM_JOB_ID", "0")
    return (
        pattern.replace("%t", str(procid))
        .replace("%j", job)
        .replace("%n", str(nodeid))
        .replace("%N", node_address(nodeid))
    )


def _task_env(layout: StepLayout, procid: int, nodeid: int, localid: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "SLURM_PROCID": str(procid),
            "SLURM_LOCALID": str(localid),
            "SLURM_NODEID": str(nodeid),
            "SLURM_NTASKS": str(layout.ntasks),
            "SLURM_NPROCS": str(layout.ntasks),
            "SLURM_NNODES": str(layout.nodes),
            "SLURM_STEP_NUM_TASKS": str(layout.ntasks),
            "SLURM_STEP_NUM_NODES": str(layout.nodes),
            "SLURM_STEP_TASKS_PER_NODE": layout.slurm_tasks_per_node(),
            "SLURM_TASKS_PER_NODE": layout.slurm_tasks_per_node(),
            "SLURMD_NODENAME": node_address(nodeid),
            "SLURM_STEP_NODELIST": ",".join(node_address(i) for i in range(layout.nodes)),
        }
    )
    return env


def _run_tasks(layout: StepLayout, command: list[str], output: str | None, kill_on_bad_exit: bool) -> int:
    procs: list[subprocess.Popen[bytes]] = []
    files = []
    try:
        for procid, nodeid, localid in layout.tasks():
            path = _output_path(output, procid, nodeid)
            out = open(path, "ab") if path else None  # noqa: SIM115 - closed in finally
            if out:
                files.append(out)
            procs.append(
                subprocess.Popen(
                    command,
                    env=_task_env(layout, procid, nodeid, localid),
                    stdout=out,
                    stderr=subprocess.STDOUT if out else None,
                    start_new_session=True,
                )
            )
        return _wait_all(procs, kill_on_bad_exit, [node_address(nodeid) for _, nodeid, _ in layout.tasks()])
    finally:
        for f in files:
            f.close()


def report_task_exit(host: str, procid: int, returncode: int) -> None:
    """srun's own line for a task that did not exit 0, on the step's stderr (the batch log).

    Slurm's srun prints ``srun: error: node2: task 3: Exited with exit code 3`` (or the signal's name,
    "Terminated", "Killed"); hpcest reads these lines to find the ranks that failed, so the local
    stand-in prints the same ones.
    """
    if returncode > 0:
        what = f"Exited with exit code {returncode}"
    else:
        try:
            what = signal.strsignal(-returncode) or f"Signal {-returncode}"
        except ValueError:
            what = f"Signal {-returncode}"
    print(f"srun: error: {host}: task {procid}: {what}", file=sys.stderr, flush=True)


def _wait_all(procs: list[subprocess.Popen[bytes]], kill_on_bad_exit: bool, hosts: list[str] | None = None) -> int:
    def stop_all(sig: int = signal.SIGTERM) -> None:
        for p in procs:
            if p.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, sig)

    def on_signal(signum: int, _frame: object) -> None:
        stop_all(signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    codes: dict[int, int] = {}
    first_failure: int | None = None
    while len(codes) < len(procs):
        for i, p in enumerate(procs):
            if i in codes:
                continue
            rc = p.poll()
            if rc is not None:
                codes[i] = rc if rc >= 0 else 128 - rc
                if rc != 0:
                    report_task_exit(hosts[i] if hosts else node_address(0), i, rc)
                if rc != 0 and first_failure is None:
                    first_failure = codes[i]
                    if kill_on_bad_exit:
                        stop_all()
        time.sleep(0.02)
    # The task that failed first explains the step; the ones stopped because of it do not.
    if first_failure is not None and kill_on_bad_exit:
        return first_failure
    return max(codes.values(), default=0)


def _run_mpi(layout: StepLayout, command: list[str], output: str | None) -> int:
    mpirun = shutil.which("mpirun")
    if not mpirun:
        print(
            "hpcest local: this is an MPI job and compute_target='local' starts MPI ranks with mpirun, "
            "which is not installed (Debian/Ubuntu: apt-get install openmpi-bin)",
            file=sys.stderr,
        )
        return 127
    # Each rank learns its Slurm-style identity from Open MPI's and writes its own log.
    wrapper = (
        'export SLURM_PROCID="$OMPI_COMM_WORLD_RANK" SLURM_LOCALID="$OMPI_COMM_WORLD_LOCAL_RANK" '
        'SLURM_NODEID=0 SLURM_NTASKS="$OMPI_COMM_WORLD_SIZE"; '
        + ('exec >"$(printf %s "$HPCEST_RANK_LOG" | sed "s/%t/$SLURM_PROCID/")" 2>&1; ' if output else "")
        + 'exec "$@"'
    )
    argv = [mpirun, "-np", str(layout.ntasks), "--oversubscribe", "--bind-to", "none"]
    if os.geteuid() == 0:
        argv.append("--allow-run-as-root")
    argv += ["sh", "-c", wrapper, "hpcest-mpi-rank", *command]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    # Keep mpirun from treating this as a Slurm allocation (it would try to launch through srun).
    env.update(
        {
            "SLURM_STEP_TASKS_PER_NODE": str(layout.ntasks),
            "SLURM_NNODES": "1",
            "SLURMD_NODENAME": node_address(0),
            "OMPI_MCA_plm": "isolated",
            "OMPI_MCA_ras": "^slurm",
            "OMPI_MCA_btl_tcp_if_include": env.get("OMPI_MCA_btl_tcp_if_include", "lo"),
            "OMPI_MCA_oob_tcp_if_include": env.get("OMPI_MCA_oob_tcp_if_include", "lo"),
        }
    )
    if output:
        env["HPCEST_RANK_LOG"] = output
    return subprocess.call(argv, env=env)


def main(argv: list[str] | None = None) -> int:
    ns, command = _parse(list(sys.argv[1:] if argv is None else argv))
    layout = block_layout(ns.nodes, ns.ntasks, ns.ntasks_per_node)
    if ns.output:
        Path(ns.output).parent.mkdir(parents=True, exist_ok=True)
    if ns.mpi and ns.mpi != "none":
        return _run_mpi(layout, command, ns.output)
    return _run_tasks(layout, command, ns.output, bool(ns.kill_on_bad_exit))


if __name__ == "__main__":
    sys.exit(main())
