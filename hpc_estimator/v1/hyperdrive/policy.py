"""Early-termination policies (v1 ``azureml.train.hyperdrive.policy``): configuration and v1's checks.

What a policy decides while a sweep runs is :mod:`.policy_eval` (pure functions over the trials'
metric histories).
"""

from __future__ import annotations

from typing import Any

from ...errors import HyperDriveConfigException


def _need_int(value: Any, name: str) -> None:
    if not isinstance(value, int):
        raise HyperDriveConfigException(f"Expected type int for {name} but got [Scrubbed]")


class EarlyTerminationPolicy:
    """Base of the policies: a name and its properties (v1)."""

    POLICY_NAME = ""

    def __init__(self, name: str, properties: dict[str, Any] | None = None) -> None:
        self._name = name
        self._properties = properties

    def to_json(self) -> dict[str, Any]:
        termination_policy: dict[str, Any] = {"name": self._name}
        if self._properties is not None:
            termination_policy["properties"] = self._properties
        return termination_policy

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._properties or {}!r})"


class BanditPolicy(EarlyTerminationPolicy):
    """Stop a trial whose best value falls outside the slack of the best trial's (v1)."""

    POLICY_NAME = "Bandit"

    def __init__(
        self,
        evaluation_interval: int = 1,
        slack_factor: float | None = None,
        slack_amount: float | None = None,
        delay_evaluation: int = 0,
    ) -> None:
        # v1's test, kept: truthiness, so slack_factor=0 counts as "given" only in the first half.
        if (slack_factor is None and slack_amount is None) or (slack_factor and slack_amount):
            raise HyperDriveConfigException(
                "Bandit termination policy expects exactly one of slack factor or slack amount to be set."
            )
        _need_int(evaluation_interval, "evaluation_interval")
        _need_int(delay_evaluation, "delay_evaluation")
        config: dict[str, Any] = {"evaluation_interval": evaluation_interval, "delay_evaluation": delay_evaluation}
        if slack_factor:
            config["slack_factor"] = slack_factor
        else:
            config["slack_amount"] = slack_amount
        super().__init__(BanditPolicy.POLICY_NAME, config)
        self._slack_factor = slack_factor
        self._evaluation_interval = evaluation_interval
        self._delay_evaluation = delay_evaluation

    @property
    def slack_factor(self) -> float | None:
        return self._slack_factor

    @property
    def evaluation_interval(self) -> int:
        return self._evaluation_interval

    @property
    def delay_evaluation(self) -> int:
        return self._delay_evaluation


class MedianStoppingPolicy(EarlyTerminationPolicy):
    """Stop a trial whose best value is worse than the median of the trials' running averages (v1)."""

    POLICY_NAME = "MedianStopping"

    def __init__(self, evaluation_interval: int = 1, delay_evaluation: int = 0) -> None:
        _need_int(evaluation_interval, "evaluation_interval")
        _need_int(delay_evaluation, "delay_evaluation")
        super().__init__(
            MedianStoppingPolicy.POLICY_NAME,
            {"evaluation_interval": evaluation_interval, "delay_evaluation": delay_evaluation},
        )
        self._evaluation_interval = evaluation_interval
        self._delay_evaluation = delay_evaluation

    @property
    def evaluation_interval(self) -> int:
        return self._evaluation_interval

    @property
    def delay_evaluation(self) -> int:
        return self._delay_evaluation


class TruncationSelectionPolicy(EarlyTerminationPolicy):
    """Stop the given percentage of lowest-ranked trials at each evaluation (v1)."""

    POLICY_NAME = "TruncationSelection"

    def __init__(self, truncation_percentage: int, evaluation_interval: int = 1, delay_evaluation: int = 0) -> None:
        _need_int(truncation_percentage, "truncation_percentage")
        if truncation_percentage < 1 or truncation_percentage > 99:
            raise HyperDriveConfigException("truncation_percentage expects value to be between 1 and 99.")
        _need_int(evaluation_interval, "evaluation_interval")
        _need_int(delay_evaluation, "delay_evaluation")
        super().__init__(
            TruncationSelectionPolicy.POLICY_NAME,
            {
                "evaluation_interval": evaluation_interval,
                "delay_evaluation": delay_evaluation,
                "truncation_percentage": truncation_percentage,
                "exclude_finished_jobs": False,
            },
        )
        self._truncation_percentage = truncation_percentage
        self._evaluation_interval = evaluation_interval
        self._delay_evaluation = delay_evaluation

    @property
    def truncation_percentage(self) -> int:
        return self._truncation_percentage

    @property
    def evaluation_interval(self) -> int:
        return self._evaluation_interval

    @property
    def delay_evaluation(self) -> int:
        return self._delay_evaluation


class NoTerminationPolicy(EarlyTerminationPolicy):
    """Every trial runs to completion (v1's default, serialised as "Default")."""

    POLICY_NAME = "Default"

    def __init__(self) -> None:
        super().__init__(NoTerminationPolicy.POLICY_NAME)
