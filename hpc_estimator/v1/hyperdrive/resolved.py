"""What a HyperDriveConfig asks for: the frozen sweep description the rest of hpcest reads.

``ResolvedSweep`` is to a sweep what ``ResolvedRun`` is to a single run: decided once by the v1
class, plain values only, no Slurm. ``trial`` is the ResolvedRun every trial runs before its
sampled values are appended as ``--<key> <value>``. A pipeline step that wraps a sweep
(HyperDriveStep) builds one of these too and hands it to the same submission.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from ..resolved import ResolvedRun

SAMPLINGS = ("RANDOM", "GRID", "BayesianOptimization")
POLICIES = ("Default", "Bandit", "MedianStopping", "TruncationSelection")


@dataclass(frozen=True)
class PolicySpec:
    """An early-termination policy as plain values (``name`` is v1's POLICY_NAME)."""

    name: str = "Default"
    evaluation_interval: int = 1
    delay_evaluation: int = 0
    slack_factor: float | None = None
    slack_amount: float | None = None
    truncation_percentage: int | None = None

    @property
    def stops_trials(self) -> bool:
        return self.name != "Default"


@dataclass(frozen=True)
class ResolvedSweep:
    """Everything a sweep needs to run, decided by HyperDriveConfig."""

    trial: ResolvedRun
    sampling: str  # one of SAMPLINGS
    # The parameter space as v1 serialised it: key -> ["choice", [[...]]] etc. (JSON text, so frozen).
    parameter_space_json: str
    primary_metric_name: str
    primary_metric_goal: Literal["maximize", "minimize"]
    max_total_runs: int
    max_concurrent_runs: int
    max_duration_minutes: int
    policy: PolicySpec
    # v1's policy_config ({"name", "properties"}, as the policy's to_json gave it; JSON text, so
    # frozen): what a sweep's record keeps, standalone or in a HyperDriveStep. ``policy`` is the
    # same policy as the controller reads it.
    policy_config_json: str
    seed: int | None = None  # properties={"seed": N}
    resume_from: tuple[str, ...] = ()  # run ids of earlier sweeps (warm start)
    resume_child_runs: tuple[str, ...] = ()  # run ids of earlier sweeps' trials
    notes: tuple[str, ...] = ()

    @property
    def parameter_space(self) -> dict[str, Any]:
        space: dict[str, Any] = json.loads(self.parameter_space_json)
        return space

    @property
    def policy_config(self) -> dict[str, Any]:
        config: dict[str, Any] = json.loads(self.policy_config_json)
        return config

    @property
    def maximize(self) -> bool:
        return self.primary_metric_goal == "maximize"
