"""Fast walking and targeted rebuilding of libcst trees.

libcst's visitor machinery calls several hooks per node and per field (``on_visit_attribute``...);
over a whole module that is ~5× the cost of reading the same fields directly. The migration visits
every node once (analysis) and changes a handful, so:

* ``drive(visitor, module, parent)`` walks every code node in source order (whitespace, comments,
  brackets and operators are left out), recording each one's parent and calling ``visitor.enter(node)``,
  the visitor's ``visit_<Type>`` / ``leave_<Type>`` methods if it has them (a ``visit_`` method
  returning False skips the children, as in libcst) and ``visitor.exit(node)`` for the types it asks for;
* ``rebuild(module, parent, edits)`` replaces the edited nodes and rebuilds only their ancestors
  (path copying), instead of a transformer pass over the whole tree.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Iterator
from typing import Any

import libcst as cst

_FIELDS: dict[type, tuple[str, ...]] = {}


def fields(kind: type) -> tuple[str, ...]:
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind))
    return names


def subclass_of(kind: type, bases: frozenset[type]) -> bool:
    """``issubclass(kind, tuple(bases))`` read off the MRO. libcst's node bases are ABCs, whose check
    walks every subclass before it answers no (~0.2 ms for a new type against CSTNode, on the first
    file of each run); libcst registers no virtual subclasses, so the MRO is the whole answer."""
    return any(base in bases for base in kind.__mro__)


_NODE_BASE = frozenset({cst.CSTNode})
_IS_NODE: dict[type, bool] = {}


def is_node(value: object) -> bool:
    """``isinstance(value, cst.CSTNode)`` without the ABC machinery (cached per type)."""
    kind = type(value)
    known = _IS_NODE.get(kind)
    if known is None:
        known = _IS_NODE[kind] = subclass_of(kind, _NODE_BASE)
    return known


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Child nodes in field order (which is source order for the nodes the rules look at)."""
    found: list[cst.CSTNode] = []
    for name in fields(type(node)):
        value = getattr(node, name)
        kind = type(value)
        if kind is list or kind is tuple:
            found.extend(item for item in value if is_node(item))
        elif is_node(value):
            found.append(value)
    return found


_TRIVIA_BASES = frozenset({
    cst.BaseParenthesizableWhitespace,
    cst.TrailingWhitespace,
    cst.EmptyLine,
    cst.Newline,
    cst.Comment,
    cst.Comma,
    cst.AssignEqual,
    cst.Dot,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.Colon,
    cst.Semicolon,
    cst.BaseBinaryOp,
    cst.BaseBooleanOp,
    cst.BaseCompOp,
    cst.BaseUnaryOp,
    cst.BaseAugOp,
    cst.ImportStar,
})
_CODE: dict[type, bool] = {}


def _may_hold_code(annotation: Any) -> bool:
    """False when a field's annotation only allows trivia, strings, flags or sentinels."""
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return False
    if origin is not None:
        return any(_may_hold_code(argument) for argument in typing.get_args(annotation))
    if annotation in (str, bool, int, type(None)):
        return False
    if isinstance(annotation, type) and issubclass(annotation, cst.MaybeSentinel):
        return False
    if isinstance(annotation, type) and subclass_of(annotation, _NODE_BASE):
        return not subclass_of(annotation, _TRIVIA_BASES)
    return True  # anything else (a forward reference...): look at the value


_CODE_FIELDS: dict[type, tuple[str, ...]] = {}


def code_fields(kind: type) -> tuple[str, ...]:
    """The fields of a node type that can hold code nodes (whitespace, punctuation, strings left out)."""
    names = _CODE_FIELDS.get(kind)
    if names is None:
        names = _CODE_FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind) if _may_hold_code(f.type))
    return names


def code_children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Child nodes that are code: whitespace, comments, brackets and operators left out (they hold
    no names; skipping them halves a walk). Fields whose type only allows those are not even read."""
    found: list[cst.CSTNode] = []
    for name in code_fields(type(node)):
        value = getattr(node, name)
        kind = type(value)
        if kind is list or kind is tuple:
            for item in value:
                item_kind = type(item)
                code = _CODE.get(item_kind)
                if code is None:
                    code = _CODE[item_kind] = is_node(item) and not subclass_of(item_kind, _TRIVIA_BASES)
                if code:
                    found.append(item)
        else:
            code = _CODE.get(kind)
            if code is None:
                code = _CODE[kind] = is_node(value) and not subclass_of(kind, _TRIVIA_BASES)
            if code:
                found.append(value)
    return found


def _may_hold_node(annotation: Any) -> bool:
    """False when a field's annotation only allows strings, flags or sentinels."""
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return False
    if origin is not None:
        return any(_may_hold_node(argument) for argument in typing.get_args(annotation))
    if annotation in (str, bool, int, type(None)):
        return False
    return not (isinstance(annotation, type) and issubclass(annotation, cst.MaybeSentinel))


_NODE_FIELDS: dict[type, tuple[str, ...]] = {}


def node_fields(kind: type) -> tuple[str, ...]:
    """The fields of a node type that can hold nodes (trivia included; strings and flags left out)."""
    names = _NODE_FIELDS.get(kind)
    if names is None:
        names = _NODE_FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind) if _may_hold_node(f.type))
    return names


def comments(node: cst.CSTNode) -> list[str]:
    """The text of every comment under ``node`` in source order (``walk`` reading only the fields
    that can hold nodes: ~1.6x faster over a call)."""
    found: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is cst.Comment:
            found.append(current.value)  # type: ignore[attr-defined]
            continue
        kids: list[cst.CSTNode] = []
        for name in node_fields(kind):
            value = getattr(current, name)
            value_kind = type(value)
            if value_kind is list or value_kind is tuple:
                kids.extend(item for item in value if is_node(item))
            elif is_node(value):
                kids.append(value)
        stack.extend(reversed(kids))
    return found


def code_walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every code node under ``node`` (included): no whitespace, comments or punctuation."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(code_children(current))


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node under ``node`` (included), in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


Methods = tuple[Callable[..., Any] | None, Callable[..., Any] | None, bool]
_METHODS: dict[type, dict[type, Methods]] = {}


def drive(visitor: Any, root: cst.CSTNode, parent: dict[cst.CSTNode, cst.CSTNode]) -> None:
    """Walk ``root``'s code nodes, filling ``parent`` (child -> parent) on the way.

    ``visitor.exit(node)`` follows the node's children only for the types in ``visitor.EXIT_TYPES``
    and the types it has a ``leave_`` method for: the others would only pay a second visit.
    """
    methods_of = _METHODS.setdefault(type(visitor), {})
    enter, leave_all, exit_types = visitor.enter, visitor.exit, visitor.EXIT_TYPES
    stack: list[tuple[cst.CSTNode, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        kind = type(node)
        methods = methods_of.get(kind)
        if methods is None:
            leave = getattr(type(visitor), f"leave_{kind.__name__}", None)
            methods = methods_of[kind] = (
                getattr(type(visitor), f"visit_{kind.__name__}", None),
                leave,
                leave is not None or kind in exit_types,
            )
        if leaving:
            if methods[1] is not None:
                methods[1](visitor, node)
            leave_all(node)
            continue
        enter(node)
        if methods[2]:
            stack.append((node, True))
        if methods[0] is not None and methods[0](visitor, node) is False:
            continue
        for child in reversed(code_children(node)):
            parent[child] = node
            stack.append((child, False))


Edit = Callable[[cst.CSTNode], Any]


def _depth(node: cst.CSTNode, parent: dict[cst.CSTNode, cst.CSTNode], depth: dict[cst.CSTNode, int]) -> int:
    """Depth of ``node`` below the root, memoised in ``depth`` (a loop, not a recursive closure: the
    closure would be a reference cycle holding the parent map, i.e. the whole tree, until a
    collection)."""
    chain: list[cst.CSTNode] = []
    current: cst.CSTNode | None = node
    found = -1
    while current is not None:
        known = depth.get(current)
        if known is not None:
            found = known
            break
        chain.append(current)
        current = parent.get(current)
    for item in reversed(chain):
        found += 1
        depth[item] = found
    return depth[node]


def rebuild(
    module: cst.Module,
    parent: dict[cst.CSTNode, cst.CSTNode],
    edits: dict[cst.CSTNode, Edit],
    on_edit: Callable[[cst.CSTNode, Any], Any] | None = None,
    finish: Callable[[cst.CSTNode, Any], Any] | None = None,
) -> tuple[cst.Module, dict[cst.CSTNode, Any]]:
    """``module`` with ``edits[node](updated node)`` applied to each edited node.

    An edit receives the node with its own edited descendants already applied (like a transformer's
    ``updated_node``) and returns a node, a ``FlattenSentinel`` (in a sequence) or a
    ``RemovalSentinel``. Only edited nodes and their ancestors are rebuilt. ``on_edit(original,
    result)`` is called after each edit, ``finish(original, result)`` on every rebuilt node (edited
    or an ancestor of one) and may replace the result. Returns the new module and original → new for every
    rebuilt node.
    """
    depth: dict[cst.CSTNode, int] = {}

    def depth_of(node: cst.CSTNode) -> int:
        return _depth(node, parent, depth)

    dirty: set[cst.CSTNode] = set()
    for node in edits:
        current: cst.CSTNode | None = node
        while current is not None and current not in dirty:
            dirty.add(current)
            current = parent.get(current)
    if module not in dirty:
        return module, {}
    updated: dict[cst.CSTNode, Any] = {}
    for node in sorted(dirty, key=depth_of, reverse=True):
        changes: dict[str, Any] = {}
        for name in fields(type(node)):
            value = getattr(node, name)
            kind = type(value)
            if kind is list or kind is tuple:
                if not any(is_node(v) and v in updated for v in value):
                    continue
                items: list[Any] = []
                for item in value:
                    new = updated.get(item, item) if is_node(item) else item
                    if isinstance(new, cst.FlattenSentinel):
                        items.extend(new.nodes)
                    elif isinstance(new, cst.RemovalSentinel):
                        continue
                    else:
                        items.append(new)
                if isinstance(node, cst.IndentedBlock) and name == "body" and not items:
                    # A block whose statements were all removed must stay valid Python.
                    items = [cst.SimpleStatementLine([cst.Pass()])]
                changes[name] = tuple(items) if kind is tuple else items
            elif is_node(value) and value in updated:
                changes[name] = updated[value]
        result: Any = node.with_changes(**changes) if changes else node
        edit = edits.get(node)
        if edit is not None:
            result = edit(result)
            if on_edit is not None:
                on_edit(node, result)
        if finish is not None:
            result = finish(node, result)
        updated[node] = result
    new_module = updated[module]
    assert isinstance(new_module, cst.Module)
    return new_module, updated
