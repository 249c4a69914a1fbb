"""Run a notebook's code cells, or a script, with ``azureml.*`` served by hpc_estimator.

The notebook runs as Jupyter runs it: one namespace for all cells (``__name__ == "__main__"``),
the notebook's directory as the working directory and first on ``sys.path``, and a cell's last
expression printed when it is not None. A script runs as ``python SCRIPT ARGS`` would.

An exception ends the run: the traceback (the user's frames, with their cell numbers) goes to
stderr and :class:`CellError` names the cell. A refusal of an Azure-only call that the code caught
and went on from is reported at the end, and the run counts as failed: nothing passes silently.
"""

from __future__ import annotations

import ast
import linecache
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import HpcestError
from ..v1.exceptions import AzureOnlyError
from . import importer
from .notebook import MAGICS_NAME, Cell, Magics, read_notebook, select_cells, transform_cell

PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)


class CellError(HpcestError):
    """The notebook (or script) raised; ``original`` is what it raised, ``cell`` where (None: a script)."""

    def __init__(self, message: str, original: BaseException, cell: int | None, internal: bool) -> None:
        super().__init__(message)
        self.original = original
        self.cell = cell
        self.internal = internal


@dataclass
class Outcome:
    cells_run: list[int] = field(default_factory=list)
    caught_refusals: list[str] = field(default_factory=list)


def cell_filename(number: int) -> str:
    return f"<cell {number}>"


def _cell_of(frames: Sequence[traceback.FrameSummary]) -> int | None:
    for frame in reversed(frames):
        if frame.filename.startswith("<cell "):
            try:
                return int(frame.filename[6:-1].split()[0])
            except ValueError:
                return None
    return None


def _user_frames(tb: Any) -> list[traceback.FrameSummary]:
    frames = traceback.extract_tb(tb)
    # Leave out the runner's own frames (the exec of the cell).
    return [f for f in frames if not f.filename.startswith(str(Path(__file__).resolve()))]


def _is_internal(exc: BaseException, frames: list[traceback.FrameSummary]) -> bool:
    """A non-hpcest exception raised inside hpc_estimator's code is a bug of ours, not of the notebook."""
    from ..errors import AzureMLException

    if isinstance(exc, (HpcestError, AzureMLException)) or not frames:
        return False
    return frames[-1].filename.startswith(PACKAGE_DIR) and not isinstance(exc, (OSError, KeyError, ImportError))


def _report(exc: BaseException, cell: int | None, source_name: str, source_path: str = "") -> CellError:
    frames = _user_frames(exc.__traceback__)
    internal = _is_internal(exc, frames)
    where = f"cell {cell}" if cell is not None else source_name
    own = cell_filename(cell) if cell is not None else source_path
    line = next((f.lineno for f in reversed(frames) if f.filename == own), None)
    at = f" (line {line})" if line else ""
    if isinstance(exc, AzureOnlyError):
        message = f"{where}{at}: {exc}"
    else:
        message = f"{where}{at}: {type(exc).__name__}: {exc}"
    if not isinstance(exc, AzureOnlyError):  # a refusal's message is the whole story
        shown = [f for f in frames if not f.filename.startswith(PACKAGE_DIR)] or frames[-1:]
        text = "".join(traceback.format_list(shown))
        print(f"Traceback (most recent call last, {where}):\n{text}{type(exc).__name__}: {exc}", file=sys.stderr)
    return CellError(message, exc, cell, internal)


def _display(value: Any) -> None:
    if value is not None:
        print(repr(value))


def _compile_cell(source: str, filename: str) -> tuple[Any, Any]:
    """The cell's statements and (when the cell ends in an expression) that expression, compiled apart."""
    tree = ast.parse(source, filename)
    last = None
    final = tree.body[-1] if tree.body else None
    if isinstance(final, ast.Expr) and not source.rstrip().endswith(";"):
        tree.body.pop()
        expression = ast.Expression(final.value)
        last = compile(expression, filename, "eval")
    return compile(tree, filename, "exec"), last


@contextmanager
def _served(argv: list[str], directory: Path) -> Iterator[None]:
    """The hook on, ``sys.argv``/``sys.path``/cwd as ``python`` or Jupyter would set them; all put back after."""
    saved_argv, saved_path, saved_cwd = sys.argv, list(sys.path), os.getcwd()
    saved_recorder, AzureOnlyError.recorder = AzureOnlyError.recorder, []
    sys.argv = argv
    sys.path.insert(0, str(directory))
    importer.activate()
    try:
        os.chdir(directory)
        yield
    finally:
        importer.deactivate()
        AzureOnlyError.recorder = saved_recorder
        os.chdir(saved_cwd)
        sys.argv, sys.path[:] = saved_argv, saved_path


def _caught_refusals() -> list[str]:
    """The refusals made so far in the served notebook or script (each was caught: none ended the run)."""
    notes = []
    for refusal in AzureOnlyError.recorder or []:
        cell = _cell_of(refusal.stack)
        where = f"cell {cell}" if cell is not None else "the script"
        notes.append(f"{where}: {refusal} (the code caught this error and went on)")
    return notes


def run_notebook(path: str | os.PathLike[str], *, cells: str | None = None, args: Sequence[str] = (),
                 show_headers: bool = True) -> Outcome:
    notebook = Path(path).resolve()
    chosen = select_cells(read_notebook(notebook), cells)
    magics = Magics()
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__, MAGICS_NAME: magics,
                                 "display": _display_all}
    outcome = Outcome()
    with _served([str(notebook), *args], notebook.parent):
        for cell in chosen:
            _run_cell(cell, namespace, magics, show_headers, outcome, notebook.name)
        outcome.caught_refusals = _caught_refusals()
    return outcome


def _display_all(*values: Any, **kwargs: Any) -> None:
    """Jupyter's ``display()`` without a front end: the values' text."""
    for value in values:
        print(value if isinstance(value, str) else repr(value))


def _run_cell(cell: Cell, namespace: dict[str, Any], magics: Magics, show_headers: bool, outcome: Outcome,
              source_name: str) -> None:
    filename = cell_filename(cell.number)
    python = transform_cell(cell.source)
    # Tracebacks show the cell as written (its magics included), as Jupyter does.
    linecache.cache[filename] = (len(cell.source), None, cell.source.splitlines(True), filename)
    if not cell.source.strip():
        return
    if show_headers:
        print(f"[cell {cell.number}]", flush=True)
    magics.cell = cell.number
    try:
        body, last = _compile_cell(python, filename)
        exec(body, namespace)
        if last is not None:
            _display(eval(last, namespace))
    except SystemExit as exc:
        if exc.code in (None, 0):
            raise
        raise _report(exc, cell.number, source_name) from exc
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        raise _report(exc, cell.number, source_name) from exc
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    outcome.cells_run.append(cell.number)


def run_script(path: str | os.PathLike[str], *, args: Sequence[str] = ()) -> Outcome:
    """Run the script as ``python SCRIPT ARGS`` with the hook active (its own directory first on sys.path)."""
    script = Path(path).resolve()
    try:
        source = script.read_text(encoding="utf-8")
    except OSError as exc:
        raise CellError(f"cannot read {path}: {exc.strerror}", exc, None, False) from exc
    namespace: dict[str, Any] = {"__name__": "__main__", "__file__": str(script), "__builtins__": __builtins__}
    outcome = Outcome()
    saved_cwd = os.getcwd()
    with _served([str(script), *args], script.parent):
        os.chdir(saved_cwd)  # a script keeps the caller's working directory, as python does
        try:
            exec(compile(source, str(script), "exec"), namespace)
        except SystemExit as exc:
            if exc.code not in (None, 0):
                raise _report(exc, None, script.name, str(script)) from exc
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            raise _report(exc, None, script.name, str(script)) from exc
        outcome.caught_refusals = _caught_refusals()
    return outcome
