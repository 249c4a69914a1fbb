"""The hpcest side of the recorded rule cases: run a case as the recorder ran it on v1, and compare
what it raised with what v1 raised (class name, v1 base classes, message)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def run_case(case: Callable[[Any, dict[str, Any]], None], lib: Any) -> tuple[dict[str, Any], BaseException | None]:
    """The facts ``case`` observed with ``lib`` (hpcest's classes) and the exception it raised, if any."""
    facts: dict[str, Any] = {}
    try:
        case(lib, facts)
    except Exception as exc:  # compared with what v1 raised
        return facts, exc
    return facts, None


def v1_bases(error: BaseException) -> list[str]:
    """The classes between the exception's own and ``Exception``, as the recorder lists them."""
    return [c.__name__ for c in type(error).__mro__[1:-2]]


def assert_raised_as_v1(
    error: BaseException | None, expected: dict[str, Any], message: str | None = None, *, prefix: bool = False
) -> None:
    """``error`` is v1's: its class name, its base classes and its message (``message``, else
    ``str(error)``; with ``prefix`` v1's words need only start it)."""
    assert error is not None, f"v1 raised {expected}; hpcest did not"
    assert type(error).__name__ == expected["type"], f"{type(error).__name__}: {error}"
    assert v1_bases(error) == expected["bases"]
    shown = str(error) if message is None else message
    if prefix:
        assert shown.startswith(expected["message"]), shown
    else:
        assert shown == expected["message"]
