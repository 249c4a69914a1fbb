"""Lowering: script and arguments -> the argv every rank executes, data tokens replaced by paths."""

from __future__ import annotations

from collections.abc import Mapping

from ..v1.data import DATA_REFERENCE_TOKEN
from ..v1.resolved import ResolvedRun

# ``$AZUREML_DATAREFERENCE_<name>`` may sit inside a larger argument ("--data=$AZUREML_..."), as v1
# expanded it in the shell; a dataset token is always a whole argument.
_DATAREF_PREFIX = DATA_REFERENCE_TOKEN.format("")


def substitute(arg: str, paths: Mapping[str, str]) -> str:
    """``arg`` with every data token in it replaced by the path the job sees."""
    if arg in paths:
        return paths[arg]
    if _DATAREF_PREFIX in arg:
        # Longest tokens first so $AZUREML_DATAREFERENCE_ab is not eaten by a reference named a.
        for token in sorted((t for t in paths if t.startswith(_DATAREF_PREFIX)), key=len, reverse=True):
            arg = arg.replace(token, paths[token])
    return arg


def lower_command(run: ResolvedRun, python: str, paths: Mapping[str, str]) -> tuple[str, ...]:
    """``python <script> <args>`` (or the command itself) with data tokens resolved."""
    argv = [python, run.script, *run.arguments] if run.script is not None else list(run.arguments)
    return tuple(substitute(arg, paths) for arg in argv)
