"""v1's script lint, statically: syntax errors and undefined names in the entry script.

v1 ran ``flake8 --select F821,E999,F823`` on the entry script; this reproduces the two checks that
matter (E999 syntax error, F821 undefined name) with the standard library only.
"""

from __future__ import annotations

import ast
import builtins
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
    if names.star:
        return []  # a star import can define anything; flake8 reports F405 instead, not F821
    checks: list[Check] = []
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


def lint_entry_script(path: Path) -> list[Check]:
    if path.suffix != ".py" or not path.is_file():
        return []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return lint_source(text, path.name)
