"""First pass over a module: find the v1 calls and everything the rewrite decisions depend on.

The rewrite needs whole-module knowledge (a dict bound earlier, an estimator read later, a submit with
overrides in another notebook cell), so facts are collected before any node changes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import (
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    Scope,
    ScopeProvider,
)

from migrate.names import V1_MODULES, v1_class_of

# Statement boundaries: a call under one of these cannot get statements inserted before it.
_NO_STATEMENT_CONTEXT = (
    cst.Lambda,
    cst.ListComp,
    cst.SetComp,
    cst.DictComp,
    cst.GeneratorExp,
    cst.BaseCompoundStatement,
    cst.SimpleStatementSuite,
)


@dataclass
class Binding:
    """``name = value`` at module or function level."""

    value: cst.BaseExpression
    statement: cst.SimpleStatementLine | None
    scope: Scope | None
    line: int


@dataclass
class ModuleFacts:
    calls: list[tuple[cst.Call, str]] = field(default_factory=list)
    bindings: dict[str, list[Binding]] = field(default_factory=lambda: defaultdict(list))
    item_assigns: dict[str, list[tuple[cst.BaseExpression, cst.BaseExpression, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    mutated: set[str] = field(default_factory=set)
    attribute_reads: dict[str, list[tuple[str, int]]] = field(default_factory=lambda: defaultdict(list))
    submits: list[cst.Call] = field(default_factory=list)
    workspace_names: list[tuple[str, Scope | None]] = field(default_factory=list)
    star_modules: set[str] = field(default_factory=set)
    names_in_use: set[str] = field(default_factory=set)
    parameters: set[str] = field(default_factory=set)


class Analyzer(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (QualifiedNameProvider, ScopeProvider, ParentNodeProvider, PositionProvider)

    def __init__(self) -> None:
        super().__init__()
        self.facts = ModuleFacts()

    # -- helpers -------------------------------------------------------------------------------
    def line_of(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def v1_class(self, func: cst.BaseExpression) -> str | None:
        return resolve_v1_class(self, func, self.facts.star_modules)

    # -- imports -------------------------------------------------------------------------------
    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar) and node.module is not None:
            module = cst.helpers.get_full_name_for_node(node.module) or ""
            if module in V1_MODULES:
                self.facts.star_modules.add(module)

    # -- names ---------------------------------------------------------------------------------
    def visit_Name(self, node: cst.Name) -> None:
        self.facts.names_in_use.add(node.value)

    def visit_Param(self, node: cst.Param) -> None:
        self.facts.parameters.add(node.name.value)
        if node.name.value in ("ws", "workspace"):
            self.facts.workspace_names.append((node.name.value, self._scope(node)))

    def _scope(self, node: cst.CSTNode) -> Scope | None:
        try:
            return self.get_metadata(ScopeProvider, node)
        except KeyError:
            return None

    def visit_Assign(self, node: cst.Assign) -> None:
        statement = self.get_metadata(ParentNodeProvider, node)
        line = self.line_of(node)
        for target in node.targets:
            t = target.target
            if isinstance(t, cst.Name):
                stmt = statement if isinstance(statement, cst.SimpleStatementLine) else None
                self.facts.bindings[t.value].append(Binding(node.value, stmt, self._scope(node), line))
                if self._is_workspace(node.value):
                    self.facts.workspace_names.append((t.value, self._scope(node)))
            elif isinstance(t, cst.Subscript) and isinstance(t.value, cst.Name):
                sliced = t.slice
                if len(sliced) == 1 and isinstance(sliced[0].slice, cst.Index):
                    self.facts.item_assigns[t.value.value].append((sliced[0].slice.value, node.value, line))
                else:
                    self.facts.mutated.add(t.value.value)
            elif isinstance(t, cst.Tuple | cst.List):
                for element in t.elements:
                    if isinstance(element.value, cst.Name):
                        self.facts.mutated.add(element.value.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        target = node.target
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            self.facts.mutated.add(target.value.value)
        if isinstance(target, cst.Name):
            self.facts.mutated.add(target.value)

    def visit_Del(self, node: cst.Del) -> None:
        target = node.target
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            self.facts.mutated.add(target.value.value)

    def visit_For(self, node: cst.For) -> None:
        if isinstance(node.target, cst.Name):
            self.facts.mutated.add(node.target.value)

    def _is_workspace(self, value: cst.BaseExpression) -> bool:
        if isinstance(value, cst.Call):
            for qualified in self._qualified(value.func):
                if qualified.startswith(("azureml.core.Workspace", "azureml.core.workspace.Workspace")):
                    return True
        return bool(isinstance(value, cst.Attribute) and value.attr.value == "workspace")

    def _qualified(self, node: cst.CSTNode) -> set[str]:
        try:
            return {q.name for q in self.get_metadata(QualifiedNameProvider, node)}
        except KeyError:
            return set()

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if isinstance(node.value, cst.Name):
            self.facts.attribute_reads[node.value.value].append((node.attr.value, self.line_of(node)))
            if node.attr.value in ("update", "pop", "clear", "setdefault", "popitem"):
                self.facts.mutated.add(node.value.value)

    def visit_Call(self, node: cst.Call) -> None:
        cls = self.v1_class(node.func)
        if cls is not None:
            self.facts.calls.append((node, cls))
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value == "submit":
            self.facts.submits.append(node)


def resolve_v1_class(visitor: cst.MetadataDependent, func: cst.BaseExpression, star_modules: set[str]) -> str | None:
    """The v1 class a call's callee refers to, resolved through imports (aliases, star imports)."""
    try:
        qualified = visitor.get_metadata(QualifiedNameProvider, func)
    except KeyError:
        qualified = set()
    names = {q.name for q in qualified}
    for name in names:
        cls = v1_class_of(name)
        if cls is not None:
            return cls
    if isinstance(func, cst.Name) and not names:
        for module in star_modules:
            if func.value in V1_MODULES[module]:
                return v1_class_of(f"{module}.{func.value}")
    if isinstance(func, cst.Name) and names == {func.value}:
        # A name bound only by a star import shows up as its bare name.
        for module in star_modules:
            if func.value in V1_MODULES[module]:
                return v1_class_of(f"{module}.{func.value}")
    return None


def enclosing_statement(visitor: cst.MetadataDependent, node: cst.CSTNode) -> cst.SimpleStatementLine | None:
    """The simple statement line a node sits in, if statements may be inserted around it."""
    current: cst.CSTNode = node
    while True:
        try:
            parent = visitor.get_metadata(ParentNodeProvider, current)
        except KeyError:
            return None
        if isinstance(parent, cst.SimpleStatementLine):
            return parent
        if isinstance(parent, (_NO_STATEMENT_CONTEXT, cst.Module)):
            return None
        current = parent


def statement_anchor(visitor: cst.MetadataDependent, node: cst.CSTNode) -> cst.CSTNode | None:
    """The nearest statement (simple line or compound) that can carry a leading comment."""
    current: cst.CSTNode = node
    while True:
        try:
            parent = visitor.get_metadata(ParentNodeProvider, current)
        except KeyError:
            return None
        if isinstance(parent, cst.SimpleStatementLine | cst.BaseCompoundStatement):
            return parent
        if isinstance(parent, cst.Module):
            return None
        current = parent
