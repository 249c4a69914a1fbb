"""Samplings over a parameter space (v1 ``azureml.train.hyperdrive.sampling``), with v1's checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...errors import HyperDriveConfigException

Validator = Callable[[list[Any]], "tuple[bool, str | None]"]


class HyperParameterSampling:
    """Base of the samplings: a method name, the parameter space and optional properties (v1)."""

    def __init__(
        self,
        sampling_method_name: str,
        parameter_space: dict[str, Any],
        properties: dict[str, Any] | None = None,
        supported_distributions: set[str] | None = None,
        distributions_validators: dict[str, Validator] | None = None,
    ) -> None:
        self._sampling_method_name = sampling_method_name
        self._parameter_space = parameter_space
        self._properties = properties
        self._supported_distributions = supported_distributions
        self._distributions_validators = distributions_validators
        self._validate_supported_distributions()

    def to_json(self) -> dict[str, Any]:
        definition: dict[str, Any] = {"name": self._sampling_method_name, "parameter_space": self._parameter_space}
        if self._properties:
            definition["properties"] = self._properties
        return definition

    def _validate_supported_distributions(self) -> None:
        if not self._supported_distributions:
            return
        for distribution in self._parameter_space.values():
            if isinstance(distribution, list) and distribution[0] not in self._supported_distributions:
                names = ", ".join(sorted(self._supported_distributions))
                raise HyperDriveConfigException(
                    f"This sampling method expects only the following distributions: [{names}]"
                )
            validators = self._distributions_validators
            if validators is not None and isinstance(distribution, list) and distribution[0] in validators:
                ok, message = validators[distribution[0]](distribution)
                if not ok:
                    raise HyperDriveConfigException(f"Failed to validate a parameter distribution due to {message}")

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    @staticmethod
    def _choice_validator(choice_definition: list[Any]) -> tuple[bool, str | None]:
        values = choice_definition[1][0]
        if not values:
            return False, "At least one 'choice' value is required."
        # type(), not isinstance: v1 refuses bool (a subclass of int) here.
        if any(type(v) not in (int, str, float) for v in values):
            return False, "'choice' values should be 'int', 'string' or 'float'."
        types = [type(v) for v in values]
        if types.count(str) % len(types) != 0:
            return False, "Either all or none of the 'choice' values should be 'str' type."
        return True, None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._parameter_space!r}, properties={self._properties!r})"


class RandomParameterSampling(HyperParameterSampling):
    """Values drawn at random from every expression (all expressions allowed)."""

    SAMPLING_NAME = "RANDOM"

    def __init__(self, parameter_space: dict[str, Any], properties: dict[str, Any] | None = None) -> None:
        super().__init__(RandomParameterSampling.SAMPLING_NAME, parameter_space, properties)


class GridParameterSampling(HyperParameterSampling):
    """Every combination of ``choice`` values."""

    SAMPLING_NAME = "GRID"

    def __init__(self, parameter_space: dict[str, Any], properties: dict[str, Any] | None = None) -> None:
        super().__init__(
            GridParameterSampling.SAMPLING_NAME,
            parameter_space,
            supported_distributions={"choice"},
            distributions_validators=None,
            properties=properties,
        )


class BayesianParameterSampling(HyperParameterSampling):
    """Each next trial chosen from the results so far (here: Optuna's TPE); choice, uniform and quniform only."""

    SAMPLING_NAME = "BayesianOptimization"

    def __init__(self, parameter_space: dict[str, Any], properties: dict[str, Any] | None = None) -> None:
        if parameter_space is None:
            raise HyperDriveConfigException(
                "BayesianParameterSampling expects parameter_space to not be None or empty."
            )
        super().__init__(
            BayesianParameterSampling.SAMPLING_NAME,
            parameter_space,
            supported_distributions={"choice", "quniform", "uniform"},
            distributions_validators={
                "choice": self._choice_validator,
                "quniform": self._bayesian_quniform_validator,
            },
            properties=properties,
        )

    @staticmethod
    def _bayesian_quniform_validator(quniform_definition: list[Any]) -> tuple[bool, str | None]:
        values = quniform_definition[1]
        if any(type(v) is not int for v in values):
            return False, "Expected quniform arguments to be int."
        low, high, q = values
        if (high - low) / q > 100000:
            return False, "Too many discrete points for quniform distribution. Use larger q or uniform instead."
        return True, None
