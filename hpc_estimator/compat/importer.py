"""The import hook: a ``sys.meta_path`` finder that serves ``azureml.*`` from hpc_estimator.

Installed only by :func:`activate` (``hpcest run``, ``python -m hpc_estimator.compat``) and removed
by :func:`deactivate`; importing hpc_estimator never installs it, so a real Azure ML SDK in the same
environment is untouched outside those commands. While active it answers for every ``azureml``
module name before any other finder: served modules come from ``surface.SERVED``; any other
``azureml.*`` name is refused with a ModuleNotFoundError that says what is served (a real SDK's
module must never mix with the served ones in one process).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Sequence
from typing import Any

from . import surface
from .refusals import stand_in

ROOT = "azureml"


def _is_azureml(name: str) -> bool:
    return name == ROOT or name.startswith(ROOT + ".")


def _resolve(spec: str, name: str) -> Any:
    if spec == surface.AZURE_ONLY:
        return stand_in(name)
    module, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module), attribute)


class _ServedModule(types.ModuleType):
    """A served ``azureml.*`` module: its names resolve on first use."""

    _hpcest_served: dict[str, str]

    def __getattr__(self, name: str) -> Any:
        served = self.__dict__.get("_hpcest_served", {})
        if name in served:
            value = _resolve(served[name], name)
            setattr(self, name, value)
            return value
        if name.startswith("__"):
            raise AttributeError(name)
        names = ", ".join(sorted(n for n in served if not n.startswith("_"))) or "no names (a package)"
        raise AttributeError(
            f"hpcest run serves {self.__name__} with: {names}; {name!r} is not among them "
            f"(it has no meaning on Slurm or is not covered yet). Use one of these, or import it from hpc_estimator."
        )

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.__dict__.get("_hpcest_served", {})))


class AzureMLFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds and loads the served ``azureml`` modules (see the module docstring)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not _is_azureml(fullname):
            return None
        if fullname not in surface.SERVED:
            parent = fullname.rpartition(".")[0]
            served = surface.main_modules()
            raise ModuleNotFoundError(
                f"hpcest run does not serve {fullname} (no Slurm meaning, or not covered yet); it serves "
                f"{', '.join(served)} (and their v1 submodules). Remove the import or take the name from "
                f"{parent if parent in surface.SERVED else 'one of those'}.",
                name=fullname,
            )
        return importlib.machinery.ModuleSpec(fullname, self, is_package=surface.is_package(fullname))

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _ServedModule(spec.name)
        module._hpcest_served = dict(surface.SERVED[spec.name])
        module.__all__ = sorted(n for n in module._hpcest_served if not n.startswith("_"))  # type: ignore[attr-defined]
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__doc__ = f"{module.__name__} as served by hpcest run (hpc_estimator.compat)"


_FINDER = AzureMLFinder()
# Real azureml modules imported before activation, put back by deactivate().
_STASHED: dict[str, types.ModuleType] = {}


def active() -> bool:
    return _FINDER in sys.meta_path


def activate() -> None:
    """Serve ``azureml.*`` from hpc_estimator in this process until :func:`deactivate`."""
    if active():
        return
    for name in [n for n in sys.modules if _is_azureml(n)]:
        _STASHED[name] = sys.modules.pop(name)
    sys.meta_path.insert(0, _FINDER)


def deactivate() -> None:
    """Remove the hook and the served modules; a real SDK imported before is back as it was."""
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in [n for n in sys.modules if _is_azureml(n)]:
        del sys.modules[name]
    sys.modules.update(_STASHED)
    _STASHED.clear()
