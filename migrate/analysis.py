"""The one analysis pass over a module: v1 calls resolved through imports, bindings, attribute uses.

The rewrite needs whole-module knowledge (a dict bound earlier, an estimator read later, a submit with
overrides in another notebook cell), so facts are collected before any node changes.

Speed: libcst's ScopeProvider/QualifiedNameProvider/ParentNodeProvider/PositionProvider cost ~20 ms a
file against ~2 ms for a parse + codegen round trip (bench/bench_migrate.py). This visitor tracks the
few things the rules need itself, in one walk: the import table per function scope (what a callee's
dotted name means), the parent of every node, the enclosing function of every binding, and the
source order of nodes (``order``), which stands in for line numbers. Positions are computed only when
a finding has to be reported or a hoisted call laid out, and only for those nodes (``Facts.positions``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import libcst as cst
from libcst.helpers import get_full_name_for_node

from migrate.cst_walk import code_walk, drive
from migrate.names import V1_MODULES, v1_class_of
from migrate.positions import start_positions

COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
Comprehension = cst.ListComp | cst.SetComp | cst.DictComp | cst.GeneratorExp
# Statement boundaries: a call under one of these cannot get statements inserted before it.
_NO_STATEMENT_CONTEXT = (cst.Lambda, *COMPREHENSIONS, cst.BaseCompoundStatement, cst.SimpleStatementSuite)
_SCOPE_TYPES = frozenset({cst.FunctionDef, cst.ClassDef, cst.Lambda})
Scope = cst.CSTNode | None  # the enclosing def/class/lambda, None for the module


@dataclass
class Binding:
    """``name = value`` at module or function level."""

    value: cst.BaseExpression
    statement: cst.SimpleStatementLine | None
    scope: Scope
    order: int


@dataclass
class AttributeUse:
    attr: str
    order: int
    node: cst.Attribute
    store: bool  # the attribute (or something under it) is assigned to


@dataclass
class Facts:
    module: cst.Module
    calls: list[tuple[cst.Call, str]] = field(default_factory=list)
    bindings: dict[str, list[Binding]] = field(default_factory=lambda: defaultdict(list))
    item_assigns: dict[str, list[tuple[cst.BaseExpression, cst.BaseExpression, int, cst.CSTNode]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    mutated: set[str] = field(default_factory=set)
    attribute_uses: dict[str, list[AttributeUse]] = field(default_factory=lambda: defaultdict(list))
    submits: list[cst.Call] = field(default_factory=list)
    workspace_names: list[tuple[str, Scope]] = field(default_factory=list)
    star_modules: set[str] = field(default_factory=set)
    # References as migrate.imports.Counts counts them: not keywords, attribute names, names in import
    # statements or plain assignment targets; dotted: every ``a.b.c`` attribute chain.
    name_counts: Counter[str] = field(default_factory=Counter)
    dotted_counts: Counter[str] = field(default_factory=Counter)
    all_names: set[str] = field(default_factory=set)  # every identifier spelled in the module
    parameters: set[str] = field(default_factory=set)
    unimported_calls: list[tuple[cst.Call, str]] = field(default_factory=list)
    imports: list[cst.ImportFrom | cst.Import] = field(default_factory=list)
    parent: dict[cst.CSTNode, cst.CSTNode] = field(default_factory=dict)
    order: dict[cst.CSTNode, int] = field(default_factory=dict)
    scope_of: dict[cst.CSTNode, Scope] = field(default_factory=dict)
    # scope -> bound name -> qualified names it was imported as
    import_table: dict[Scope, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(dict))
    _positions: dict[cst.CSTNode, tuple[int, int]] = field(default_factory=dict)
    # every name some import binds, in any scope (import_table's keys, for a quick no in ``qualified``)
    imported_heads: set[str] = field(default_factory=set)

    @property
    def names_in_use(self) -> set[str]:
        return self.all_names

    # -- positions (lazy) ----------------------------------------------------------------------
    def positions(self, nodes: Iterable[cst.CSTNode]) -> list[tuple[int, int]]:
        """(1-based line, 1-based column) of each node of the analysed module; (1, 1) if not in it.

        Positions cost a code generation of the module, so callers ask for all they need at once.
        """
        nodes = list(nodes)
        missing = [node for node in nodes if node not in self._positions]
        if missing:
            found = start_positions(self.module, missing)
            for node in missing:
                self._positions[node] = found.get(node, (1, 1))
        return [self._positions.get(node, (1, 1)) for node in nodes]

    # -- structure -----------------------------------------------------------------------------
    def parent_of(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parent.get(node)

    def scope(self, node: cst.CSTNode) -> Scope:
        """The innermost def/class/lambda around ``node`` (None: the module)."""
        current = self.parent.get(node)
        while current is not None:
            if type(current) in _SCOPE_TYPES:  # final types: isinstance costs an ABC check per ancestor
                return current
            current = self.parent.get(current)
        return None

    def order_of(self, node: cst.CSTNode) -> int:
        current: cst.CSTNode | None = node
        while current is not None:
            if current in self.order:
                return self.order[current]
            current = self.parent.get(current)
        return 0

    def enclosing_statement(self, node: cst.CSTNode) -> cst.SimpleStatementLine | None:
        """The simple statement line a node sits in, if statements may be inserted around it."""
        current = node
        while True:
            parent = self.parent.get(current)
            if parent is None or isinstance(parent, (_NO_STATEMENT_CONTEXT, cst.Module)):
                return None
            if isinstance(parent, cst.SimpleStatementLine):
                return parent
            current = parent

    def statement_around_comprehensions(
        self, node: cst.CSTNode
    ) -> tuple[cst.SimpleStatementLine, set[str]] | None:
        """The simple statement line around the comprehensions ``node`` is built in, with the names
        their ``for`` clauses bind (statements inserted before the line run once, outside them);
        None when something else (a lambda, a compound or one-line block) is in the way."""
        bound: set[str] = set()
        current = node
        while True:
            parent = self.parent.get(current)
            if parent is None or isinstance(parent, cst.Module):
                return None
            if isinstance(parent, cst.SimpleStatementLine):
                return parent, bound
            if isinstance(parent, COMPREHENSIONS):
                clause: cst.CompFor | None = parent.for_in
                while clause is not None:
                    bound.update(n.value for n in code_walk(clause.target) if isinstance(n, cst.Name))
                    clause = clause.inner_for_in
            elif isinstance(parent, _NO_STATEMENT_CONTEXT):
                return None
            current = parent

    def comprehension_around(self, node: cst.CSTNode, stop: cst.CSTNode) -> Comprehension | None:
        """The innermost comprehension ``node`` is built in, below ``stop``."""
        current = self.parent.get(node)
        while current is not None and current is not stop:
            if isinstance(current, COMPREHENSIONS):
                return current
            current = self.parent.get(current)
        return None

    def statement_anchor(self, node: cst.CSTNode) -> cst.CSTNode | None:
        """The nearest statement (simple line or compound) that can carry a leading comment."""
        current = node
        while True:
            parent = self.parent.get(current)
            if parent is None or isinstance(parent, cst.Module):
                return None
            if isinstance(parent, cst.SimpleStatementLine | cst.BaseCompoundStatement):
                return parent
            current = parent

    def assigned_name(self, call: cst.CSTNode) -> str | None:
        parent = self.parent.get(call)
        if isinstance(parent, cst.Assign) and parent.value is call and len(parent.targets) == 1:
            target = parent.targets[0].target
            if isinstance(target, cst.Name):
                return target.value
        return None

    # -- names ---------------------------------------------------------------------------------
    def qualified(self, node: cst.BaseExpression) -> set[str]:
        """Qualified names a callee may refer to, through the imports of its scope and the module's."""
        dotted = _dotted_name(node)
        if not dotted:
            return set()
        head, _, rest = dotted.partition(".")
        if head not in self.imported_heads:
            return set()  # most callees (methods of local objects): no import binds their first name
        scopes: list[Scope] = []
        scope = self.scope(node)
        while scope is not None:
            scopes.append(scope)
            scope = self.scope_of.get(scope)
        scopes.append(None)
        for scope in scopes:
            table = self.import_table.get(scope)
            if table and head in table:
                return {f"{q}.{rest}" if rest else q for q in table[head]}
        return set()

    def v1_names(self, func: cst.BaseExpression) -> set[str]:
        """``qualified``, or for a bare name imported by nothing else, what a ``from <v1 module> import *``
        of the module's would bind it to."""
        names = self.qualified(func)
        if not names and isinstance(func, cst.Name):
            names = {f"{module}.{func.value}" for module in self.star_modules if func.value in V1_MODULES[module]}
        return names

    def v1_class(self, func: cst.BaseExpression) -> str | None:
        for name in self.v1_names(func):
            cls = v1_class_of(name)
            if cls is not None:
                return cls
        return None

    def is_bound(self, name: str) -> bool:
        """Bound anywhere in the module (import, assignment, def, parameter)."""
        return (
            name in self.bindings
            or name in self.parameters
            or any(name in table for table in self.import_table.values())
            or name in self.defined
        )

    defined: set[str] = field(default_factory=set)  # def/class/for/with names


def _dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a chain of names (libcst's ``get_full_name_for_node`` for anything else)."""
    parts: list[str] = []
    current: cst.BaseExpression = node
    while type(current) is cst.Attribute:
        parts.append(current.attr.value)  # type: ignore[attr-defined]
        current = current.value  # type: ignore[attr-defined]
    if type(current) is not cst.Name:
        return get_full_name_for_node(node)
    parts.append(current.value)  # type: ignore[attr-defined]
    return ".".join(reversed(parts))


# Parameters of a call that only v1 estimators take together (to recognise calls whose import is missing).
_ESTIMATOR_KEYWORDS = {"entry_script", "script_params", "source_directory", "compute_target"}


class Analyzer:
    """Driven by :func:`migrate.cst_walk.drive` (libcst's own visitor dispatch costs ~5× more)."""

    def __init__(self, module: cst.Module) -> None:
        self.facts = Facts(module)
        self._scopes: list[cst.CSTNode] = []
        self._counter = 0
        self._stores: set[cst.CSTNode] = set()
        self._calls: list[cst.Call] = []
        self._in_import = 0
        self._not_counted: cst.CSTNode | None = None

    EXIT_TYPES = _SCOPE_TYPES  # exit: where a scope ends

    def enter(self, node: cst.CSTNode) -> None:
        self._counter += 1
        if type(node) in _SCOPE_TYPES:
            self.facts.scope_of[node] = self._scopes[-1] if self._scopes else None
            self._scopes.append(node)

    def exit(self, node: cst.CSTNode) -> None:
        if type(node) in _SCOPE_TYPES:  # also called after leave_ methods
            self._scopes.pop()

    def _scope(self) -> Scope:
        # The node being visited is on the stack; a def's own name belongs to the outer scope.
        return self._scopes[-1] if self._scopes else None

    def _record(self, node: cst.CSTNode) -> int:
        self.facts.order[node] = self._counter
        return self._counter

    # -- imports -------------------------------------------------------------------------------
    def leave_ImportFrom(self, original_node: cst.ImportFrom) -> None:
        self._in_import -= 1

    def leave_Import(self, original_node: cst.Import) -> None:
        self._in_import -= 1

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        if isinstance(node.target, cst.Name):
            self._not_counted = node.target

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._in_import += 1
        self.facts.imports.append(node)
        if node.relative or node.module is None:
            return
        module = get_full_name_for_node(node.module) or ""
        if isinstance(node.names, cst.ImportStar):
            if module in V1_MODULES:
                self.facts.star_modules.add(module)
            return
        table = self.facts.import_table[self._scope()]
        for alias in node.names:
            name = get_full_name_for_node(alias.name) or ""
            self._bind_import(table, alias.evaluated_alias or name, f"{module}.{name}")

    def visit_Import(self, node: cst.Import) -> None:
        self._in_import += 1
        self.facts.imports.append(node)
        table = self.facts.import_table[self._scope()]
        for alias in node.names:
            name = get_full_name_for_node(alias.name) or ""
            if alias.asname is not None:
                self._bind_import(table, str(alias.evaluated_alias), name)
            else:
                head = name.split(".")[0]
                self._bind_import(table, head, head)

    def _bind_import(self, table: dict[str, set[str]], bound: str, qualified: str) -> None:
        table.setdefault(bound, set()).add(qualified)
        self.facts.imported_heads.add(bound)

    # -- names ---------------------------------------------------------------------------------
    def visit_Name(self, node: cst.Name) -> None:
        self.facts.all_names.add(node.value)
        if not self._in_import and node is not self._not_counted:
            self.facts.name_counts[node.value] += 1

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.facts.name_counts[node.keyword.value] -= 1  # a keyword is not a use of a variable

    def visit_Param(self, node: cst.Param) -> None:
        self.facts.parameters.add(node.name.value)
        if node.name.value in ("ws", "workspace"):
            self.facts.workspace_names.append((node.name.value, self._scope()))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.facts.defined.add(node.name.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.facts.defined.add(node.name.value)

    def visit_AsName(self, node: cst.AsName) -> None:
        if isinstance(node.name, cst.Name):
            self.facts.defined.add(node.name.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        statement = self.facts.parent.get(node)
        order = self._record(node)
        scope = self._scope()
        for target in node.targets:
            t = target.target
            if isinstance(t, cst.Name):
                stmt = statement if isinstance(statement, cst.SimpleStatementLine) else None
                self.facts.bindings[t.value].append(Binding(node.value, stmt, scope, order))
                if self._is_workspace(node.value):
                    self.facts.workspace_names.append((t.value, scope))
            elif isinstance(t, cst.Subscript) and isinstance(t.value, cst.Name):
                sliced = t.slice
                if len(sliced) == 1 and isinstance(sliced[0].slice, cst.Index):
                    stmt_node = statement if statement is not None else node
                    self.facts.item_assigns[t.value.value].append((sliced[0].slice.value, node.value, order, stmt_node))
                else:
                    self.facts.mutated.add(t.value.value)
            elif isinstance(t, cst.Tuple | cst.List):
                for element in t.elements:
                    if isinstance(element.value, cst.Name):
                        self.facts.mutated.add(element.value.value)
                        self.facts.defined.add(element.value.value)
            elif isinstance(t, cst.Attribute):
                self._store(t)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name):
            self.facts.defined.add(node.target.value)
            if node.value is not None:
                order = self._record(node)
                statement = self.facts.parent.get(node)
                stmt = statement if isinstance(statement, cst.SimpleStatementLine) else None
                self.facts.bindings[node.target.value].append(Binding(node.value, stmt, self._scope(), order))
        elif isinstance(node.target, cst.Attribute):
            self._store(node.target)

    def _store(self, target: cst.Attribute) -> None:
        """``est.a.b = v``: remember the store on the root name's first attribute."""
        node: cst.BaseExpression = target
        while isinstance(node, cst.Attribute) and isinstance(node.value, cst.Attribute):
            node = node.value
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            self._stores.add(node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        target = node.target
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            self.facts.mutated.add(target.value.value)
        if isinstance(target, cst.Name):
            self.facts.mutated.add(target.value)
        if isinstance(target, cst.Attribute):
            self._store(target)

    def visit_Del(self, node: cst.Del) -> None:
        target = node.target
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            self.facts.mutated.add(target.value.value)

    def visit_For(self, node: cst.For) -> None:
        if isinstance(node.target, cst.Name):
            self.facts.mutated.add(node.target.value)
            self.facts.defined.add(node.target.value)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        if isinstance(node.target, cst.Name):
            self.facts.defined.add(node.target.value)

    def _is_workspace(self, value: cst.BaseExpression) -> bool:
        if isinstance(value, cst.Call):
            for qualified in self.facts.qualified(value.func):
                if qualified.startswith(("azureml.core.Workspace", "azureml.core.workspace.Workspace")):
                    return True
        return bool(isinstance(value, cst.Attribute) and value.attr.value == "workspace")

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if not self._in_import:
            self.facts.name_counts[node.attr.value] -= 1  # ``x.name`` does not use a variable ``name``
            dotted = get_full_name_for_node(node)
            if dotted:
                self.facts.dotted_counts[dotted] += 1
        if isinstance(node.value, cst.Name):
            order = self._counter
            self.facts.attribute_uses[node.value.value].append(
                AttributeUse(node.attr.value, order, node, node in self._stores)
            )
            if node.attr.value in (
                "update",
                "pop",
                "clear",
                "setdefault",
                "popitem",
                "move_to_end",
                "append",
                "extend",
                "insert",
                "remove",
            ):
                self.facts.mutated.add(node.value.value)

    def visit_Call(self, node: cst.Call) -> None:
        self._record(node)
        self._calls.append(node)

    def analyse(self) -> Facts:
        drive(self, self.facts.module, self.facts.parent)
        # Callees are resolved after the walk: notebooks and docs import in a later cell/block too.
        for node in self._calls:
            cls = self.facts.v1_class(node.func)
            if cls is not None:
                self.facts.calls.append((node, cls))
            elif isinstance(node.func, cst.Attribute) and node.func.attr.value == "submit":
                self.facts.submits.append(node)
            elif isinstance(node.func, cst.Name) and node.func.value in _UNIMPORTED_CANDIDATES:
                keywords = {a.keyword.value for a in node.args if a.keyword is not None}
                if keywords & _ESTIMATOR_KEYWORDS and not self.facts.is_bound(node.func.value):
                    self.facts.unimported_calls.append((node, node.func.value))
        return self.facts


_UNIMPORTED_CANDIDATES = {"Estimator", "PyTorch", "TensorFlow", "Chainer", "SKLearn", "EstimatorStep"}


def analyse(module: cst.Module) -> Facts:
    return Analyzer(module).analyse()
