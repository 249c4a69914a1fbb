"""Record what the real Azure ML SDK v1 HyperDrive client does, rule by rule.

Runs under the real SDK's interpreter only (never a project dependency, never in CI)::

    /work/v1sdk/bin/python -m tests.v1_reference.record_hyperdrive      # from the worktree root

writes ``tests/data/v1_reference/hyperdrive.json``. Every case is a small piece of v1 code (see
``tests/v1_reference/hyperdrive_cases.py``, shared with the hpcest side) run in a namespace that
holds the ``azureml.train.hyperdrive`` names plus ``Estimator`` and ``ScriptRunConfig``. Per case it
records the value of ``result`` (plain data: parameter expressions are lists, configs are reduced
to the private fields v1 serialises) or the exception's class, its v1 base classes and its
message, and the text of every warning v1 emitted.
"""

from __future__ import annotations

import json
import os
import re
import sys
import warnings
from importlib import metadata
from typing import Any

from .hyperdrive_cases import CASES, view

OUT = os.path.join(os.path.dirname(__file__), "..", "data", "v1_reference", "hyperdrive.json")


def _namespace() -> dict[str, Any]:
    import azureml.train.hyperdrive as hd
    from azureml.core import Run, ScriptRunConfig
    from azureml.core.script_run_config import get_run_config_from_script_run
    from azureml.train.estimator import Estimator

    ns: dict[str, Any] = {name: getattr(hd, name) for name in hd.__all__}
    ns["Estimator"] = Estimator
    ns["ScriptRunConfig"] = ScriptRunConfig
    ns["Run"] = Run

    def trial_arguments(config: Any) -> list[Any]:
        """The arguments v1 sends to the service for a config's children (before the sampled values)."""
        if config.estimator is not None:
            rc = get_run_config_from_script_run(config.estimator._get_script_run_config())
        else:
            rc = get_run_config_from_script_run(config.run_config)
        rc = hd.HyperDriveConfig._remove_duplicate_arguments(rc, config._generator_config, config.estimator is not None)
        return list(rc.arguments)

    ns["trial_arguments"] = trial_arguments
    return ns


def _message(exc: Exception) -> str:
    """The one-line message of an AzureML exception (its str() adds the error response JSON)."""
    match = re.search(r"^\s*Message: (.*)$", str(exc), re.MULTILINE)
    return match.group(1) if match else str(exc)


def _warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    # Only the SDK's own UserWarnings: its dependencies' deprecation notices (ruamel.yaml) are noise.
    return sorted({str(w.message) for w in caught if w.category is UserWarning})


def run_case(code: str, ns: dict[str, Any]) -> dict[str, Any]:
    local = dict(ns)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(code, local)
        except Exception as exc:
            return {
                "error": {"type": type(exc).__name__, "bases": [c.__name__ for c in type(exc).__mro__[1:-2]],
                          "message": _message(exc)},
                "warnings": _warnings(caught),
            }
    return {
        "error": None,
        "result": view(local.get("result")),
        "warnings": _warnings(caught),
    }


def main() -> int:
    os.makedirs("/tmp/hpcest-hd-probe", exist_ok=True)
    os.chdir("/tmp/hpcest-hd-probe")
    ns = _namespace()
    out = {
        "sdk": {p: metadata.version(p) for p in ("azureml-core", "azureml-train-core")},
        "python": sys.version.split()[0],
        "cases": {case_id: run_case(code, ns) for case_id, code in CASES.items()},
    }
    with open(OUT, "w") as fh:
        json.dump(out, fh, indent=1, sort_keys=True)
        fh.write("\n")
    print(f"wrote {len(out['cases'])} cases to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
