"""Running unmodified Azure ML v1 notebooks and scripts: ``hpcest run`` and ``python -m hpc_estimator.compat``.

``importer`` is the import hook that serves ``azureml.*`` (``surface`` says what each name is);
``workspace``, ``auth``, ``widgets``, ``refusals`` are the v1 names with a Slurm meaning of their
own; ``notebook`` turns a notebook's code cells (magics, ``!`` lines) into Python; ``runner`` runs
them (or a script) with the hook active, naming the cell of an error.

This room sits above runs/ (it serves the workspace, experiments and runs) and below cli/.
"""

from __future__ import annotations

from .importer import activate, active, deactivate

__all__ = ["activate", "active", "deactivate"]
