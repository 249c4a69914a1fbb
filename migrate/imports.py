"""Import edits after a rewrite: add what the new code needs, drop what the rewrite left unused.

Only names a rewrite touched are considered: an import goes when every use of its name was inside
code the rewrite replaced (``Migration.replaced_names``) and no use is left, counted without another
pass (``Counts``: the analysis pass's counts, minus the replaced code, plus the emitted code). New
``from M import ...`` names merge into an existing top-level line of M that runs before the first
use, else new lines go after the leading docstring / imports / notebook magics / cell boundaries,
wrapped in parentheses when longer than the file's lines.

Why not libcst's AddImportsVisitor/RemoveImportsVisitor: measured on bench/bench_migrate.py's
candidate files they took ~240 ms a file (scope and qualified-name metadata over a fresh copy of the
module, plus matcher set-up) against ~0.3 ms here, and a parse + codegen round trip of the same files
is ~2 ms; the benchmark target (≤ 3× the round trip) rules them out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import libcst as cst
from libcst.helpers import get_full_name_for_node

from migrate import cst_build as b
from migrate.codegen import node_code
from migrate.cst_walk import code_children
from migrate.names import V1_MODULES

# Estimator-module star imports go when the rewrite used them and none of their names remain.
STAR_MODULE_EXPORTS = {
    module: V1_MODULES[module] for module in ("azureml.train.estimator", "azureml.train.dnn", "azureml.train.sklearn")
}
MAGIC_PREFIX = "# _hpcest_magic_"
CHUNK_BOUNDARY = "_hpcest_migrate_chunk_boundary_"


class Counts:
    """References to names (not keywords, attribute names, import statements or plain assignment
    targets) and dotted references (``a.b.c``), as the analysis pass counts them."""

    def __init__(self, names: Counter[str] | None = None, dotted: Counter[str] | None = None) -> None:
        self.names: Counter[str] = names if names is not None else Counter()
        self.dotted: Counter[str] = dotted if dotted is not None else Counter()


def count(node: cst.CSTNode, counts: Counts, sign: int) -> None:
    names, dotted = counts.names, counts.dotted
    stack = [node]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is cst.Name:
            names[current.value] += sign  # type: ignore[attr-defined]
            continue
        if kind is cst.Import or kind is cst.ImportFrom:
            continue
        if kind is cst.Arg:
            stack.append(current.value)  # type: ignore[attr-defined]
            continue
        if kind is cst.Attribute:
            full = get_full_name_for_node(current)
            if full:
                dotted[full] += sign
            stack.append(current.value)  # type: ignore[attr-defined]
            continue
        if kind is cst.AssignTarget:
            target = current.target  # type: ignore[attr-defined]
            if not isinstance(target, cst.Name):
                stack.append(target)
            continue
        stack.extend(code_children(current))


def _is_import_line(statement: cst.CSTNode) -> bool:
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


def _is_magic(statement: cst.BaseStatement) -> bool:
    """A masked notebook magic (``pass  # _hpcest_magic_N_``) or an exported one (``get_ipython()...``)."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    if isinstance(small, cst.Pass):
        comment = statement.trailing_whitespace.comment
        return comment is not None and comment.value.startswith(MAGIC_PREFIX)
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        func = small.value.func
        while isinstance(func, cst.Attribute):
            func = func.value.func if isinstance(func.value, cst.Call) else func.value  # type: ignore[assignment]
        return isinstance(func, cst.Name) and func.value == "get_ipython"
    return False


def _is_magic_or_boundary(statement: cst.BaseStatement) -> bool:
    """A notebook magic or the marker between two cells."""
    if _is_magic(statement):
        return True
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    return (
        isinstance(small, cst.Expr)
        and isinstance(small.value, cst.Call)
        and isinstance(small.value.func, cst.Name)
        and small.value.func.value == CHUNK_BOUNDARY
    )


# ----------------------------------------------------------------------------------- pruning
class _Pruner:
    def __init__(self, candidates: set[str], counts: Counts) -> None:
        self.candidates = candidates
        self.counts = counts
        self.carry: list[cst.EmptyLine] = []

    def unused(self, bound: str) -> bool:
        return bound in self.candidates and self.counts.names[bound] <= 0

    def unused_dotted(self, dotted: str) -> bool:
        if dotted not in self.candidates:
            return False
        return not any(n > 0 and (d == dotted or d.startswith(dotted + ".")) for d, n in self.counts.dotted.items())

    def small(self, node: cst.BaseSmallStatement) -> cst.BaseSmallStatement | None:
        if isinstance(node, cst.ImportFrom):
            if isinstance(node.names, cst.ImportStar):
                module = get_full_name_for_node(node.module) if node.module else None
                exports = STAR_MODULE_EXPORTS.get(module or "")
                if exports and exports & self.candidates and all(self.counts.names[e] <= 0 for e in exports):
                    return None
                return node
            kept = [a for a in node.names if not self.unused(a.evaluated_alias or str(get_full_name_for_node(a.name)))]
            if len(kept) == len(node.names):
                return node
            if not kept:
                return None
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return node.with_changes(
                names=kept,
                rpar=node.rpar if len(kept) > 1 else None,
                lpar=node.lpar if len(kept) > 1 else None,
            )
        if isinstance(node, cst.Import):
            kept_aliases = []
            for alias in node.names:
                full = str(get_full_name_for_node(alias.name))
                if alias.asname is not None:
                    unused = self.unused(str(alias.evaluated_alias))
                else:
                    unused = self.unused_dotted(full) and self.counts.names[full.split(".")[0]] <= 0
                if not unused:
                    kept_aliases.append(alias)
            if len(kept_aliases) == len(node.names):
                return node
            if not kept_aliases:
                return None
            kept_aliases[-1] = kept_aliases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return node.with_changes(names=kept_aliases)
        return node

    def body(self, statements: Sequence[cst.BaseStatement]) -> list[cst.BaseStatement]:
        """A statement list with unused imports dropped, recursing into compound statements only."""
        out: list[cst.BaseStatement] = []
        for statement in statements:
            if isinstance(statement, cst.SimpleStatementLine):
                if not any(isinstance(s, cst.Import | cst.ImportFrom) for s in statement.body):
                    out.append(statement)
                    continue
                smalls = [s for s in (self.small(s) for s in statement.body) if s is not None]
                if len(smalls) == len(statement.body) and all(a is b for a, b in zip(smalls, statement.body)):
                    out.append(statement)
                elif smalls:
                    smalls[-1] = smalls[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
                    out.append(statement.with_changes(body=smalls))
                elif statement.leading_lines and any(line.comment for line in statement.leading_lines):
                    # Keep the comments that were above the removed import with what follows.
                    self.carry = list(statement.leading_lines)
                continue
            if isinstance(statement, cst.BaseCompoundStatement):
                statement = self.compound(statement)
            if self.carry:
                lines = getattr(statement, "leading_lines", [])
                statement = statement.with_changes(leading_lines=[*self.carry, *lines])
                self.carry = []
            out.append(statement)
        return out

    def suite(self, suite: cst.BaseSuite) -> cst.BaseSuite:
        if isinstance(suite, cst.IndentedBlock):
            body = self.body(suite.body)
            if not body:
                # A block whose only statement was the import (try: / def:) must stay valid Python.
                body = [cst.SimpleStatementLine([cst.Pass()])]
            return suite.with_changes(body=body)
        return suite

    def compound(self, statement: cst.BaseCompoundStatement) -> cst.BaseCompoundStatement:
        changes: dict[str, object] = {}
        if hasattr(statement, "body"):
            changes["body"] = self.suite(statement.body)
        for name in ("orelse", "finalbody"):
            part = getattr(statement, name, None)
            if part is not None and hasattr(part, "body"):
                changes[name] = part.with_changes(body=self.suite(part.body))
        handlers = getattr(statement, "handlers", None)
        if handlers:
            changes["handlers"] = [h.with_changes(body=self.suite(h.body)) for h in handlers]
        return statement.with_changes(**changes)


def prune(module: cst.Module, candidates: set[str], counts: Counts) -> cst.Module:
    if not candidates:
        return module
    pruner = _Pruner(candidates, counts)
    body = pruner.body(module.body)
    return module.with_changes(body=body)


# ----------------------------------------------------------------------------------- adding
def _bound_names(statement: cst.SimpleStatementLine) -> set[str]:
    bound: set[str] = set()
    for small in statement.body:
        if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
            bound.update(str(a.evaluated_alias or get_full_name_for_node(a.name)) for a in small.names)
        elif isinstance(small, cst.Import):
            bound.update(str(a.evaluated_alias or get_full_name_for_node(a.name)).split(".")[0] for a in small.names)
    return bound


def _comma(last: bool) -> cst.Comma | cst.MaybeSentinel:
    return cst.MaybeSentinel.DEFAULT if last else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _import_width(node: cst.ImportFrom) -> int:
    """Length of ``from m import a, b`` (no parentheses) as code generation writes it, counted from its
    parts: generating the code of every import line the rewrite touches cost more than all the rest
    of the import edits (bench/bench_migrate.py)."""
    parts: list[cst.CSTNode] = [node.whitespace_after_from, node.whitespace_before_import, node.whitespace_after_import]
    total = len("from") + len("import")
    for dot in node.relative:
        parts += [dot.whitespace_before, dot.whitespace_after]
        total += 1
    if node.module is not None:
        total += b.width(node.module)
    names = node.names
    assert not isinstance(names, cst.ImportStar)
    for index, alias in enumerate(names):
        total += b.width(alias.name)
        if alias.asname is not None:
            parts += [alias.asname.whitespace_before_as, alias.asname.whitespace_after_as]
            total += len("as") + b.width(alias.asname.name)
        if isinstance(alias.comma, cst.Comma):
            parts += [alias.comma.whitespace_before, alias.comma.whitespace_after]
            total += 1
        elif index < len(names) - 1:
            total += len(", ")  # the default comma between names
    if isinstance(node.semicolon, cst.Semicolon):
        parts += [node.semicolon.whitespace_before, node.semicolon.whitespace_after]
        total += 1
    for whitespace in parts:
        part = b.whitespace_width(whitespace)
        if part is None:
            return len(node_code(node))
        total += part
    return total


def _wrapped(node: cst.ImportFrom, budget: int, indent: str) -> cst.ImportFrom:
    """``from m import (\\n    a,\\n    b,\\n)`` when the one-line form passes the line budget."""
    if isinstance(node.names, cst.ImportStar) or node.lpar is not None or _import_width(node) <= budget:
        return node
    names = [
        alias.with_changes(
            comma=cst.Comma(
                whitespace_after=cst.ParenthesizedWhitespace(
                    first_line=cst.TrailingWhitespace(),
                    indent=True,
                    last_line=cst.SimpleWhitespace("" if index == len(node.names) - 1 else indent),
                )
            )
        )
        for index, alias in enumerate(node.names)
    ]
    return node.with_changes(
        names=names,
        lpar=cst.LeftParen(
            whitespace_after=cst.ParenthesizedWhitespace(
                first_line=cst.TrailingWhitespace(), indent=True, last_line=cst.SimpleWhitespace(indent)
            )
        ),
        rpar=cst.RightParen(),
    )


def add(
    module: cst.Module,
    needed: dict[str, set[str]],
    modules: set[str],
    first_use: set[int],
    budget: int,
    indent: str,
) -> cst.Module:
    """``needed``: module → names for ``from module import name``; ``modules``: plain ``import m``.

    ``first_use``: ids of the new top-level statements that use an emitted name; an import that only
    comes after the first of them does not count (notebooks import in later cells too, and the first
    run of the notebook would fail with a NameError).
    """
    body = list(module.body)
    first = next((i for i, statement in enumerate(body) if id(statement) in first_use), len(body))
    bound: set[str] = set()
    for statement in body[:first]:
        if _is_import_line(statement):
            bound |= _bound_names(statement)  # type: ignore[arg-type]
    missing = {mod: sorted(n for n in names if n not in bound) for mod, names in needed.items()}
    missing = {mod: names for mod, names in missing.items() if names}
    plain = sorted(m for m in modules if m not in bound)
    if not missing and not plain:
        return module

    # Merge into existing ``from M import a, b`` lines at the top level that run before the first use.
    for index, statement in enumerate(body[:first]):
        if not missing or not isinstance(statement, cst.SimpleStatementLine) or not _is_import_line(statement):
            continue
        smalls = list(statement.body)
        for position, small in enumerate(smalls):
            if not isinstance(small, cst.ImportFrom) or small.relative or isinstance(small.names, cst.ImportStar):
                continue
            name = get_full_name_for_node(small.module) if small.module else None
            if name not in missing:
                continue
            names = list(small.names)
            extra = missing.pop(name)
            if small.lpar is not None:
                # Parenthesised, one name a line: add ours the same way.
                last = names[-1]
                comma = last.comma if isinstance(last.comma, cst.Comma) else cst.Comma()
                names[-1] = last.with_changes(comma=comma)
                template = names[0].comma if len(names) > 1 else comma
                names.extend(cst.ImportAlias(name=cst.Name(new), comma=template) for new in extra)
                names[-1] = names[-1].with_changes(comma=last.comma)
                smalls[position] = small.with_changes(names=names)
                continue
            names[-1] = names[-1].with_changes(comma=_comma(False))
            names.extend(
                cst.ImportAlias(name=cst.Name(new), comma=_comma(i == len(extra) - 1)) for i, new in enumerate(extra)
            )
            smalls[position] = _wrapped(small.with_changes(names=names), budget, indent)
        body[index] = statement.with_changes(body=smalls)

    new_lines: list[cst.BaseStatement] = [
        cst.SimpleStatementLine([cst.Import(names=[cst.ImportAlias(name=cst.Name(m))])]) for m in plain
    ]
    for mod in sorted(missing):
        node = cst.ImportFrom(
            module=b.attr(mod),
            names=[
                cst.ImportAlias(name=cst.Name(n), comma=_comma(i == len(missing[mod]) - 1))
                for i, n in enumerate(missing[mod])
            ],
        )
        new_lines.append(cst.SimpleStatementLine([_wrapped(node, budget, indent)]))
    if not new_lines:
        return module.with_changes(body=body)
    # After the docstring, __future__ imports, notebook magics and the leading block of imports.
    insert_at = 0
    for index, statement in enumerate(body):
        if (index == 0 and _is_docstring(statement)) or _is_import_line(statement):
            insert_at = index + 1
        elif _is_magic_or_boundary(statement):
            if _is_magic(statement):
                insert_at = index + 1  # after a magic, within its cell
        else:
            break
    if insert_at < len(body) and not _is_magic_or_boundary(body[insert_at]):
        # Keep the following statement's own comments with it, separated from the imports by a blank line.
        following = body[insert_at]
        lines = list(following.leading_lines)
        if not lines or lines[0].comment is not None:
            body[insert_at] = following.with_changes(leading_lines=[cst.EmptyLine(), *lines])
    return module.with_changes(body=[*body[:insert_at], *new_lines, *body[insert_at:]])
