"""Signatures as comparable rows, for the tests that hold ours to the ones recorded from Azure ML SDK v1.

A row is (name, kind, default): the kind is ``inspect.Parameter.kind``'s name and the default is
its ``repr`` (None for a required parameter), as the recordings in tests/data/ store them.
"""

from __future__ import annotations

import inspect
from typing import Any

Row = tuple[str, str, str | None]


def v1_rows(params: list[dict[str, Any]]) -> list[Row]:
    """The rows of a recorded v1 parameter list (``*args``/``**kwargs`` are recorded without ``required``)."""
    rows = []
    for param in params:
        default = None if param.get("required", True) else param["default"]
        if param.get("default_resolved") is False:
            default = "<unresolved>"
        rows.append((param["name"], param["kind"], default))
    return rows


def our_rows(signature: inspect.Signature, expected: list[Row]) -> list[Row]:
    """The rows of ``signature``, to compare with ``expected`` (v1's): a default v1 could not record
    is not compared, and each parameter v1 did not have shows as ``<extra>``."""
    rows: list[Row] = []
    for (_, _, expected_default), param in zip(expected, signature.parameters.values()):
        if param.default is inspect.Parameter.empty:
            default = None
        elif expected_default == "<unresolved>":
            default = "<unresolved>"
        else:
            default = repr(param.default)
        rows.append((param.name, param.kind.name, default))
    for param in list(signature.parameters.values())[len(expected) :]:
        rows.append((param.name, param.kind.name, "<extra>"))
    return rows


def without_self(signature: inspect.Signature) -> inspect.Signature:
    """``signature`` without its first parameter (a method's ``self``, as v1 recorded methods)."""
    return signature.replace(parameters=list(signature.parameters.values())[1:])
