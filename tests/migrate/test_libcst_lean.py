"""The migration's processes load libcst without running ``libcst.metadata``'s ``__init__`` (its
providers cost ~10% of the workers' start-up and the migration uses none), and code that does use
libcst's metadata in such a process gets the whole package, as after a plain ``import libcst``.

Each test runs in a fresh interpreter: this one has long imported libcst."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROVIDERS = ("libcst.metadata.scope_provider", "libcst.metadata.type_inference_provider",
             "libcst.metadata.position_provider", "libcst.metadata.full_repo_manager")


def _fresh(code: str, *, path: Path | None = None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (path, REPO) if p is not None)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_the_workers_warm_up_loads_no_metadata_provider() -> None:
    # A migration module that imports a provider (``from libcst.metadata import ...``) fails this.
    seen = _fresh(f"""
        import json, sys
        from migrate.runner import _warm_up
        _warm_up()
        print(json.dumps({{m: m in sys.modules for m in {PROVIDERS!r} + ("libcst", "subprocess")}}))
    """)
    assert seen.pop("libcst") is True
    assert seen == {name: False for name in (*PROVIDERS, "subprocess")}


def test_metadata_used_afterwards_is_the_whole_package_as_after_a_plain_import() -> None:
    probe = """
        import json, sys
        {load}
        import libcst
        import libcst.metadata as md
        from libcst.metadata import MetadataWrapper, PositionProvider
        positions = MetadataWrapper(libcst.parse_module("x = f(1)\\n")).resolve(PositionProvider)
        starts = sorted((type(n).__name__, r.start.line, r.start.column) for n, r in positions.items())
        print(json.dumps({{"all": sorted(md.__all__), "names": sorted(n for n in dir(md) if not n.startswith("_")),
                          "starts": starts, "bound": libcst.metadata is md, "scope": md.ScopeProvider.__module__,
                          "hook_left": "__getattr__" in md.__dict__}}))
    """
    lean = _fresh(probe.format(load="from migrate.libcst_lean import import_libcst; import_libcst()"))
    plain = _fresh(probe.format(load=""))
    assert lean == plain
    assert lean["bound"] and not lean["hook_left"] and lean["starts"]


def test_a_submodule_imported_before_the_package_is_used_and_unknown_names() -> None:
    seen = _fresh("""
        import json, sys
        from migrate.libcst_lean import import_libcst
        import_libcst()
        import libcst.metadata.scope_provider as sp
        before = "libcst.metadata.type_inference_provider" in sys.modules
        import libcst.metadata as md
        same = md.ScopeProvider is sp.ScopeProvider  # the first missing name runs the __init__
        try:
            md.NoSuchProvider
            error = None
        except AttributeError as exc:
            error = str(exc)
        print(json.dumps({"before": before, "same": same, "error": error,
                          "loaded": "libcst.metadata.type_inference_provider" in sys.modules}))
    """)
    assert seen == {"before": False, "same": True, "loaded": True,
                    "error": "module 'libcst.metadata' has no attribute 'NoSuchProvider'"}


def test_nothing_is_deferred_where_libcst_is_already_imported() -> None:
    seen = _fresh("""
        import json, sys
        import libcst
        real = sys.modules["libcst.metadata"]
        from migrate.libcst_lean import import_libcst
        print(json.dumps({"same": import_libcst() is libcst and sys.modules["libcst.metadata"] is real,
                          "hook": "__getattr__" in real.__dict__}))
    """)
    assert seen == {"same": True, "hook": False}


def test_an_init_that_fails_raises_at_each_use_as_the_import_would(tmp_path: Path) -> None:
    # A stand-in libcst whose metadata package cannot be imported: the error is not hidden behind a
    # half-loaded package, and it is raised again (the __init__ tried again) at the next use.
    package = tmp_path / "libcst"
    (package / "metadata").mkdir(parents=True)
    (package / "__init__.py").write_text("from libcst.metadata.base_provider import Base\n")
    (package / "metadata" / "base_provider.py").write_text("class Base:\n    pass\n")
    (package / "metadata" / "__init__.py").write_text(
        "from libcst.metadata.base_provider import Base\nraise ImportError('provider missing')\n"
    )
    seen = _fresh("""
        import json
        from migrate.libcst_lean import import_libcst
        libcst = import_libcst()
        errors = []
        for _ in range(2):
            try:
                libcst.metadata.Anything
            except ImportError as exc:
                errors.append(str(exc))
        print(json.dumps({"errors": errors, "base": libcst.Base.__module__}))
    """, path=tmp_path)
    assert seen == {"errors": ["provider missing", "provider missing"], "base": "libcst.metadata.base_provider"}
