"""Framework estimator facts for the codemod: default versions, backends, curated environment names and
scenario pins, in the shape the rewrite rules look them up.

One source of truth: everything is read from :mod:`hpc_estimator.frameworks`, the transcription of the
published v1 wheels (scenario files) and the 2020 curated-environment list. Importing it is cheap (no
network, no heavy dependencies), so the codemod still never imports azureml.
"""

from __future__ import annotations

import importlib
from typing import Any

# Imported by name so that type-checking migrate does not descend into hpc_estimator (being
# restructured separately); these two lines and files.py's are migrate's only hpc_estimator imports.
_fw: Any = importlib.import_module("hpc_estimator.frameworks")
_environment: Any = importlib.import_module("hpc_estimator.environment")
DEFAULT_CPU_IMAGE: str = _environment.DEFAULT_CPU_IMAGE
DEFAULT_GPU_IMAGE: str = _environment.DEFAULT_GPU_IMAGE

__all__ = ["DEFAULT_CPU_IMAGE", "DEFAULT_GPU_IMAGE", "FRAMEWORKS"]


def _describe(name: str) -> dict[str, Any]:
    curated: dict[str, str] = {}
    scenarios: dict[str, dict[str, Any]] = {}
    for key in _fw.scenario_keys(name):
        version, processor = key.rsplit("-", 1)
        scenario = _fw.framework_scenario(name, version, processor == "gpu")
        scenarios[key] = {
            "base_image": scenario["base_image"],
            "conda_packages": scenario["conda_packages"],
            "pip_packages": scenario["pip_packages"],
        }
        if scenario["curated_environment"]:
            curated[key] = scenario["curated_environment"]
    return {
        "default_version": _fw.default_version(name),
        "backends": _fw.supported_backends(name),
        "versions": _fw.supported_versions(name),
        "curated": curated,
        "scenarios": scenarios,
    }


FRAMEWORKS: dict[str, dict[str, Any]] = {
    name: _describe(name) for name in ("PyTorch", "TensorFlow", "Chainer", "SKLearn")
}
