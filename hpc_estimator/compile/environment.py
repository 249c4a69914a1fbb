"""Lowering: the run's environment variables -> what every rank exports, and what crosses into a container."""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Mapping

from ..cluster.profile import ClusterProfile
from ..errors import ConfigError
from ..job import containers
from ..job.spec import RuntimeName
from ..runtime.context import DATAREFERENCE_PREFIX
from ..runtime.jobshim import PYLIB
from ..v1.resolved import ResolvedRun

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _checked(pairs: list[tuple[str, str]]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for key, value in pairs:
        if not _NAME_RE.match(key):
            raise ConfigError(
                f"environment variable name {key!r} is not valid (letters, digits, '_'; not starting with a digit)"
            )
        if "\x00" in value:
            raise ConfigError(f"environment variable {key} contains a NUL byte, which no process can receive")
        merged[key] = value
    return merged


def forwarded_names(runtime: RuntimeName, names: list[str]) -> tuple[str, ...]:
    """Names (and NAME_* patterns) a rank forwards into a container started with a clean environment.

    The runtime's own patterns come first; a user name already matched by one is not repeated.
    """
    if runtime not in containers.ENV_PREFIX:
        return ()
    patterns = list(containers.FORWARD_PATTERNS)
    for name in names:
        if name in containers.NOT_FORWARDABLE or name in patterns or _FORWARDED.match(name):
            continue
        patterns.append(name)
    return tuple(patterns)


_FORWARDED = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in containers.FORWARD_PATTERNS))


def lower_environment(
    run: ResolvedRun,
    profile: ClusterProfile,
    runtime: RuntimeName,
    *,
    run_id: str,
    run_dir: str,
    experiment: str,
    input_paths: Mapping[str, str],
) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...], list[str]]:
    """(exported pairs in precedence order, names forwarded into the container, warnings)."""
    lay = containers.layout(runtime, run_dir)
    user = dict(run.environment_variables)
    # The in-job azureml / hpc_estimator stand-ins come first on PYTHONPATH; then the run's own
    # PYTHONPATH (or else the profile's), then what the site's modules set (see PATH_PREPEND).
    pylib = posixpath.join(lay.run_dir, PYLIB)
    given = user.get("PYTHONPATH") or profile.env.get("PYTHONPATH")
    pythonpath = f"{pylib}:{given}" if given else pylib
    env = _checked(
        [
            *profile.env.items(),
            *user.items(),
            *((f"{DATAREFERENCE_PREFIX}{name}", path) for name, path in input_paths.items()),
            ("AZUREML_RUN_ID", run_id),
            ("AZUREML_EXPERIMENT_NAME", experiment),
            ("HPCEST_RUN_DIR", lay.run_dir),
            ("HPCEST_EXPERIMENT", experiment),
            ("PYTHONPATH", pythonpath),
        ]
    )
    warnings = []
    if runtime in containers.ENV_PREFIX:
        blocked = [k for k in env if k in containers.NOT_FORWARDABLE]
        if blocked:
            warnings.append(
                f"environment variable(s) {', '.join(blocked)} are not passed into {runtime} containers "
                "(the image defines them); set them in the training script or the image instead"
            )
    return tuple(env.items()), forwarded_names(runtime, list(env)), warnings


# Search paths a site's module system sets before the job: hpcest's entries go in front of them.
PATH_PREPEND = ("PYTHONPATH",)
