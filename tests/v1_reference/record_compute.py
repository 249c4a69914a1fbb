"""Record what the real Azure ML SDK v1 does for the ``AmlCompute.provisioning_configuration`` cases.

Runs under the real SDK's interpreter only (never a project dependency, never in CI)::

    /work/v1sdk/bin/python -m tests.v1_reference.record_compute      # from the worktree root

writes ``tests/data/v1_reference/compute_rules.json``: per case of ``compute_cases`` the facts it
observed and the exception it raised, if any (class, v1 base classes, one-line message). No Azure
service is contacted: v1 builds and validates a provisioning configuration offline, and
``ComputeTarget.create`` refuses a reserved name before it looks at the workspace.
"""

from __future__ import annotations

import os

from .compute_cases import CASES
from .recording import quiet, record_cases, recorded, write_json

HERE = os.path.dirname(__file__)
OUT = os.path.join(HERE, "..", "data", "v1_reference", "compute_rules.json")


class V1:
    def __init__(self) -> None:
        from azureml.core.compute import AmlCompute, ComputeTarget
        from azureml.core.compute.amlcompute import AmlComputeProvisioningConfiguration

        self.AmlCompute = AmlCompute
        self.ComputeTarget = ComputeTarget
        self.AmlComputeProvisioningConfiguration = AmlComputeProvisioningConfiguration


def main() -> None:
    quiet()
    results = record_cases(CASES, V1())
    write_json(OUT, recorded("tests/v1_reference/record_compute.py", ("azureml-core",), cases=results),
               f"{len(results)} cases to ")


if __name__ == "__main__":
    main()
