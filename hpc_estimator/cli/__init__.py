"""The ``hpcest`` command line.

Human output by default (tables), ``--json`` for scripts, and one exit-code table for every
command (``hpc_estimator.cli.errors``): 0 ok, 1 run failed, 2 bad input or configuration, 3
internal error, 4 cluster unreachable, 5 ``--wait`` timed out.

Modules: ``main`` (the group, ``init``, ``migrate``), ``submit`` (``submit`` and the quick form),
``loader`` (``FILE.py:NAME`` and what counts as submittable), ``runs`` (``runs``, ``status``,
``logs``, ``cancel``, ``download``), ``clusters`` (``cluster add|list|check``), ``waiting``
(``--wait`` and failure reports), ``errors`` (exit codes, ``handle_errors``), ``common``.
"""

from __future__ import annotations

from .errors import handle_errors
from .loader import load_config_object
from .main import console, main

__all__ = ["console", "handle_errors", "load_config_object", "main"]
