"""Add the imports the rewritten code needs, next to the module's existing imports.

Names are merged into an existing top-level ``from M import ...`` when there is one; otherwise new
``from M import ...`` lines go after the module's leading import block. This replaces libcst's
AddImportsVisitor, whose extra metadata pass (a deep copy of the tree) cost more than the rewrite.
"""

from __future__ import annotations

import libcst as cst
from libcst.helpers import get_full_name_for_node


def _is_import_line(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Import | cst.ImportFrom) for small in statement.body
    )


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


class _FirstUse(cst.CSTVisitor):
    def __init__(self, names: set[str]) -> None:
        self.names = names
        self.found: set[str] = set()

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in self.names:
            self.found.add(node.value)


def _bound_before_use(module: cst.Module, wanted: set[str]) -> set[str]:
    """Names in ``wanted`` imported at the top level *before* their first use.

    Notebooks import things in later cells too; an import that only comes after the rewritten code
    does not count, or the first run of the notebook would fail with a NameError.
    """
    bound: set[str] = set()
    used: set[str] = set()
    for statement in module.body:
        if _is_import_line(statement):
            bound.update(n for n in _bound_at_top(cst.Module(body=[statement])) if n not in used)
            continue
        visitor = _FirstUse(wanted - used)
        statement.visit(visitor)
        used |= visitor.found
    return bound & wanted


def _first_use_index(body: list[cst.BaseStatement], names: set[str]) -> int:
    for index, statement in enumerate(body):
        if _is_import_line(statement):
            continue
        visitor = _FirstUse(names)
        statement.visit(visitor)
        if visitor.found:
            return index
    return len(body)


def _bound_at_top(module: cst.Module) -> set[str]:
    bound: set[str] = set()
    for statement in module.body:
        if not _is_import_line(statement):
            continue
        for small in statement.body:  # type: ignore[attr-defined]
            if (isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar)) or isinstance(
                small, cst.Import
            ):
                bound.update(str(a.evaluated_alias or a.evaluated_name) for a in small.names)
    return bound


def add_imports(module: cst.Module, needed: dict[str, set[str]], modules: set[str]) -> cst.Module:
    """``needed``: module → names for ``from module import name``; ``modules``: plain ``import m``."""
    wanted = {n for names in needed.values() for n in names} | set(modules)
    bound = _bound_before_use(module, wanted)
    missing = {mod: sorted(n for n in names if n not in bound) for mod, names in needed.items()}
    missing = {mod: names for mod, names in missing.items() if names}
    plain = sorted(m for m in modules if m not in bound)
    if not missing and not plain:
        return module

    body = list(module.body)
    first_use = _first_use_index(body, {n for names in missing.values() for n in names})
    # Merge into existing ``from M import a, b`` lines at the top level that run before the first use.
    for index, statement in enumerate(body[:first_use]):
        if not _is_import_line(statement) or not missing:
            continue
        smalls = list(statement.body)  # type: ignore[attr-defined]
        for position, small in enumerate(smalls):
            if not isinstance(small, cst.ImportFrom) or small.relative or isinstance(small.names, cst.ImportStar):
                continue
            name = get_full_name_for_node(small.module) if small.module else None
            if name not in missing:
                continue
            names = list(small.names)
            extra = missing.pop(name)
            names[-1] = names[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            names.extend(
                cst.ImportAlias(
                    name=cst.Name(new),
                    comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                    if i < len(extra) - 1
                    else cst.MaybeSentinel.DEFAULT,
                )
                for i, new in enumerate(extra)
            )
            smalls[position] = small.with_changes(names=names)
        body[index] = statement.with_changes(body=smalls)

    new_lines: list[cst.BaseStatement] = [
        cst.SimpleStatementLine([cst.Import(names=[cst.ImportAlias(name=cst.Name(m))])]) for m in plain
    ]
    for mod in sorted(missing):
        new_lines.append(
            cst.SimpleStatementLine(
                [
                    cst.ImportFrom(
                        module=cst.parse_expression(mod),  # type: ignore[arg-type]
                        names=[
                            cst.ImportAlias(
                                name=cst.Name(n),
                                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                                if i < len(missing[mod]) - 1
                                else cst.MaybeSentinel.DEFAULT,
                            )
                            for i, n in enumerate(missing[mod])
                        ],
                    )
                ]
            )
        )
    if not new_lines:
        return module.with_changes(body=body)
    # After the docstring, __future__ imports and the leading block of imports.
    insert_at = 0
    for index, statement in enumerate(body):
        if (index == 0 and _is_docstring(statement)) or _is_import_line(statement):
            insert_at = index + 1
        else:
            break
    if insert_at < len(body):
        # Keep the following statement's own comments with it, separated from the imports by a blank line.
        following = body[insert_at]
        lines = list(following.leading_lines)
        if not lines or lines[0].comment is not None:
            body[insert_at] = following.with_changes(leading_lines=[cst.EmptyLine(), *lines])
    return module.with_changes(body=[*body[:insert_at], *new_lines, *body[insert_at:]])
