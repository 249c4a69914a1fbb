"""Files put beside every job so unmodified v1 training scripts can log metrics.

``common/`` holds an ``azureml.core`` stand-in whose ``Run.get_context()`` is hpcest's in-job
run (``hpcest_runtime``, a copy of :mod:`hpc_estimator.runtime.context` made at submission). It is first
on the job's PYTHONPATH, so ``from azureml.core import Run`` works without Azure ML installed,
and an Azure ML SDK inside an old image cannot try to reach a retired service. ``container/``
adds an ``hpc_estimator`` stand-in for images that do not have hpcest installed. Everything here
must run on Python 3.6 (the v1 framework images).
"""

from __future__ import annotations

import functools
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYLIB = ".hpcest/pylib"


@functools.cache
def files(container: bool) -> dict[str, str]:
    """Relative path under the job's pylib directory -> file text (read once per process)."""
    out: dict[str, str] = {}
    roots = [HERE / "common"] + ([HERE / "container"] if container else [])
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            out[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")
    out["hpcest_runtime.py"] = (HERE.parent / "context.py").read_text(encoding="utf-8")
    return out
