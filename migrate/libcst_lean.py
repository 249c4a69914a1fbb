"""Load libcst without running ``libcst.metadata``'s ``__init__`` until someone uses that package.

``import libcst`` imports two modules of ``libcst.metadata`` (``base_provider`` and ``wrapper``, for
names it re-exports), and importing them runs the package's ``__init__``, which imports every
metadata provider: scopes, qualified names, type inference (and with it ``subprocess``), the
full-repo manager... ~15 ms of the ~150 ms the workers' warm process takes to load libcst and the
rules, on the critical path of every run (bench/bench_migrate.py). The migration uses no provider:
its own analysis pass replaces them (``migrate.analysis``).

So ``import_libcst()`` puts the package's module object in place unexecuted, with its real spec and
``__path__``: its submodules import as usual, and the first name looked up on the package that it
does not have yet (``libcst.metadata.PositionProvider``, ``from libcst.metadata import ...``) runs
the real ``__init__`` in that same module (PEP 562 ``__getattr__``), after which it is the ordinary
package. Code that uses libcst's metadata in the same process sees no difference, only when the cost
is paid. Nothing happens where libcst is already imported or its files are not where a path finder
looks (a zip import, a frozen application): libcst then loads as usual.
"""

from __future__ import annotations

import _thread
import importlib.machinery
import importlib.util
import sys
import types
from typing import Any

PACKAGE = "libcst.metadata"


def import_libcst() -> types.ModuleType:
    """``import libcst``, with ``libcst.metadata``'s ``__init__`` deferred to its first use."""
    if "libcst" not in sys.modules:
        metadata = _unexecuted_metadata_package()
        try:
            import libcst
        except BaseException:
            if metadata is not None and sys.modules.get(PACKAGE) is metadata:
                del sys.modules[PACKAGE]  # as a failed import leaves nothing behind
            raise
        if metadata is not None and "metadata" not in libcst.__dict__:
            # The import system binds a package to its parent only when it loads it itself.
            libcst.metadata = metadata  # type: ignore[attr-defined]
    return sys.modules["libcst"]


def _unexecuted_metadata_package() -> types.ModuleType | None:
    """``libcst.metadata`` put in ``sys.modules`` without running its ``__init__`` (None: not found
    by a path finder, or already imported); the first missing name looked up on it runs it."""
    if PACKAGE in sys.modules:
        return None
    top = importlib.machinery.PathFinder.find_spec("libcst")
    if top is None or not top.submodule_search_locations:
        return None
    spec = importlib.machinery.PathFinder.find_spec(PACKAGE, list(top.submodule_search_locations))
    if spec is None or spec.loader is None or not spec.submodule_search_locations:
        return None
    loader = spec.loader
    module = importlib.util.module_from_spec(spec)  # its attributes set, its code not run
    lock = _thread.RLock()
    running = [False]  # the ``__init__`` is running: a lookup from inside it sees what it has so far

    def run_init_on_first_use(name: str) -> Any:
        with lock:
            if not running[0] and module.__dict__.get("__getattr__") is run_init_on_first_use:
                running[0] = True
                try:
                    loader.exec_module(module)  # raises as the import would have; tried again next time
                finally:
                    running[0] = False
                if module.__dict__.get("__getattr__") is run_init_on_first_use:
                    del module.__dict__["__getattr__"]
        try:
            return module.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}") from None

    setattr(module, "__getattr__", run_init_on_first_use)  # noqa: B010 (a module attribute, PEP 562)
    sys.modules[PACKAGE] = module
    return module
