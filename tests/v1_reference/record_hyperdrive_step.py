"""Record what the real Azure ML SDK v1 does for the HyperDriveStep / TrainingOutput cases.

Runs under the real SDK's interpreter only (never a project dependency, never in CI)::

    /work/v1sdk/bin/python -m tests.v1_reference.record_hyperdrive_step      # from the worktree root

writes ``tests/data/v1_reference/hyperdrive_step_rules.json``: per case of ``hyperdrive_step_cases`` the
facts it observed and the exception it raised, if any. No Azure service is contacted: the compute
target and datastore are stand-ins built without a connection (the constructors read only their
names and types); no pipeline is built (that would call the service).
"""

from __future__ import annotations

import os
import tempfile

from .hyperdrive_step_cases import CASES
from .pipeline_cases import normalise
from .record_pipeline import V1 as PipelineV1
from .recording import quiet, record_cases, recorded, write_json

HERE = os.path.dirname(__file__)
OUT = os.path.join(HERE, "..", "data", "v1_reference", "hyperdrive_step_rules.json")


class V1(PipelineV1):
    def __init__(self, src: str) -> None:
        super().__init__(src)
        from azureml.pipeline.core import TrainingOutput
        from azureml.pipeline.steps import HyperDriveStep
        from azureml.train.hyperdrive import GridParameterSampling, HyperDriveConfig, PrimaryMetricGoal, choice

        self.HyperDriveStep, self.TrainingOutput = HyperDriveStep, TrainingOutput
        self.HyperDriveConfig, self.GridParameterSampling = HyperDriveConfig, GridParameterSampling
        self.PrimaryMetricGoal, self.choice = PrimaryMetricGoal, choice


PACKAGES = ("azureml-core", "azureml-pipeline-core", "azureml-pipeline-steps", "azureml-train-core")


def main() -> None:
    quiet()
    with tempfile.TemporaryDirectory(prefix="hpcest-v1-hdstep-") as tmp:
        src = os.path.join(tmp, "src")
        os.makedirs(src)
        with open(os.path.join(src, "train.py"), "w") as f:
            f.write("print('train')\n")
        results = record_cases(
            CASES, V1(src), lambda exc: {"type": type(exc).__name__, "message": normalise(str(exc), src)}
        )
    write_json(OUT, recorded("tests/v1_reference/record_hyperdrive_step.py", PACKAGES, cases=results))


if __name__ == "__main__":
    main()
