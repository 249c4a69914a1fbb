"""Framework estimator facts for the codemod: default versions, backends, curated environment names and
scenario pins, in the shape the rewrite rules look them up.

One source of truth: everything comes from :mod:`hpc_estimator.v1.frameworks`, the transcription of the
published v1 wheels (scenario files) and the 2020 curated-environment list. The codemod reads them from
``framework_tables.json``, generated from that module by ``python -m migrate.framework_data`` (a test
checks the file is current): importing ``hpc_estimator.v1`` means importing the whole v1 package behind
the facade, ~0.1 s in every worker process, more than migrating a typical candidate file
(bench/bench_migrate.py). The codemod still never imports azureml.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_CPU_IMAGE", "DEFAULT_GPU_IMAGE", "ESTIMATOR_PYTHON_VERSION", "FRAMEWORKS", "compute_tables"]

TABLES_PATH = Path(__file__).with_name("framework_tables.json")
NAMES = ("PyTorch", "TensorFlow", "Chainer", "SKLearn")


def _describe(name: str) -> dict[str, Any]:
    from hpc_estimator.v1 import frameworks as _fw

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


def compute_tables() -> dict[str, Any]:
    """The tables as :mod:`hpc_estimator.v1` defines them now (what ``framework_tables.json`` must hold)."""
    from hpc_estimator.v1.environment import BASE_SPEC_PYTHON_VERSION as python
    from hpc_estimator.v1.environment import DEFAULT_CPU_IMAGE as cpu
    from hpc_estimator.v1.environment import DEFAULT_GPU_IMAGE as gpu

    # A JSON round trip, so that the comparison with the file sees the same types (lists, not tuples).
    tables = {
        "default_cpu_image": cpu,
        "default_gpu_image": gpu,
        # The Python an Estimator's packages went with (CondaDependencies()'s pin, not create()'s).
        "estimator_python_version": python,
        "frameworks": {n: _describe(n) for n in NAMES},
    }
    result: dict[str, Any] = json.loads(json.dumps(tables))
    return result


def write_tables(path: Path = TABLES_PATH) -> None:
    path.write_text(json.dumps(compute_tables(), indent=1, sort_keys=False) + "\n", encoding="utf-8")


_TABLES: dict[str, Any] = json.loads(TABLES_PATH.read_text(encoding="utf-8"))
DEFAULT_CPU_IMAGE: str = _TABLES["default_cpu_image"]
DEFAULT_GPU_IMAGE: str = _TABLES["default_gpu_image"]
ESTIMATOR_PYTHON_VERSION: str = _TABLES["estimator_python_version"]
FRAMEWORKS: dict[str, dict[str, Any]] = _TABLES["frameworks"]

if __name__ == "__main__":
    write_tables()
    print(f"wrote {TABLES_PATH}")
