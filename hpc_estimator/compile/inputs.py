"""Lowering: data references and datasets -> cluster paths bound or copied into the job; output
directories (pipeline data a step writes) -> cluster paths bound writable."""

from __future__ import annotations

import posixpath
import re

from ..errors import ConfigError
from ..job import containers
from ..job.spec import Bind, InputSpec, RuntimeName
from ..v1.resolved import ResolvedRun

# Input names become environment variable names (AZUREML_DATAREFERENCE_<name>).
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Where a container sees the output directories, beside inputs/ in the run directory.
OUTPUTS_DIR = "pipeline-data"


def lower_inputs(
    run: ResolvedRun, runtime: RuntimeName, run_dir: str
) -> tuple[tuple[InputSpec, ...], dict[str, str], dict[str, str], tuple[Bind, ...], list[str]]:
    """(inputs, argument token -> path the job sees, input/output name -> that path, binds, warnings)."""
    lay = containers.layout(runtime, run_dir)
    specs: list[InputSpec] = []
    by_token: dict[str, str] = {}
    by_name: dict[str, str] = {}
    binds: list[Bind] = []
    warnings: list[str] = []
    for data in run.inputs:
        if data.mode not in ("mount", "download"):
            raise ConfigError(
                f"input {data.name!r}: mode {data.mode!r} is not supported on Slurm; use as_mount() or as_download()"
            )
        if not _NAME_RE.match(data.name):
            raise ConfigError(
                f"input name {data.name!r} must be letters, digits and '_' (it becomes an environment variable)"
            )
        if data.path_on_compute:
            warnings.append(
                f"input {data.name!r}: path_on_compute is ignored; the data appears at {lay.input_path(data.name)} "
                "and its path is passed through the argument token"
            )
        specs.append(InputSpec(name=data.name, source=data.source, mode=data.mode))  # type: ignore[arg-type]
        # Without a container a mount is the data's own path; otherwise it is bound at inputs/<name>.
        seen = data.source if runtime == "none" and data.mode == "mount" else lay.input_path(data.name)
        by_token[data.token] = by_name[data.name] = seen
        if runtime != "none" and data.mode == "mount":
            binds.append(Bind(data.source, lay.input_path(data.name), read_only=True))
    for out in run.outputs:
        if not _NAME_RE.match(out.name):
            raise ConfigError(
                f"output name {out.name!r} must be letters, digits and '_' (it becomes an environment variable)"
            )
        if out.name in by_name:
            raise ConfigError(f"output {out.name!r} has the name of an input; give one of them another name")
        if not posixpath.isabs(out.path):
            raise ConfigError(f"output {out.name!r}: directory {out.path!r} must be an absolute path on the cluster")
        # Without a container the job writes into the directory itself; in one, it is bound writable.
        seen = out.path if runtime == "none" else posixpath.join(lay.run_dir, OUTPUTS_DIR, out.name)
        by_token[out.token] = by_name[out.name] = seen
        if runtime != "none":
            binds.append(Bind(out.path, seen, read_only=False))
    return tuple(specs), by_token, by_name, tuple(binds), warnings
