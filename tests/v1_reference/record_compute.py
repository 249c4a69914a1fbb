"""Record what the real Azure ML SDK v1 does for the ``AmlCompute.provisioning_configuration`` cases.

Runs under the real SDK's interpreter only (never a project dependency, never in CI)::

    /work/v1sdk/bin/python -m tests.v1_reference.record_compute      # from the worktree root

writes ``tests/data/v1_reference/compute_rules.json``: per case of ``compute_cases`` the facts it
observed and the exception it raised, if any (class, v1 base classes, one-line message). No Azure
service is contacted: v1 builds and validates a provisioning configuration offline, and
``ComputeTarget.create`` refuses a reserved name before it looks at the workspace.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import warnings
from importlib import metadata
from typing import Any

from .compute_cases import CASES

HERE = os.path.dirname(__file__)
OUT = os.path.join(HERE, "..", "data", "v1_reference", "compute_rules.json")


class V1:
    def __init__(self) -> None:
        from azureml.core.compute import AmlCompute, ComputeTarget
        from azureml.core.compute.amlcompute import AmlComputeProvisioningConfiguration

        self.AmlCompute = AmlCompute
        self.ComputeTarget = ComputeTarget
        self.AmlComputeProvisioningConfiguration = AmlComputeProvisioningConfiguration


def message(exc: BaseException) -> str:
    """The one-line message of an AzureML exception (its str() adds the error response JSON)."""
    match = re.search(r"^\s*Message: (.*)$", str(exc), re.MULTILINE)
    return match.group(1) if match else str(exc)


def error_record(exc: BaseException) -> dict[str, Any]:
    return {"type": type(exc).__name__, "bases": [c.__name__ for c in type(exc).__mro__[1:-2]],
            "message": message(exc)}


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
        "generated_by": "tests/v1_reference/record_compute.py",
        "sdk_versions": {p: metadata.version(p) for p in ("azureml-core",)},
        "cases": results,
    }
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(results)} cases to {os.path.relpath(OUT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
