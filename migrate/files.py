"""Which files to look at (globs, .gitignore) and how to write them without ever damaging one."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator
from pathlib import Path

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


class _Patterns:
    """Globs matched against a file's name or its path relative to the root (compiled once)."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = patterns
        self.regex = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns)) if patterns else None
        # Plain ``*.ext`` patterns are a suffix test on the name.
        self.suffixes = tuple(p[1:] for p in patterns if p.startswith("*.") and not any(c in p[2:] for c in "*?["))
        self.only_suffixes = len(self.suffixes) == len(patterns)

    def match(self, name: str, relative: str) -> bool:
        if self.suffixes and name.endswith(self.suffixes):
            return True
        if self.only_suffixes or self.regex is None:
            return False
        return bool(self.regex.match(name) or self.regex.match(relative))


def _matches(path: Path, root: Path, patterns: tuple[str, ...]) -> bool:
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        relative = path.as_posix()
    return _Patterns(patterns).match(path.name, relative)


def discover(
    paths: list[Path],
    include: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
    respect_gitignore: bool = True,
) -> Iterator[str]:
    """Files under ``paths`` matching the default patterns plus ``include``, minus ``exclude``.

    A file named explicitly is taken if its type is supported, whatever the patterns say. Files are
    yielded as they are found (sorted within each directory), so work can start on the first ones, and
    as path strings: a ``Path`` per file would cost half as much as reading a typical tree.
    """
    wanted = _Patterns(DEFAULT_INCLUDE + tuple(include))
    unwanted = _Patterns(tuple(exclude))
    seen: set[str] = set()
    for root in paths:
        if root.is_file():
            if root.suffix in SUPPORTED_SUFFIXES and str(root) not in seen:
                seen.add(str(root))
                yield str(root)
            continue
        ignore = GitIgnore()
        base = os.path.join(str(root), "")
        for directory, dirnames, filenames in os.walk(root):
            here = Path(directory)
            relative_dir = directory[len(base) :].replace(os.sep, "/") if directory.startswith(base) else ""
            prefix = relative_dir + "/" if relative_dir else ""
            if respect_gitignore:
                ignore.load(here)
            dirnames[:] = sorted(
                d
                for d in dirnames
                if d not in ALWAYS_SKIPPED_DIRS
                and not (respect_gitignore and ignore.rules and ignore.ignored(here / d, True))
                and not (exclude and unwanted.match(d, prefix + d))
            )
            for name in sorted(filenames):
                dot = name.rfind(".")
                if dot < 0 or name[dot:] not in SUPPORTED_SUFFIXES or not wanted.match(name, prefix + name):
                    continue
                if exclude and unwanted.match(name, prefix + name):
                    continue
                full = os.path.join(directory, name)
                if respect_gitignore and ignore.rules and ignore.ignored(Path(full), False):
                    continue
                if full not in seen:
                    seen.add(full)
                    yield full


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically, keeping its permissions (a reader never sees a partial file)."""
    # Imported here: importing hpc_estimator loads the v1 package (~0.1 s), which --check never needs.
    from hpc_estimator.util.atomic import write_atomic

    write_atomic(path, data)
