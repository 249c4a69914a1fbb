"""HyperDriveConfig, HyperDriveRunConfig and PrimaryMetricGoal (v1 ``azureml.train.hyperdrive.runconfig``).

The constructor keeps v1's rules, order, exception types, messages and warnings, and v1's private
fields (``_generator_config``, ``_policy_config``, ``_primary_metric_config``, ``_max_total_runs``,
``_max_concurrent_runs``, ``_max_duration_minutes``, ``_platform``), which real code reads.
``_resolved_sweep()`` turns it into the frozen :class:`ResolvedSweep` submission uses.
"""

from __future__ import annotations

import enum
import json
import warnings
from dataclasses import replace
from typing import Any

from ...errors import HyperDriveConfigException, HyperDriveScenarioNotSupportedException
from ..compute import LOCAL_TARGET
from ..resolved import ResolvedRun
from ..script_run_config import ScriptRunConfig
from .policy import EarlyTerminationPolicy, NoTerminationPolicy
from .resolved import PolicySpec, ResolvedSweep
from .sampling import BayesianParameterSampling

MAX_DURATION_MINUTES = 10080
RECOMMENDED_MIN_RUNS_PER_PARAMETER_BAYESIAN = 20
RECOMMENDED_MAX_CONCURRENT_RUNS_BAYESIAN = 20
MAX_PARENT_RUNS = 5
RESUME_FROM_TOTAL_RUNS = 1000
TERMINAL_STATES = ("Canceled", "Completed", "Failed")
LOCAL_REFUSAL = "Automated hyperparameter tuning is not supported for types DatabricksCompute and local."


class PrimaryMetricGoal(enum.Enum):
    """Whether the primary metric is maximized or minimized."""

    MAXIMIZE = "MAXIMIZE"
    MINIMIZE = "MINIMIZE"

    @staticmethod
    def from_str(goal: str) -> PrimaryMetricGoal:
        if goal.lower() == PrimaryMetricGoal.MAXIMIZE.name.lower():
            return PrimaryMetricGoal.MAXIMIZE
        if goal.lower() == PrimaryMetricGoal.MINIMIZE.name.lower():
            return PrimaryMetricGoal.MINIMIZE
        raise HyperDriveConfigException("The primary metric goal expects either 'maximize' or 'minimize'.")


def _warn(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=3)


def _is_run(value: Any) -> bool:
    """v1 required azureml.core.Run objects; here anything shaped like hpc_estimator's Run."""
    return callable(getattr(value, "get_status", None)) and hasattr(type(value), "parent") and hasattr(value, "id")


class HyperDriveConfig:
    """A hyperparameter sweep: a sampling, a primary metric, limits, a policy and what each trial runs."""

    _PLATFORM = "AML"
    _AML_PIPELINES_PLATFORM = "AML_PIPELINES"

    def __init__(
        self,
        hyperparameter_sampling: Any,
        primary_metric_name: str,
        primary_metric_goal: PrimaryMetricGoal,
        max_total_runs: int,
        max_concurrent_runs: int | None = None,
        max_duration_minutes: int = MAX_DURATION_MINUTES,
        policy: EarlyTerminationPolicy | None = None,
        estimator: Any = None,
        run_config: ScriptRunConfig | None = None,
        resume_from: Any = None,
        resume_child_runs: Any = None,
        pipeline: Any = None,
        debug_flag: Any = None,
        custom_run_id: str | None = None,
    ) -> None:
        self._estimator = estimator
        self._run_config = run_config
        self._pipeline = pipeline
        self._debug_flag = debug_flag
        self._custom_run_id = custom_run_id
        given = [v for v in (estimator, run_config, pipeline) if v is not None]
        if not given:
            raise HyperDriveConfigException(
                "HyperDriveConfig expects at least one of estimator, run_config, pipeline to be set"
            )
        if len(given) != 1:
            raise HyperDriveConfigException(
                "HyperDriveConfig expects only one of estimator, run_config, pipeline to be set"
            )
        if run_config is not None and not isinstance(run_config, ScriptRunConfig):
            raise HyperDriveConfigException("Expected type ScriptRunConfig for run_config but got [Scrubbed]")
        if hyperparameter_sampling is None:
            raise HyperDriveConfigException("HyperDriveConfig expects hyperparameter_sampling to be set")
        if pipeline is not None:
            _warn(
                "Use of pipeline parameter in HyperDriveConfig is a preview feature. Please keep in mind that the "
                "feature can change without notice."
            )
        if policy is None:
            policy = NoTerminationPolicy()
        self._policy = policy
        self._sampling = hyperparameter_sampling
        self._policy_config = policy.to_json()
        self._generator_config = hyperparameter_sampling.to_json()
        # v1 reads .name of the goal: a plain string fails there with AttributeError, as here.
        self._primary_metric_config = {"name": primary_metric_name, "goal": primary_metric_goal.name.lower()}
        self._max_total_runs = max_total_runs
        self._max_concurrent_runs = max_concurrent_runs or max_total_runs
        self._max_duration_minutes = max_duration_minutes
        self._platform = self._PLATFORM if pipeline is None else self._AML_PIPELINES_PLATFORM
        self._platform_config: dict[str, Any] | None = None
        if self._max_duration_minutes > MAX_DURATION_MINUTES:
            _warn(
                f"The experiment maximum duration provided exceeds the service limit of {MAX_DURATION_MINUTES} "
                f"minutes. The maximum duration will be overridden with {MAX_DURATION_MINUTES} minutes."
            )
        is_bayesian = isinstance(hyperparameter_sampling, BayesianParameterSampling)
        if is_bayesian:
            recommended = RECOMMENDED_MIN_RUNS_PER_PARAMETER_BAYESIAN * len(hyperparameter_sampling._parameter_space)
            if self._max_total_runs < recommended:
                _warn(
                    "For best results with Bayesian Sampling we recommend using a maximum number of runs greater "
                    f"than or equal to {RECOMMENDED_MIN_RUNS_PER_PARAMETER_BAYESIAN} times the number of "
                    f"hyperparameters being tuned. Recommendend value:{recommended}."
                )
            if self._max_concurrent_runs > RECOMMENDED_MAX_CONCURRENT_RUNS_BAYESIAN:
                _warn(
                    f"We recommend using {RECOMMENDED_MAX_CONCURRENT_RUNS_BAYESIAN} max concurrent runs or fewer "
                    "when using Bayesian sampling since a higher number might not provide the best result."
                )
        self._resume_from: list[dict[str, Any]] | None = None
        self._resume_child_runs: list[dict[str, Any]] | None = None
        if resume_from is not None:
            if not isinstance(resume_from, list):
                resume_from = [resume_from]
            if len(resume_from) > MAX_PARENT_RUNS:
                raise HyperDriveConfigException(
                    f"HyperDriveConfig expects the number of parent runs to not exceed than {MAX_PARENT_RUNS}"
                )
            if resume_from:
                self._validate_warm_start(resume_from, is_bayesian, is_resume_from=True)
            self._resume_from = [_run_key(run) for run in resume_from]
        if resume_child_runs is not None:
            if not isinstance(resume_child_runs, list):
                resume_child_runs = [resume_child_runs]
            if resume_child_runs:
                self._validate_resume_child_runs(resume_child_runs, is_bayesian)
            self._resume_child_runs = [_run_key(run) for run in resume_child_runs]

    # -- warm start (v1's checks, in v1's order) ----------------------------------------------

    def _validate_resume_child_runs(self, runs: list[Any], is_bayesian: bool) -> None:
        if len(runs) > self._max_total_runs:
            raise HyperDriveConfigException(
                "HyperDriveConfig expects the number of resume_child_runs to not exceed max_total_runs of current run"
            )
        if len(runs) >= 5:
            _warn(
                "Validating data to be inherited from previous experiments. Please note that this may take a few "
                "minutes."
            )
        parents: dict[str, Any] = {}
        seen: set[str] = set()
        for run in runs:
            if getattr(run, "id", None) in seen:
                raise HyperDriveConfigException("resume_child_runs cannot contain duplicate runs.")
            seen.add(run.id)
            if not _is_run(run):
                raise HyperDriveConfigException(
                    "Expected type azureml.core.run.Run for resume_child_runs but got [Scrubbed]"
                )
            status = run.get_status()
            if status not in TERMINAL_STATES:
                raise HyperDriveConfigException(
                    f"All resume_child_runs should be in a terminal state. Found a run with state '{status}'."
                )
            if run.parent is None:
                raise HyperDriveConfigException("Every run in resume_child_runs should have a parent run.")
            parents[run.parent.id] = run.parent
        if len(parents) > MAX_PARENT_RUNS:
            raise HyperDriveConfigException(
                f"resume_child_runs should not come from more than {MAX_PARENT_RUNS} unique parents. "
                f"{len(parents)} unique parents were found."
            )
        self._validate_warm_start(list(parents.values()), is_bayesian)

    def _validate_warm_start(self, sweeps: list[Any], is_bayesian: bool, is_resume_from: bool = False) -> None:
        total = self._max_total_runs
        seen: set[str] = set()
        for sweep in sweeps:
            if getattr(sweep, "_runtype", None) != "hyperdrive":
                raise HyperDriveConfigException("Parent run expects to be HyperDriveRun objects.")
            config = sweep.hyperdrive_config
            for key, what in (("name", "name"), ("goal", "goal")):
                mine, theirs = self._primary_metric_config[key], config._primary_metric_config[key]
                if mine != theirs:
                    raise HyperDriveConfigException(
                        f"primary_metric_{key} should be the same for all runs. Current run's {what} is {mine}, "
                        f"while a run with {theirs} was found"
                    )
            first = sweeps[0].hyperdrive_config._platform_config
            mine_host = (config._platform_config or {}).get("ServiceAddress")
            if mine_host is not None and first is not None and mine_host != first.get("ServiceAddress"):
                raise HyperDriveConfigException("The host should be the same for all runs.")
            if is_bayesian and config._generator_config["parameter_space"] != self._generator_config["parameter_space"]:
                # v1 raised a KeyError here (its message template lacks a field); the intended error:
                raise HyperDriveConfigException(
                    "parameter_space for Bayesian sampling should be the same for all runs: a Bayesian sweep can "
                    "only warm-start from sweeps over the same space."
                )
            if is_resume_from:
                if sweep.id in seen:
                    raise HyperDriveConfigException(
                        f"resume_from cannot contain duplicate runs. More than one run with id '{sweep.id}' was found"
                    )
                seen.add(sweep.id)
                status = sweep.get_status()
                if status not in ("Completed", "Canceled"):
                    raise HyperDriveConfigException(
                        "All resume_from runs should be completed or canceled. A resume_from run with status "
                        f"'{status}' was found."
                    )
                total += config._max_total_runs
        if is_resume_from and total > RESUME_FROM_TOTAL_RUNS:
            raise HyperDriveConfigException(
                f"The number of total runs should not be greater than {RESUME_FROM_TOTAL_RUNS}. "
            )

    # -- v1 properties ------------------------------------------------------------------------

    @property
    def estimator(self) -> Any:
        return self._estimator

    @property
    def run_config(self) -> ScriptRunConfig | None:
        return self._run_config

    @property
    def pipeline(self) -> Any:
        return self._pipeline

    @property
    def source_directory(self) -> str | None:
        if self._estimator is not None:
            return str(self._estimator.source_directory)
        if self._run_config is not None:
            return self._run_config.source_directory
        return None

    def __repr__(self) -> str:
        return (
            f"HyperDriveConfig(sampling={self._generator_config['name']}, "
            f"primary_metric={self._primary_metric_config}, max_total_runs={self._max_total_runs}, "
            f"max_concurrent_runs={self._max_concurrent_runs}, policy={self._policy_config['name']})"
        )

    # -- resolution ---------------------------------------------------------------------------

    def _trial_run(self) -> ResolvedRun:
        """What every trial runs before its sampled values are appended (v1's duplicate removal applied)."""
        if self._pipeline is not None:
            raise HyperDriveScenarioNotSupportedException(
                "HyperDriveConfig(pipeline=...) is not supported by hpcest yet: sweep a ScriptRunConfig "
                "(run_config=) or an estimator (estimator=) instead."
            )
        space_keys = {str(k).lstrip("-") for k in self._generator_config["parameter_space"]}
        if self._estimator is not None:
            params = getattr(self._estimator, "_constructor_params", {}).get("script_params") or {}
            duplicates = [k for k in params if isinstance(k, str) and k.lstrip("-") in space_keys]
            config = self._estimator
            if duplicates:
                _warn(
                    "The same input parameter(s) are specified in estimator/run_config script params and HyperDrive "
                    "parameter space. HyperDrive parameter space definition will override these duplicate entries. "
                    f"{duplicates} is the list of overridden parameter(s)."
                )
                config = self._estimator._without_script_params(duplicates)
            run: ResolvedRun = config._resolved_run()
        else:
            assert self._run_config is not None
            run = self._run_config._resolved_run()
        target = run.target
        if target == LOCAL_TARGET:
            raise HyperDriveScenarioNotSupportedException(
                f"{LOCAL_REFUSAL} hpcest keeps this refusal: give the "
                f"{'estimator' if self._estimator else 'ScriptRunConfig'} compute_target='<cluster profile>' "
                "(see `hpcest cluster list`)."
            )
        return replace(run, config_kind=f"HyperDrive trial of {run.config_kind}")

    def _resolved_sweep(self, trial: ResolvedRun | None = None) -> ResolvedSweep:
        """The sweep; ``trial`` replaces what every trial runs (a HyperDriveStep resolves it itself)."""
        properties = self._generator_config.get("properties") or {}
        seed = properties.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise HyperDriveConfigException(f"properties={{'seed': ...}} must be an integer, got {seed!r}.")
        total = self._max_total_runs
        if not isinstance(total, int) or isinstance(total, bool) or total < 1:
            raise HyperDriveConfigException(f"max_total_runs must be a positive integer, got {self._max_total_runs!r}.")
        if not isinstance(self._max_concurrent_runs, int) or self._max_concurrent_runs < 1:
            raise HyperDriveConfigException(
                f"max_concurrent_runs must be a positive integer, got {self._max_concurrent_runs!r}."
            )
        props = self._policy_config.get("properties") or {}
        policy = PolicySpec(
            name=self._policy_config["name"],
            evaluation_interval=props.get("evaluation_interval", 1),
            delay_evaluation=props.get("delay_evaluation", 0),
            slack_factor=props.get("slack_factor"),
            slack_amount=props.get("slack_amount"),
            truncation_percentage=props.get("truncation_percentage"),
        )
        space = self._generator_config["parameter_space"]
        _check_space(space)
        return ResolvedSweep(
            trial=self._trial_run() if trial is None else trial,
            sampling=self._generator_config["name"],
            parameter_space_json=json.dumps(space),
            primary_metric_name=self._primary_metric_config["name"],
            primary_metric_goal="maximize" if self._primary_metric_config["goal"] == "maximize" else "minimize",
            max_total_runs=self._max_total_runs,
            max_concurrent_runs=self._max_concurrent_runs,
            max_duration_minutes=min(self._max_duration_minutes, MAX_DURATION_MINUTES),
            policy=policy,
            policy_config_json=json.dumps(self._policy_config),
            seed=seed,
            resume_from=tuple(k["run_id"] for k in self._resume_from or ()),
            resume_child_runs=tuple(k["run_id"] for k in self._resume_child_runs or ()),
            notes=self._resume_notes(),
        )

    def _resume_notes(self) -> tuple[str, ...]:
        """Warnings at submission: hpcest keeps v1's checks of resume_from / resume_child_runs but does
        not act on them yet (README, "HyperDrive on Slurm")."""
        notes = []
        if self._resume_from:
            ids = ", ".join(k["run_id"] for k in self._resume_from)
            notes.append(
                f"resume_from is not implemented by hpcest: the trials of {ids} are not given to this sweep as "
                "data points to warm-start it (v1 did); it samples as if it had no parents. "
                "get_best_run_by_primary_metric(include_resume_from_runs=True) still looks at their trials."
            )
        if self._resume_child_runs:
            ids = ", ".join(k["run_id"] for k in self._resume_child_runs)
            notes.append(
                f"resume_child_runs is not implemented by hpcest: {ids} are not resumed as child runs of this "
                "sweep (v1 did); only the newly sampled trials run."
            )
        return tuple(notes)


def _check_space(space: Any) -> None:
    """What v1 left to the service: keys are names, values are expressions or plain JSON values."""
    if not isinstance(space, dict) or not space:
        raise HyperDriveConfigException(
            "The parameter space must be a non-empty dict such as {'--lr': uniform(0.01, 0.1)}."
        )
    for key in space:
        if not isinstance(key, str) or not key.strip("-") or any(c.isspace() for c in key):
            raise HyperDriveConfigException(
                f"parameter space key {key!r} cannot become a command-line option: use names such as 'lr' or '--lr'."
            )
    try:
        json.dumps(space)
    except (TypeError, ValueError) as exc:
        raise HyperDriveConfigException(
            f"the parameter space must hold plain values (numbers, strings): {exc}"
        ) from None


def _run_key(run: Any) -> dict[str, Any]:
    """v1 kept {run_scope, run_id}; here the id and experiment are enough to find the run again."""
    experiment = getattr(getattr(run, "experiment", None), "name", None)
    return {"run_id": run.id, "experiment_name": experiment}


class HyperDriveRunConfig(HyperDriveConfig):
    """Legacy name: constructing one returns a HyperDriveConfig (v1, with v1's deprecation warning)."""

    def __new__(  # type: ignore[misc]
        cls,
        estimator: Any,
        hyperparameter_sampling: Any,
        primary_metric_name: str,
        primary_metric_goal: PrimaryMetricGoal,
        max_total_runs: int,
        max_concurrent_runs: int | None = None,
        max_duration_minutes: int = MAX_DURATION_MINUTES,
        policy: EarlyTerminationPolicy | None = None,
    ) -> HyperDriveConfig:
        _warn("HyperDriveRunConfig is deprecated. Please use the new HyperDriveConfig class.")
        return HyperDriveConfig(
            hyperparameter_sampling=hyperparameter_sampling,
            primary_metric_name=primary_metric_name,
            primary_metric_goal=primary_metric_goal,
            max_total_runs=max_total_runs,
            max_concurrent_runs=max_concurrent_runs,
            max_duration_minutes=max_duration_minutes,
            policy=policy,
            estimator=estimator,
        )
