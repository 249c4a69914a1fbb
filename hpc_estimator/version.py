"""The hpcest version, in one place (the package and every generated script carry it)."""

__version__ = "0.1.0"
