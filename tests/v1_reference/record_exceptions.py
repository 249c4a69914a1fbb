"""Record how the real Azure ML SDK v1 builds its exceptions and what code reads from them.

Runs under the real SDK's interpreter only (never a project dependency, never in CI)::

    /work/v1sdk/bin/python -m tests.v1_reference.record_exceptions      # from the worktree root

writes ``tests/data/v1_reference/exception_rules.json``: per case of ``exception_cases`` the facts
it observed and the exception it raised, if any (class, base classes, message). Nothing but the
exception classes is used.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import warnings
from importlib import metadata
from typing import Any

from .exception_cases import CASES, NAMES
from .record_compute import error_record

HERE = os.path.dirname(__file__)
OUT = os.path.join(HERE, "..", "data", "v1_reference", "exception_rules.json")


class V1:
    def __init__(self) -> None:
        import azureml.exceptions as core
        import azureml.train.hyperdrive.exceptions as hyperdrive

        for name in NAMES:
            setattr(self, name, getattr(core, name, None) or getattr(hyperdrive, name))


def main() -> None:
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    lib = V1()
    results: dict[str, Any] = {}
    for name, func in CASES.items():
        facts: dict[str, Any] = {}
        record: dict[str, Any] = {"facts": facts}
        try:
            func(lib, facts)
        except Exception as exc:  # every exception is a recorded fact
            record["error"] = error_record(exc)
        results[name] = record
    data = {
        "generated_by": "tests/v1_reference/record_exceptions.py",
        "sdk_versions": {p: metadata.version(p) for p in ("azureml-core", "azureml-train-core")},
        "cases": results,
    }
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(results)} cases to {os.path.relpath(OUT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
