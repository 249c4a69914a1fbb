"""What every ``record_*`` script of the rule cases does the same way: run each case against the real
SDK, keep its facts and the exception it raised, and write the JSON the tests replay.

Runs under the real SDK's interpreter only, imported by the recorders (never by the tests).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from typing import Any

Case = Callable[[Any, dict[str, Any]], None]


def quiet() -> None:
    """The SDK's logging and deprecation warnings off: they are not facts of the cases."""
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")


def message(exc: BaseException) -> str:
    """The one-line message of an AzureML exception (its str() adds the error response JSON)."""
    match = re.search(r"^\s*Message: (.*)$", str(exc), re.MULTILINE)
    return match.group(1) if match else str(exc)


def error_record(exc: BaseException) -> dict[str, Any]:
    """The exception as the tests compare it: class, v1 base classes, one-line message."""
    return {"type": type(exc).__name__, "bases": [c.__name__ for c in type(exc).__mro__[1:-2]],
            "message": message(exc)}


def record_cases(
    cases: Mapping[str, Case], lib: Any, error_of: Callable[[BaseException], dict[str, Any]] = error_record
) -> dict[str, Any]:
    """``{name: {"facts": ..., "error": ...}}``: each case run with ``lib`` (the real SDK's classes)."""
    results: dict[str, Any] = {}
    for name, func in cases.items():
        facts: dict[str, Any] = {}
        record: dict[str, Any] = {"facts": facts}
        try:
            func(lib, facts)
        except Exception as exc:  # every exception is a recorded fact
            record["error"] = error_of(exc)
        results[name] = record
    return results


def recorded(script: str, packages: Sequence[str], **sections: Any) -> dict[str, Any]:
    """The document a recorder writes: who wrote it, the SDK versions it ran, then its sections."""
    return {"generated_by": script, "sdk_versions": {p: metadata.version(p) for p in packages}, **sections}


def write_json(path: str, data: Mapping[str, Any], what: str = "") -> None:
    with open(path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {what}{os.path.relpath(path)}", file=sys.stderr)
