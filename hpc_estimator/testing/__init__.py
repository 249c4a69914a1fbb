"""Test support that ships with hpcest: a real local Slurm cluster with a loopback sshd.

See :mod:`hpc_estimator.testing.local_cluster`. The names below are imported lazily so that
``python -m hpc_estimator.testing.local_cluster`` does not import that module twice.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "LocalCluster",
    "LocalClusterError",
    "SshEndpoint",
    "load",
    "missing_requirements",
    "start",
    "stop",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("hpc_estimator.testing.local_cluster"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
