"""``python -m hpc_estimator.cli`` is the ``hpcest`` command."""

from . import main

main(prog_name="hpcest")
