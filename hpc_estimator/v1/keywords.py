"""Constructor calls that do not fit a v1 signature: Python's TypeError, with the fix in it.

A misspelt keyword (``Estimator(..., script_parms={...})``) raises ``TypeError`` as it does in v1,
because v1 code catches or expects it. The message then only says "unexpected keyword argument";
:func:`explain_call_errors` wraps a constructor so the same TypeError also names the closest v1
parameter and the file and line of the call. The wrapped ``__init__`` keeps its exact signature
(``inspect.signature`` follows ``__wrapped__``), which tests/test_signature_parity.py checks.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import sys
import types
from collections.abc import Callable
from typing import Any, TypeVar

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_UNEXPECTED = re.compile(r"unexpected keyword argument '([^']+)'")
_TOO_MANY_POSITIONAL = re.compile(r"takes \d+ positional arguments? but \d+ (?:were|was) given")

F = TypeVar("F", bound=Callable[..., None])


def _caller() -> str | None:
    """``file:line`` of the first frame outside hpc_estimator: the call the user wrote."""
    frame: types.FrameType | None = sys._getframe(2)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return None
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def public_parameters(init: Callable[..., Any]) -> list[str]:
    """The names a caller may pass by keyword (v1's private ``_x`` parameters left out)."""
    return [
        name
        for name, p in inspect.signature(init).parameters.items()
        if name != "self"
        and not name.startswith("_")
        and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    ]


def closest_parameter(name: str, parameters: list[str]) -> str | None:
    """The parameter ``name`` most probably meant (a typo, a dropped or swapped letter, case)."""
    import difflib  # only when a call went wrong: keeps `import hpc_estimator` light

    lowered = {p.lower(): p for p in parameters}
    if name.lower() in lowered:
        return lowered[name.lower()]
    matches = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[matches[0]] if matches else None


def explain_message(
    owner: str, message: str, parameters: list[str], positional: list[str], where: str | None
) -> str:
    """The TypeError text with the closest parameter (or the accepted ones) and the call's location."""
    hint = ""
    unexpected = _UNEXPECTED.search(message)
    if unexpected:
        meant = closest_parameter(unexpected.group(1), parameters)
        if meant:
            hint = f"; did you mean {meant!r}?"
        else:
            hint = f"; {owner} accepts: {', '.join(parameters)}"
    elif _TOO_MANY_POSITIONAL.search(message) and positional:
        hint = f"; v1's {owner} takes only {', '.join(positional)} by position: pass the others by name"
    at = f" (called at {where})" if where else ""
    return f"{message}{hint}{at}"


def explain_call_errors(init: F) -> F:
    """Wrap a v1 class's ``__init__`` so a call that does not fit its signature says how to fix it."""
    owner = init.__qualname__.split(".")[0]

    @functools.wraps(init)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            init(self, *args, **kwargs)
        except TypeError as exc:
            # Raised while binding the arguments (no frame of ``init`` ran): the call is wrong. A
            # TypeError from inside the constructor is left exactly as it is.
            if exc.__traceback__ is None or exc.__traceback__.tb_next is not None:
                raise
            positional = [
                name
                for name, p in inspect.signature(init).parameters.items()
                if name != "self" and p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
            ]
            message = explain_message(owner, str(exc), public_parameters(init), positional, _caller())
            raise TypeError(message) from None

    return wrapper  # type: ignore[return-value]
