"""v1's submission-time checks of the source directory and the entry script, before anything is queued.

v1 accepted any ``source_directory`` and ``entry_script``/``script`` at construction (every class:
Estimator, the framework estimators, ScriptRunConfig) and checked them when the run was submitted
(``azureml._execution._commands._setup_run``): the script, joined to the source directory, must be
a file, "The script should be inside the project folder"; an absolute path inside the folder was
made relative to it. hpcest applies the same rule when a run is prepared, for a submission and for
a dry run alike, so a misspelt script fails in a second instead of after its queue wait. It also
refuses a script outside the folder even when that file exists: the job only sees the snapshot.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import replace
from pathlib import Path

from ..errors import ExperimentExecutionException, UserErrorException
from ..v1.resolved import ResolvedRun

# How many nearby Python files a message lists.
_LISTED = 12


def python_files_near(directory: Path) -> list[str]:
    """The ``.py`` files directly in ``directory`` (sorted), the candidates for a near miss."""
    try:
        return sorted(entry.name for entry in directory.iterdir() if entry.suffix == ".py" and entry.is_file())
    except OSError:
        return []


def _near_miss(script: str, source: Path) -> str:
    """"did you mean 'train.py'?" and the Python files where the script was looked for."""
    relative_dir = Path(script).parent
    directory = source / relative_dir
    names = python_files_near(directory)
    if not names and relative_dir != Path("."):
        directory, relative_dir, names = source, Path("."), python_files_near(source)
    shown = [str(relative_dir / n) if relative_dir != Path(".") else n for n in names]
    hint = ""
    close = difflib.get_close_matches(script, shown, n=1, cutoff=0.6)
    if close:
        hint = f"; did you mean {close[0]!r}?"
    if shown:
        listed = ", ".join(shown[:_LISTED]) + (f" and {len(shown) - _LISTED} more" if len(shown) > _LISTED else "")
        where = "there" if relative_dir == Path(".") else f"in {relative_dir}/"
        hint += f" Python files {where}: {listed}"
    else:
        hint += " There is no .py file there."
    return hint


def _inside(path: Path, source: Path) -> Path | None:
    """``path`` relative to ``source`` if it lies inside it (as written, or with links resolved)."""
    for candidate, root in ((path, source.absolute()), (path.resolve(), source.resolve())):
        try:
            return candidate.relative_to(root)
        except ValueError:
            continue
    return None


def check_source(run: ResolvedRun) -> ResolvedRun:
    """``run`` with its entry script relative to the source directory, or the error naming the fix."""
    source_text = run.source_directory
    source = Path(source_text)
    if not source.is_dir():
        what = "is not a directory" if source.exists() else "does not exist"
        raise UserErrorException(
            f"source_directory {source_text!r} {what} (looked for {source.resolve()}); pass the folder that "
            f"holds the training script, relative to the current directory or absolute "
            f"(e.g. os.path.dirname(os.path.abspath(__file__)) for the folder of the job file)"
        )
    script = run.script
    if script is None:
        return run  # a command: v1 checked nothing of it
    resolved_source = source.resolve()
    if os.path.isabs(script):
        inside = _inside(Path(os.path.normpath(script)), source)
        if inside is None:
            raise ExperimentExecutionException(
                f"entry script {script!r} is an absolute path outside source_directory {source_text!r}; the job only "
                f"sees the snapshot of source_directory, so the script must be inside it. Copy it there and give its "
                f"path relative to source_directory (e.g. entry_script='train.py')"
            )
        relative = inside
    else:
        normalized = os.path.normpath(script)
        if normalized == ".." or normalized.startswith(".." + os.sep):
            raise ExperimentExecutionException(
                f"entry script {script!r} points outside source_directory {source_text!r}; the job only sees the "
                f"snapshot of source_directory. Move the script into it, or make source_directory the folder that "
                f"holds both (and give the script relative to it)"
            )
        relative = Path(normalized)
    if not (resolved_source / relative).is_file():
        what = "is a directory" if (resolved_source / relative).is_dir() else "does not exist"
        raise ExperimentExecutionException(
            f"entry script {script!r} {what} in source_directory {source_text!r}"
            f"{_near_miss(str(relative), resolved_source)}"
        )
    relative_text = relative.as_posix()
    return run if relative_text == script else replace(run, script=relative_text)
