"""``python -m hpc_estimator`` is the ``hpcest`` command (useful where console scripts are not on PATH)."""

from .cli import console

console()
