"""Loading ``FILE.py:NAME``: run the job file, find the object, and explain what went wrong.

One place decides what counts as something ``hpcest submit`` can run (:data:`CANDIDATE_KINDS`):
estimators and ScriptRunConfigs (anything implementing ``Submittable``), pipelines and HyperDrive
configurations; another kind joins by adding an entry. Classes never count, only instances, so an
imported ``Estimator`` is not offered as a candidate.

Errors in the job file (a SyntaxError, a NameError, a TypeError from a misspelt keyword) are shown
as the user's own frames only: file, line, the line's text and the error, without hpcest's or
click's frames (those come back with ``--debug``).
"""

from __future__ import annotations

import ast
import contextlib
import linecache
import os
import runpy
import sys
import sysconfig
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..v1.resolved import Submittable
from .errors import UserCodeError


@dataclass(frozen=True)
class CandidateKind:
    """One kind of object ``FILE.py:NAME`` may name, with the test that recognises it."""

    nouns: tuple[str, ...]  # what messages call them: ("estimator", "ScriptRunConfig")
    accepts: Callable[[Any], bool]

    @property
    def label(self) -> str:
        return _joined(self.nouns)


def _is_submittable(obj: Any) -> bool:
    # The Protocol test alone is also true for the classes (they have the attributes): instances only.
    return not isinstance(obj, type) and isinstance(obj, Submittable)


def _is_pipeline(obj: Any) -> bool:
    from ..v1.pipeline import Pipeline

    return isinstance(obj, Pipeline)


def _is_sweep(obj: Any) -> bool:
    from ..v1.hyperdrive import HyperDriveConfig

    return isinstance(obj, HyperDriveConfig)


# What ``hpcest submit FILE.py:NAME`` can run, in the order messages list them.
CANDIDATE_KINDS: list[CandidateKind] = [
    CandidateKind(("estimator", "ScriptRunConfig"), _is_submittable),
    CandidateKind(("pipeline",), _is_pipeline),
    CandidateKind(("HyperDriveConfig",), _is_sweep),
]

# Class names whose construction at module level makes a file a job definition (v1 and hpcest).
CONFIG_CLASS_NAMES = frozenset(
    {
        "Estimator",
        "PyTorch",
        "TensorFlow",
        "Chainer",
        "SKLearn",
        "ScriptRunConfig",
        "RunConfiguration",
        "Pipeline",
        "HyperDriveConfig",
    }
)
# Imports that only a job definition (not a training script) makes.
CONFIG_IMPORTS = CONFIG_CLASS_NAMES | {"Experiment", "Workspace"}


def kind_of(obj: Any) -> CandidateKind | None:
    return next((kind for kind in CANDIDATE_KINDS if kind.accepts(obj)), None)


def _joined(nouns: tuple[str, ...]) -> str:
    return nouns[0] if len(nouns) == 1 else f"{', '.join(nouns[:-1])} or {nouns[-1]}"


def candidate_labels() -> str:
    """"estimator, ScriptRunConfig or pipeline": every kind ``hpcest submit FILE.py:NAME`` runs."""
    return _joined(tuple(noun for kind in CANDIDATE_KINDS for noun in kind.nouns))


def candidates(namespace: dict[str, Any]) -> list[str]:
    """Module-level names bound to something submittable (instances only), sorted."""
    return sorted(k for k, v in namespace.items() if not k.startswith("_") and kind_of(v) is not None)


# -- the user's own frames ----------------------------------------------------------------------

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _library_dirs() -> tuple[str, ...]:
    dirs = {_PACKAGE_DIR}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            dirs.add(os.path.abspath(path) + os.sep)
    import click

    dirs.add(os.path.dirname(os.path.abspath(click.__file__)) + os.sep)
    return tuple(dirs)


def _shown_path(filename: str) -> str:
    try:
        relative = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if relative.startswith("..") else relative


def _is_user_frame(filename: str, libraries: tuple[str, ...]) -> bool:
    if filename.startswith("<"):
        return False
    path = os.path.abspath(filename)
    return not path.startswith(libraries)


def user_frames_text(exc: BaseException) -> str:
    """The traceback of ``exc`` reduced to the user's frames, then the error line(s)."""
    libraries = _library_dirs()
    lines: list[str] = []
    for frame in traceback.extract_tb(exc.__traceback__):
        if not _is_user_frame(frame.filename, libraries):
            continue
        lines.append(f'  File "{_shown_path(frame.filename)}", line {frame.lineno}, in {frame.name}')
        text = frame.line or linecache.getline(frame.filename, frame.lineno or 0).strip()
        if text:
            lines.append(f"    {text}")
    if isinstance(exc, SyntaxError):
        # Python's own rendering: file, line, the text with a caret, the error.
        detail = "".join(traceback.format_exception_only(type(exc), exc)).rstrip("\n")
        if exc.filename:
            detail = detail.replace(f'"{exc.filename}"', f'"{_shown_path(exc.filename)}"', 1)
        lines.append(detail)
    else:
        lines.append(f"{type(exc).__name__}: {exc}")
    return "\n".join(lines)


def run_job_file(path: Path) -> dict[str, Any]:
    """Execute the job file (as a module named ``__hpcest_submit__``) and return its namespace."""
    sys.path.insert(0, str(path.resolve().parent))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return runpy.run_path(str(path), run_name="__hpcest_submit__")
    except SystemExit as exc:
        raise UserCodeError(
            f"{path} called sys.exit({exc.code!r}) while hpcest loaded it; a job file only defines the "
            f"configuration (keep training code in the entry script, or under if __name__ == '__main__':)"
        ) from exc
    except Exception as exc:
        raise UserCodeError(
            f"{path} failed while hpcest loaded it (FILE.py:NAME runs the file to find NAME):\n"
            f"{user_frames_text(exc)}"
        ) from exc
    finally:
        with contextlib.suppress(ValueError):  # the file may have changed sys.path itself
            sys.path.remove(str(path.resolve().parent))


def split_spec(spec: str) -> tuple[str, str] | None:
    """``("job.py", "estimator")`` for ``job.py:estimator``; None when it is no FILE.py:NAME."""
    path_text, sep, name = spec.rpartition(":")
    if not sep or not path_text.endswith(".py"):
        return None
    return path_text, name


def load_config_object(spec: str) -> tuple[Any, str]:
    """``FILE.py:NAME`` → (the module-level object NAME, the default experiment name)."""
    parts = split_spec(spec)
    if parts is None:
        raise ConfigError(f"{spec!r}: use FILE.py:NAME (e.g. job.py:estimator)")
    path_text, name = parts
    path = Path(path_text)
    if not path.is_file():
        raise ConfigError(f"{path_text!r} is not a file; use FILE.py:NAME (e.g. job.py:estimator)")
    if not name.isidentifier():
        raise ConfigError(f"{spec!r}: NAME must be a Python name defined at module level of {path_text}")
    namespace = run_job_file(path)
    found = candidates(namespace)
    listed = ", ".join(found) or "none"
    if name not in namespace:
        raise ConfigError(
            f"{path_text} defines no module-level {name!r}; the {candidate_labels()} objects there: {listed}"
            + (f" (e.g. hpcest submit {path_text}:{found[0]})" if found else "")
        )
    obj = namespace[name]
    if kind_of(obj) is None:
        what = f"the class {obj.__name__}" if isinstance(obj, type) else f"a {type(obj).__name__}"
        raise ConfigError(
            f"{spec} is {what}, not an {candidate_labels()} instance; the {candidate_labels()} objects in "
            f"{path_text}: {listed}"
        )
    return obj, path.stem


# -- a job file given as a training script --------------------------------------------------------


def _called_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id
        if isinstance(func, ast.Attribute):
            return func.attr
    return None


def job_definitions(path: Path) -> tuple[bool, list[str]]:
    """(whether ``path`` reads as a job definition, the module-level names it builds configurations in).

    A job definition imports Estimator / ScriptRunConfig / Experiment ... (from hpc_estimator or
    azureml) or assigns such a construction at module level; a training script imports at most
    ``Run``. Decided from the source alone: nothing of the file runs.
    """
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError, OSError):
        return False, []
    imports_config = False
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in (
            "hpc_estimator",
            "azureml",
        ):
            imports_config |= any(alias.name in CONFIG_IMPORTS for alias in node.names)
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in CONFIG_CLASS_NAMES
            and isinstance(node.value, ast.Name)
            and node.value.id in ("hpc_estimator", "hpcest")
        ):
            imports_config = True
    names: list[str] = []
    for stmt in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        if value is not None and _called_name(value) in CONFIG_CLASS_NAMES:
            names += [t.id for t in targets if isinstance(t, ast.Name)]
    return imports_config or bool(names), names
