"""Parameter expressions (v1 ``azureml.train.hyperdrive.parameter_expressions``).

Each function checks its arguments with v1's rules and messages and returns v1's plain list
``[name, [arguments]]``; drawing values from them is :mod:`.draw`.
"""

from __future__ import annotations

from typing import Any

from ...errors import HyperDriveConfigException

_CHOICE_SHAPE = (
    "choice expects non-empty single list, non-empty single range() or a positive number of arbitrary comma "
    "separated inputs."
)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float))


def _integral(q: Any) -> bool:
    return isinstance(q, int) or (isinstance(q, float) and q.is_integer())


def _need(ok: bool, message: str) -> None:
    if not ok:
        raise HyperDriveConfigException(message)


def choice(*options: Any) -> list[Any]:
    """A discrete set of options: several values, or one non-empty list, or one non-empty range."""
    _need(len(options) > 0, "Please specify an input for choice.")
    for item in options:
        if isinstance(item, (range, list)):
            _need(len(options) == 1 and len(item) > 0, _CHOICE_SHAPE)
            return ["choice", [list(item)]]
    return ["choice", [list(options)]]


def randint(upper: Any) -> list[Any]:
    """Integers in [0, upper)."""
    _need(isinstance(upper, int) and upper > 0, "randint expects a positive number as input")
    return ["randint", [upper]]


def _bounds(name: str, min_value: Any, max_value: Any) -> None:
    _need(_number(min_value), f"{name} expects min_value to be a float")
    _need(_number(max_value), f"{name} expects max_value to be a float")


def uniform(min_value: Any, max_value: Any) -> list[Any]:
    """Uniform in [min_value, max_value]."""
    _bounds("uniform", min_value, max_value)
    _need(min_value < max_value, "uniform expects min_value < max_value")
    return ["uniform", [min_value, max_value]]


def quniform(min_value: Any, max_value: Any, q: Any) -> list[Any]:
    """round(uniform(min_value, max_value) / q) * q."""
    _bounds("quniform", min_value, max_value)
    _need(_integral(q), "quniform expects q to be an int")
    _need(min_value < max_value, "quniform expects min_value < max_value")
    return ["quniform", [min_value, max_value, q]]


def loguniform(min_value: Any, max_value: Any) -> list[Any]:
    """exp(uniform(min_value, max_value)): the bounds are exponents."""
    _bounds("loguniform", min_value, max_value)
    _need(min_value <= max_value, "loguniform expects min_value <= max_value")
    return ["loguniform", [min_value, max_value]]


def qloguniform(min_value: Any, max_value: Any, q: Any) -> list[Any]:
    """round(exp(uniform(min_value, max_value)) / q) * q."""
    _bounds("qloguniform", min_value, max_value)
    _need(_integral(q), "qloguniform expects q to be an int")
    _need(min_value <= max_value, "qloguniform expects min_value <= max_value")
    return ["qloguniform", [min_value, max_value, q]]


def _normal_args(name: str, mu: Any, sigma: Any) -> None:
    _need(_number(mu), f"{name} expects mu to be a float")
    _need(_number(sigma), f"{name} expects sigma to be a float")


def normal(mu: Any, sigma: Any) -> list[Any]:
    """Normally distributed with mean mu and standard deviation sigma."""
    _normal_args("normal", mu, sigma)
    _need(sigma >= 0, "normal expects sigma to be non negative")
    return ["normal", [mu, sigma]]


def qnormal(mu: Any, sigma: Any, q: Any) -> list[Any]:
    """round(normal(mu, sigma) / q) * q."""
    _normal_args("qnormal", mu, sigma)
    _need(_integral(q), "qnormal expects q to be an int")
    _need(sigma >= 0, "qnormal expects sigma to be non negative")
    return ["qnormal", [mu, sigma, q]]


def lognormal(mu: Any, sigma: Any) -> list[Any]:
    """exp(normal(mu, sigma))."""
    _normal_args("lognormal", mu, sigma)
    _need(sigma >= 0, "lognormal expects sigma to be non negative")
    return ["lognormal", [mu, sigma]]


def qlognormal(mu: Any, sigma: Any, q: Any) -> list[Any]:
    """round(exp(normal(mu, sigma)) / q) * q."""
    _normal_args("qlognormal", mu, sigma)
    _need(_integral(q), "qlognormal expects q to be an int")
    _need(sigma >= 0, "qlognormal expects sigma to be non negative")
    return ["qlognormal", [mu, sigma, q]]
