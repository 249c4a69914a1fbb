"""Lowering: script and arguments -> the argv every rank executes, data tokens replaced by paths."""

from __future__ import annotations

from collections.abc import Mapping

from ..v1.data import DATA_REFERENCE_TOKEN
from ..v1.resolved import ResolvedRun

# ``$AZUREML_DATAREFERENCE_<name>`` may sit inside a larger argument ("--data=$AZUREML_..."), as v1
# expanded it in the shell; a dataset token is always a whole argument.
_DATAREF_PREFIX = DATA_REFERENCE_TOKEN.format("")


def substitute(arg: str, paths: Mapping[str, str], *, prefix: str = _DATAREF_PREFIX) -> str:
    """``arg`` with every token in it replaced by its value: a whole-argument token of any kind, and
    tokens starting with ``prefix`` (by default the data-reference one) inside a larger argument."""
    if arg in paths:
        return paths[arg]
    if prefix in arg:
        # Longest tokens first so $AZUREML_DATAREFERENCE_ab is not eaten by a reference named a.
        for token in sorted((t for t in paths if t.startswith(prefix)), key=len, reverse=True):
            arg = arg.replace(token, paths[token])
    return arg


# In an image, "python" is whichever the image has: Debian-based images often have only python3,
# older ones only python. Found inside the container, where the script runs.
IMAGE_PYTHON = (
    "sh",
    "-c",
    'p=$(command -v python3 || command -v python) || { echo "hpcest: the image has neither python3 nor python" >&2;'
    ' exit 127; }; exec "$p" "$@"',
    "python",
)


def lower_command(run: ResolvedRun, python: str | None, paths: Mapping[str, str]) -> tuple[str, ...]:
    """``python <script> <args>`` (or the command itself) with data tokens resolved.

    ``python`` None: the image's own Python, found when the job runs (see IMAGE_PYTHON).
    """
    if run.script is None:
        argv = list(run.arguments)
    elif python is None:
        argv = [*IMAGE_PYTHON, run.script, *run.arguments]
    else:
        argv = [python, run.script, *run.arguments]
    return tuple(substitute(arg, paths) for arg in argv)
