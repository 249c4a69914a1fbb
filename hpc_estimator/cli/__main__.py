"""``python -m hpc_estimator.cli`` is the ``hpcest`` command."""

from . import console

console()
