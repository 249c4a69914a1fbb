"""``azureml.core.VERSION`` under ``hpcest run``: the v1 release hpcest mirrors, marked as hpcest's
(a PEP 440 local version), so a version print in a notebook does not pass for the real SDK."""

from __future__ import annotations

from ..version import __version__

MIRRORED_CORE_VERSION = "1.61.0"
CORE_VERSION = f"{MIRRORED_CORE_VERSION}+hpcest.{__version__.replace('-', '.')}"
