"""Record how the real Azure ML SDK v1 builds its exceptions and what code reads from them.

Runs under the real SDK's interpreter only (never a project dependency, never in CI)::

    /work/v1sdk/bin/python -m tests.v1_reference.record_exceptions      # from the worktree root

writes ``tests/data/v1_reference/exception_rules.json``: per case of ``exception_cases`` the facts
it observed and the exception it raised, if any (class, base classes, message). Nothing but the
exception classes is used.
"""

from __future__ import annotations

import os

from .exception_cases import CASES, NAMES
from .recording import quiet, record_cases, recorded, write_json

HERE = os.path.dirname(__file__)
OUT = os.path.join(HERE, "..", "data", "v1_reference", "exception_rules.json")


class V1:
    def __init__(self) -> None:
        import azureml.exceptions as core
        import azureml.train.hyperdrive.exceptions as hyperdrive

        for name in NAMES:
            setattr(self, name, getattr(core, name, None) or getattr(hyperdrive, name))


def main() -> None:
    quiet()
    results = record_cases(CASES, V1())
    data = recorded("tests/v1_reference/record_exceptions.py", ("azureml-core", "azureml-train-core"), cases=results)
    write_json(OUT, data, f"{len(results)} cases to ")


if __name__ == "__main__":
    main()
