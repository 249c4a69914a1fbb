"""Launchers: functions that wrap one rank's command into the srun line for a distribution kind.

Every kind goes through ``srun`` so each rank gets Slurm's task identity (SLURM_PROCID,
SLURM_LOCALID, SLURM_NODEID) and is placed, accounted and killed by Slurm. ``hpcest_rank`` is
a bash function defined (and exported) by the job script: it derives the per-rank variables a
framework expects (RANK/LOCAL_RANK..., TF_CONFIG, CUDA_VISIBLE_DEVICES by local rank), forwards
them into the container, then ``exec``s the command.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .spec import JobSpec

RANK_LOG = "hpcest-logs/rank-%t.log"

Launcher = Callable[[JobSpec, Sequence[str]], list[str]]


def _layout_flags(spec: JobSpec) -> list[str]:
    res = spec.resources
    flags = [f"--nodes={res.nodes}"]
    if res.ntasks is not None:
        flags += [f"--ntasks={res.ntasks}", "--distribution=block"]
    else:
        flags.append(f"--ntasks-per-node={res.tasks_per_node}")
    if res.cpus_per_task:
        flags.append(f"--cpus-per-task={res.cpus_per_task}")
    return flags


def _srun(spec: JobSpec, command: Sequence[str], extra: Sequence[str] = ()) -> list[str]:
    return [
        "srun",
        *extra,
        *_layout_flags(spec),
        # One failed rank ends the step instead of leaving the others hanging in a collective.
        "--kill-on-bad-exit=1",
        f"--output={RANK_LOG}",
        "bash",
        "-c",
        'eval "$HPCEST_RANK_SH" && hpcest_rank "$@"',
        "hpcest-rank",
        *command,
    ]


def tasks(spec: JobSpec, command: Sequence[str]) -> list[str]:
    """One process per task: a single process, torch.distributed processes (hpcest_rank sets
    RANK/WORLD_SIZE/LOCAL_RANK/NODE_RANK/MASTER_*), or TF workers then parameter servers (each with
    its own TF_CONFIG). The differences live in the per-rank set-up, not in the srun line."""
    return _srun(spec, command)


def mpi(spec: JobSpec, command: Sequence[str]) -> list[str]:
    """nodes x tasks_per_node MPI ranks (MPI, Horovod, Chainer): srun wires them up through PMIx."""
    return _srun(spec, command, [f"--mpi={spec.launcher.mpi_plugin}"])


def tf_probe(spec: JobSpec) -> list[str]:
    """A step with the same layout that reports where each task lands (for TF_CONFIG)."""
    return [
        "srun",
        *_layout_flags(spec),
        "bash",
        "-c",
        'printf "%s %s %s\\n" "$SLURM_PROCID" "${SLURMD_NODENAME:-$(hostname)}" "$SLURM_LOCALID"',
    ]


LAUNCHERS: dict[str, Launcher] = {"single": tasks, "mpi": mpi, "torch": tasks, "tf_ps": tasks}


def launch_argv(spec: JobSpec, command: Sequence[str]) -> list[str]:
    return LAUNCHERS[spec.launcher.kind](spec, command)
