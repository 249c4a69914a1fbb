"""v1's script lint, statically: what ``flake8 --select F821,E999,F823`` reported.

v1 linted the entry script and the local modules it imports, transitively (``_show_lint_warnings``).
This reproduces the three checks with the standard library only: E999 syntax error (HPL203), F821
undefined name (HPL204), F823 local variable referenced before assignment (HPL205: a function uses a
module-level name that it assigns only later, which raises UnboundLocalError at run time).

``lint_script_tree`` is also what the compile stage calls for ``_show_lint_warnings=True``.
"""

from __future__ import annotations

import ast
import builtins
import os
import sys
from pathlib import Path

Check = tuple[str, str, str | None, int, int]

_BUILTINS = set(dir(builtins)) | {"__file__", "__name__", "__doc__", "__builtins__", "__spec__", "__path__"}


class _Names(ast.NodeVisitor):
    def __init__(self) -> None:
        self.bound: set[str] = set()
        self.loads: list[ast.Name] = []
        self.star = False

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.loads.append(node)
        else:
            self.bound.add(node.id)

    def _bind_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        if not isinstance(node, ast.Lambda):
            self.bound.add(node.name)
        a = node.args
        for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
            if arg is not None:
                self.bound.add(arg.arg)
        self.generic_visit(node)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _bind_function  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.bound.add(node.name)
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.bound.add((alias.asname or alias.name).split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*":
                self.star = True
            self.bound.add(alias.asname or alias.name)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.bound.add(node.name)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        self.bound.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.bound.update(node.names)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self.bound.add(node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self.bound.add(node.name)


def lint_source(text: str, filename: str) -> list[Check]:
    """(code, message, fix, line, col) for a syntax error or each undefined name (once per name)."""
    try:
        tree = ast.parse(text, filename=filename)
    except SyntaxError as error:
        return [
            (
                "HPL203",
                f"{filename}: syntax error: {error.msg}",
                "fix the entry script before migrating",
                error.lineno or 1,
                error.offset or 1,
            )
        ]
    names = _Names()
    names.visit(tree)
    checks: list[Check] = local_before_assignment(tree, filename)
    if names.star:
        return checks  # a star import can define anything; flake8 reports F405 instead, not F821
    reported: set[str] = set()
    for load in names.loads:
        if load.id in names.bound or load.id in _BUILTINS or load.id in reported:
            continue
        reported.add(load.id)
        checks.append(
            (
                "HPL204",
                f"{filename}:{load.lineno}: undefined name {load.id!r}",
                f"define or import {load.id!r} in the entry script",
                load.lineno,
                load.col_offset + 1,
            )
        )
    return checks


class _LocalBeforeAssignment(ast.NodeVisitor):
    """F823: in a function, a load of a name that the function assigns later and the module defines."""

    def __init__(self, module_names: set[str]) -> None:
        self.module_names = module_names
        self.found: list[ast.Name] = []

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        declared: set[str] = set()
        stores: dict[str, tuple[int, int]] = {}
        loads: list[ast.Name] = []
        arguments = {a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]}
        arguments |= {a.arg for a in (node.args.vararg, node.args.kwarg) if a is not None}
        for child in _walk_function(node):
            if isinstance(child, ast.Global | ast.Nonlocal):
                declared.update(child.names)
            elif isinstance(child, ast.AugAssign) and isinstance(child.target, ast.Name):
                loads.append(child.target)
                stores.setdefault(child.target.id, (child.target.lineno, child.target.col_offset + 1))
            elif isinstance(child, ast.Name):
                if isinstance(child.ctx, ast.Load):
                    loads.append(child)
                else:
                    stores.setdefault(child.id, (child.lineno, child.col_offset))
            elif isinstance(child, ast.Import | ast.ImportFrom):
                for alias in child.names:
                    bound = (alias.asname or alias.name).split(".")[0]
                    stores.setdefault(bound, (child.lineno, child.col_offset))
        reported: set[str] = set()
        for load in loads:
            name = load.id
            if name in declared or name in arguments or name in reported or name not in stores:
                continue
            if name in self.module_names and (load.lineno, load.col_offset) < stores[name]:
                reported.add(name)
                self.found.append(load)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]


def _walk_function(node: ast.AST) -> list[ast.AST]:
    """Nodes of a function body, not descending into nested functions, classes or lambdas."""
    found: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(node))
    while stack:
        child = stack.pop()
        if isinstance(child, ast.arguments):
            continue
        found.append(child)
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        stack.extend(ast.iter_child_nodes(child))
    found.sort(key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
    return found


def _module_level_names(tree: ast.Module) -> set[str]:
    """Names bound at module level (not inside functions, classes or lambdas)."""
    names: set[str] = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        stack.extend(ast.iter_child_nodes(node))
    return names


def local_before_assignment(tree: ast.Module, filename: str) -> list[Check]:
    visitor = _LocalBeforeAssignment(_module_level_names(tree))
    visitor.visit(tree)
    return [
        (
            "HPL205",
            f"{filename}:{load.lineno}: local variable {load.id!r} referenced before assignment",
            f"assign {load.id!r} before using it, or declare it 'global {load.id}' in the function",
            load.lineno,
            load.col_offset + 1,
        )
        for load in visitor.found
    ]


def lint_entry_script(path: Path) -> list[Check]:
    if path.suffix != ".py" or not path.is_file():
        return []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return lint_source(text, path.name)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _module_file(name: str, roots: list[Path]) -> Path | None:
    """``a.b`` → ``root/a/b.py`` or ``root/a/b/__init__.py`` under the first root that has it."""
    parts = name.split(".")
    for root in roots:
        candidate = root.joinpath(*parts)
        for path in (candidate.with_suffix(".py"), candidate / "__init__.py"):
            try:
                if path.is_file():
                    return path
            except OSError:
                continue
    return None


def imported_modules(tree: ast.Module, path: Path) -> list[tuple[str, int]]:
    """(absolute module name, level) of each import; relative imports resolved against ``path``."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            found.append((base, node.level))
            found.extend((f"{base}.{alias.name}" if base else alias.name, node.level) for alias in node.names)
    return found


# v1's walk of the source directory skipped these (``_get_local_candidates_full_path``).
_NOT_LOCAL_DIRS = frozenset({".hg", ".svn", ".git", ".tox", "__pycache__", "env", "venv"})
# A source directory this big is not a project (a home directory, a data tree): stop looking.
_MAX_WALKED = 20_000


def local_candidates(source_directory: Path) -> dict[str, list[Path]]:
    """What v1 took for local code (``_get_local_candidates_full_path``): every ``.py`` file's stem
    and every directory's name anywhere under the source directory (itself included), with their
    paths. Broader than Python's own lookup: an entry script that extends ``sys.path``
    (``sys.path.append("lib")``) imports from subdirectories, and v1 neither reported those imports
    as missing packages nor skipped linting them."""
    found: dict[str, list[Path]] = {source_directory.resolve().name: [source_directory]}
    pending = [source_directory]
    walked = 0
    while pending and walked < _MAX_WALKED:
        directory = pending.pop()
        try:
            with os.scandir(directory) as entries:
                listed = sorted(entries, key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in listed:
            walked += 1
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir and entry.name not in _NOT_LOCAL_DIRS:
                found.setdefault(entry.name, []).append(Path(entry.path))
                pending.append(Path(entry.path))
            elif not is_dir and entry.name.endswith(".py"):
                found.setdefault(entry.name[:-3], []).append(Path(entry.path))
    return found


def local_module_files(
    entry_script: Path, source_directory: Path, candidates: dict[str, list[Path]] | None = None
) -> list[tuple[Path, ast.Module | None, str]]:
    """The entry script and every local module it imports, transitively: (path, tree or None, text).
    ``candidates`` is ``local_candidates(source_directory)`` when the caller has it already (else the
    source directory is walked once Python's own lookup finds nothing)."""
    results: list[tuple[Path, ast.Module | None, str]] = []
    seen: set[Path] = set()
    queue = [entry_script]
    while queue:
        path = queue.pop(0)
        try:
            resolved = path.resolve()
        except OSError:
            continue
        if resolved in seen:
            continue
        seen.add(resolved)
        text = _read(path)
        if text is None:
            continue
        try:
            tree: ast.Module | None = ast.parse(text, filename=str(path))
        except (SyntaxError, ValueError):
            tree = None
        results.append((path, tree, text))
        if tree is None:
            continue
        roots = [path.parent, source_directory]
        for name, level in imported_modules(tree, path):
            if not name and not level:
                continue
            if level:
                package = path.parent
                for _ in range(level - 1):
                    package = package.parent
                found = _module_file(name, [package]) if name else None
            else:
                found = _module_file(name, roots)
                top = name.split(".")[0]
                if found is None and top not in sys.stdlib_module_names:
                    # Like v1, any file of that name under the source directory (an entry script
                    # that extends sys.path imports from a subdirectory).
                    if candidates is None:
                        candidates = local_candidates(source_directory)
                    queue.extend(p for p in candidates.get(top, ()) if p.suffix == ".py")
            if found is not None:
                queue.append(found)
    return results


def display_name(path: Path, source_directory: Path) -> str:
    try:
        return path.relative_to(source_directory).as_posix()
    except ValueError:
        return path.name


def lint_script_tree(entry_script: Path, source_directory: Path) -> list[Check]:
    """v1's lint of the entry script and its local modules (transitively); messages name each file."""
    checks: list[Check] = []
    for path, _, text in local_module_files(entry_script, source_directory):
        if path.suffix != ".py":
            continue
        checks.extend(lint_source(text, display_name(path, source_directory)))
    return checks
