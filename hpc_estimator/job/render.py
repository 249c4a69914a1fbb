"""Render a JobSpec into sbatch script text (jinja2, StrictUndefined, every value quoted).

The template only lays out text: every value that reaches the shell passes the ``shquote``
filter or is an argv joined with ``shellquote.join`` here (one line per value). Nothing in this module knows Azure.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import jinja2

from ..errors import ConfigError
from ..util.shellquote import join as shjoin
from ..util.shellquote import quote
from ..version import __version__
from . import containers, image_fetch, launchers
from .sbatch_options import directive_lines
from .snapshot_copy import PRIVATE_COPY_SH
from .spec import ARRAY_ARGS, ARRAY_TASK, JobSpec

_TMP_PLACEHOLDER = "\x00hpcest-tmp\x00"
_TASK_EXPANSION = '"${HPCEST_TRIAL}"'
_ARGS_EXPANSION = '"${hpcest_trial_args[@]}"'


def _template_dirs() -> list[Path]:
    package = Path(__file__).resolve().parent.parent
    # In a wheel the templates ship inside the package; in a source checkout they sit at the top.
    return [d for d in (package / "templates", package.parent / "templates") if d.is_dir()]


@cache
def _environment() -> jinja2.Environment:
    dirs = _template_dirs()
    if not dirs:
        raise RuntimeError("hpcest templates not found; the installation is incomplete")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # bash uses ${#array[@]}; jinja's default comment marker {# would swallow it.
        comment_start_string="<%#",
        comment_end_string="#%>",
    )
    env.filters["shquote"] = _shquote
    return env


def _quote(value: str) -> str:
    """``quote``, except that a job-array task marker becomes ``"${HPCEST_TRIAL}"`` (the trial number; arrays only)."""
    if ARRAY_TASK not in value:
        return quote(value)
    return _TASK_EXPANSION.join(quote(part) if part else "" for part in value.split(ARRAY_TASK))


def _join(argv: list[str]) -> str:
    if ARRAY_ARGS not in argv and not any(ARRAY_TASK in a for a in argv):
        return shjoin(argv)
    return " ".join(_ARGS_EXPANSION if a == ARRAY_ARGS else _quote(a) for a in argv)


def _shquote(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"shquote expects a string, got {type(value).__name__}: {value!r}")
    return _quote(value)


def _wrap(parts: list[list[str]]) -> str:
    """Join argv groups with line continuations so long srun lines stay readable."""
    return " \\\n    ".join(_join(p) for p in parts if p)


def _container_groups(prefix: list[str]) -> list[list[str]]:
    """Split a container command so each bind and the image stand on their own line."""
    if not prefix:
        return []
    groups: list[list[str]] = [[]]
    i = 0
    while i < len(prefix):
        arg = prefix[i]
        if arg in ("--bind", "-b") and i + 1 < len(prefix):
            groups.append([arg, prefix[i + 1]])
            groups.append([])
            i += 2
            continue
        if i == len(prefix) - 1 or (arg == prefix[-2] and prefix[-1] == "--"):
            groups.append(prefix[i:])
            break
        groups[-1].append(arg)
        i += 1
    return [g for g in groups if g]


def launch_summary(spec: JobSpec) -> str:
    res, kind = spec.resources, spec.launcher.kind
    tasks = res.total_tasks
    gpus = f", {res.gpus_per_node} GPU(s)/node" if res.gpus_per_node else ""
    what = {
        "single": "single process",
        "mpi": f"MPI, {tasks} ranks (srun --mpi={spec.launcher.mpi_plugin})",
        "torch": f"torch.distributed, {tasks} processes (RANK/WORLD_SIZE/MASTER_ADDR from Slurm)",
        "tf_ps": (
            f"TensorFlow parameter server, {spec.launcher.worker_count} worker(s) + "
            f"{spec.launcher.ps_count} ps (TF_CONFIG per task)"
        ),
    }[kind]
    return f"{what} on {res.nodes} node(s){gpus}; runtime {spec.container.runtime}"


def render_sbatch(spec: JobSpec, *, description: str = "") -> str:
    """The complete sbatch script for ``spec``."""
    for line in spec.prologue:
        if "\n" in line or "\r" in line:
            raise ConfigError(f"prologue line {line!r} contains a newline; give one command per entry")
    runtime = spec.container.runtime
    if runtime != "none" and not spec.container.image:
        raise ConfigError(f"container runtime {runtime!r} needs an image path")
    image_block = ""
    if image_fetch.needs_fetch(spec.container):
        if spec.container.fetch_at == "job":
            image_block = image_fetch.fetch_block(spec.container)
        else:
            image_block = image_fetch.check_block(spec.container)

    container_prefix = containers.exec_prefix(spec.container, spec.container.image if runtime != "none" else None)
    srun_line = launchers.launch_argv(spec, [*container_prefix, *spec.argv])
    # Split the line into srun+wrapper, container, and training command for readability.
    n_srun = len(srun_line) - len(container_prefix) - len(spec.argv)
    launch = _wrap([srun_line[:n_srun], *_container_groups(container_prefix), list(spec.argv)])

    inputs = [
        {
            "name": i.name,
            "source": i.source,
            "mode": i.mode,
            "mountpoint": runtime != "none",
        }
        for i in spec.inputs
    ]
    outputs = [{"name": o.name, "path": o.path, "mountpoint": runtime != "none"} for o in spec.outputs]
    gpu_bind = spec.gpu_bind == "local_rank" and spec.resources.gpus_per_node > 0
    limit = spec.scheduler.time_limit_s
    # Slurm enforces whole minutes (sbatch_options rounds up); the job's deadline follows from that.
    deadline_offset = f"$((hpcest_started + {math.ceil(limit / 60) * 60}))" if limit else ""
    context = {
        "version": __version__,
        "description": description or spec.name,
        "launch_summary": launch_summary(spec),
        "directives": directive_lines(spec),
        "run_dir": spec.run_dir,
        "exit_code_file": spec.exit_code_file,
        "umask": spec.umask,
        "deadline_offset": deadline_offset,
        "private_copy": PRIVATE_COPY_SH.rstrip("\n"),
        "path_prepend": spec.path_prepend,
        "prologue": list(spec.prologue),
        "env": list(spec.env),
        "inputs": inputs,
        "image_block": image_block,
        "outputs": outputs,
        "launch_kind": spec.launcher.kind,
        "master_port": str(spec.launcher.master_port),
        "tf_port": str(spec.launcher.tf_port),
        "tf_workers": str(spec.launcher.worker_count),
        "tf_probe": shjoin(launchers.tf_probe(spec)),
        "tf_tasks": str(spec.resources.total_tasks),
        "gpu_bind": gpu_bind,
        # LOCAL_WORLD_SIZE and the GPU slice need the number of tasks on the node.
        "local_size": gpu_bind or spec.launcher.kind == "torch",
        "env_prefix": containers.ENV_PREFIX.get(runtime, "") if spec.container.forward_env else "",
        "forward_patterns": "|".join(spec.container.forward_env),
        "launch": launch,
        # Containers start in the snapshot through --pwd/-c; bare ranks change directory themselves.
        "rank_cd": f"{spec.run_dir}/{spec.workdir}" if runtime == "none" else "",
        # ch-run refuses to start without $USER, which batch environments do not always set.
        "set_user": runtime == "charliecloud",
        "array": spec.array,
    }
    return _environment().get_template("sbatch.sh.j2").render(**context)
