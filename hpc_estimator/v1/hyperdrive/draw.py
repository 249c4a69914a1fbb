"""Choosing what a sweep runs: values drawn from parameter expressions, grids, and trial arguments. Pure.

Everything here is deterministic for a given seed (``random.Random(seed)``), so a sweep's
parameter sets can be drawn up front, written to a file and drawn again identically in a test.

What the v1 service did, kept: each trial gets the sampled values appended to its arguments as
``--<key> <value>`` (a key that already starts with ``-`` is used as it is). Values are written
the way Python prints them (``0.0123``, ``16``, ``relu``). Quantized expressions (``quniform``
and the other ``q`` forms) give integers when ``q`` is integral, so ``argparse(type=int)`` reads
them (the service printed ``4.0``; see README).
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterable, Mapping
from typing import Any

from ...errors import HyperDriveConfigException


def option_name(key: str) -> str:
    """The command-line option a parameter-space key becomes."""
    return key if key.startswith("-") else f"--{key}"


def value_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16 and not isinstance(value, bool):
        return repr(value)
    return str(value)


def trial_arguments(parameters: Mapping[str, Any]) -> list[str]:
    """``--<key> <value>`` for every sampled value, in parameter-space order."""
    argv: list[str] = []
    for key, value in parameters.items():
        argv += [option_name(key), value_text(value)]
    return argv


def _quantize(x: float, q: Any) -> Any:
    value = round(x / q) * q
    if float(q).is_integer():
        return int(round(value))  # noqa: RUF046 - round() of a float*int product may be a float
    return value


def draw_value(expression: Any, rng: random.Random) -> Any:
    """One value of ``expression`` (a v1 expression list, or a plain value v1 let through)."""
    if not isinstance(expression, list) or len(expression) != 2 or not isinstance(expression[1], list):
        return expression
    name, args = expression
    if name == "choice":
        return rng.choice(args[0])
    if name == "randint":
        return rng.randrange(args[0])
    if name == "uniform":
        return rng.uniform(args[0], args[1])
    if name == "quniform":
        return _quantize(rng.uniform(args[0], args[1]), args[2])
    if name == "loguniform":
        return math.exp(rng.uniform(args[0], args[1]))
    if name == "qloguniform":
        return _quantize(math.exp(rng.uniform(args[0], args[1])), args[2])
    if name == "normal":
        return rng.gauss(args[0], args[1])
    if name == "qnormal":
        return _quantize(rng.gauss(args[0], args[1]), args[2])
    if name == "lognormal":
        return math.exp(rng.gauss(args[0], args[1]))
    if name == "qlognormal":
        return _quantize(math.exp(rng.gauss(args[0], args[1])), args[2])
    raise HyperDriveConfigException(f"unknown parameter expression {name!r}; use choice, uniform, normal, ...")


def draw_random(space: Mapping[str, Any], count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` parameter sets, each key drawn in space order from one seeded generator."""
    rng = random.Random(seed)
    return [{key: draw_value(expr, rng) for key, expr in space.items()} for _ in range(count)]


def grid_size(space: Mapping[str, Any]) -> int:
    return math.prod(len(_grid_values(expr)) for expr in space.values())


def _grid_values(expression: Any) -> list[Any]:
    if isinstance(expression, list) and len(expression) == 2 and expression[0] == "choice":
        return list(expression[1][0])
    return [expression]


def draw_grid(space: Mapping[str, Any], cap: int) -> list[dict[str, Any]]:
    """Every combination of the choices, first key slowest (itertools.product order), at most ``cap``."""
    keys = list(space)
    combos: Iterable[tuple[Any, ...]] = itertools.product(*(_grid_values(space[k]) for k in keys))
    return [dict(zip(keys, combo)) for combo in itertools.islice(combos, cap)]


def plan_parameters(sampling: str, space: Mapping[str, Any], max_total_runs: int, seed: int) -> list[dict[str, Any]]:
    """All parameter sets of a Random or Grid sweep (Bayesian ones are chosen while it runs)."""
    if sampling == "RANDOM":
        return draw_random(space, max_total_runs, seed)
    if sampling == "GRID":
        return draw_grid(space, max_total_runs)
    raise HyperDriveConfigException(f"{sampling} sweeps choose their parameters while they run, not up front")
