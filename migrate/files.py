"""Which files to look at (globs, .gitignore) and how to write them without ever damaging one."""

from __future__ import annotations

import fnmatch
import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DEFAULT_INCLUDE = ("*.py", "*.ipynb")
ALWAYS_SKIPPED_DIRS = {".git", ".hg", ".svn", ".ipynb_checkpoints", "__pycache__", ".tox", ".nox"}
SUPPORTED_SUFFIXES = {".py", ".ipynb", ".md", ".markdown"}


class GitIgnore:
    """The subset of gitignore rules that matters for source trees: globs, anchors, dirs, negation."""

    def __init__(self) -> None:
        self.rules: list[tuple[Path, str, bool, bool, bool]] = []  # base, pattern, negate, dir_only, anchored

    def load(self, directory: Path) -> None:
        path = directory / ".gitignore"
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        for raw in text.splitlines():
            line = raw.rstrip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            if negate:
                line = line[1:]
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            anchored = "/" in line
            self.rules.append((directory, line.lstrip("/"), negate, dir_only, anchored))

    def ignored(self, path: Path, is_dir: bool) -> bool:
        result = False
        for base, pattern, negate, dir_only, anchored in self.rules:
            if dir_only and not is_dir:
                continue
            try:
                relative = path.relative_to(base).as_posix()
            except ValueError:
                continue
            if anchored:
                matched = fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(
                    relative, pattern.replace("**/", "")
                )
            else:
                matched = fnmatch.fnmatchcase(path.name, pattern)
            if matched:
                result = not negate
        return result


def _matches(path: Path, root: Path, patterns: tuple[str, ...]) -> bool:
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        relative = path.as_posix()
    return any(fnmatch.fnmatchcase(path.name, p) or fnmatch.fnmatchcase(relative, p) for p in patterns)


def discover(
    paths: list[Path],
    include: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
    respect_gitignore: bool = True,
) -> Iterator[Path]:
    """Files under ``paths`` matching the default patterns plus ``include``, minus ``exclude``.

    A file named explicitly is taken if its type is supported, whatever the patterns say.
    """
    patterns = DEFAULT_INCLUDE + tuple(include)
    seen: set[Path] = set()
    for root in paths:
        if root.is_file():
            if root.suffix in SUPPORTED_SUFFIXES and root not in seen:
                seen.add(root)
                yield root
            continue
        ignore = GitIgnore()
        for directory, dirnames, filenames in os.walk(root):
            here = Path(directory)
            if respect_gitignore:
                ignore.load(here)
            dirnames[:] = sorted(
                d
                for d in dirnames
                if d not in ALWAYS_SKIPPED_DIRS
                and not (respect_gitignore and ignore.ignored(here / d, True))
                and not _matches(here / d, root, exclude)
            )
            for name in sorted(filenames):
                path = here / name
                if path.suffix not in SUPPORTED_SUFFIXES or not _matches(path, root, patterns):
                    continue
                if _matches(path, root, exclude) or (respect_gitignore and ignore.ignored(path, False)):
                    continue
                if path not in seen:
                    seen.add(path)
                    yield path


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically, keeping its permissions (a reader never sees a partial file)."""
    # Imported by name (and only when writing) so that type-checking migrate does not descend into
    # hpc_estimator; this and framework_data's lines are migrate's only hpc_estimator imports.
    atomic: Any = importlib.import_module("hpc_estimator.atomic")
    atomic.write_atomic(path, data)
