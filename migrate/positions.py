"""Start positions of a few nodes of a module, from one code generation that tracks only those nodes.

Findings need the line and column of the nodes they report, and the layout of a hoisted call needs
the line it starts on: a handful of nodes a file. libcst's PositionProvider computes a range for every
node and splits every token for newlines as it goes (~1.5 ms for a 10-line estimator file against
~0.3 ms for generating its code, bench/bench_migrate.py "findings"). Here the code generation notes
only the token count at which each wanted node starts, and stops when the last of them starts; lines and
columns come from one scan of the tokens before it.

The start is PositionProvider's: where the node's syntactic position is recorded (expressions inside
their parentheses, statements after their leading lines), else where its code generation begins.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable

import libcst as cst

from migrate.codegen import NO_POSITION, NoPosition, TextState

_NEWLINE = re.compile(r"\r\n?|\n")


class _AllFound(Exception):
    """Raised out of the code generation once every wanted node has been generated."""


class _StartMarks(TextState):
    """A code generation that records, for the wanted nodes, how many tokens precede their start,
    and stops once the last of them has started (the rest of the module is not needed)."""

    def __init__(self, module: cst.Module, wanted: set[cst.CSTNode]) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        # By id: a node's own __hash__ is a Python call, made for every node generated.
        self.wanted = {id(node) for node in wanted}
        self.pending = set(self.wanted)
        self.syntactic: dict[int, int] = {}
        self.inclusive: dict[int, int] = {}

    def before_codegen(self, node: cst.CSTNode) -> None:
        key = id(node)
        if key in self.wanted and key not in self.inclusive:
            self.inclusive[key] = len(self.tokens)

    def after_codegen(self, node: cst.CSTNode) -> None:
        self._found(id(node))

    def _found(self, key: int) -> None:
        """The start of the node ``key`` is known (its syntactic start, or all of it generated)."""
        pending = self.pending
        if key in pending:
            pending.discard(key)
            if not pending:
                raise _AllFound

    def record_syntactic_position(  # type: ignore[override]
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> _Mark | NoPosition:
        key = id(node)
        if key not in self.wanted:
            return NO_POSITION
        if start_node is None:
            # Final: no node records its syntactic start twice (tests/migrate/test_positions.py).
            self.syntactic[key] = len(self.tokens)
            self._found(key)
            return NO_POSITION
        # The node starts where its first child does (an indented block: at its first statement).
        self.wanted.add(id(start_node))
        return _Mark(self, key, id(start_node))


class _Mark:
    """Around a node that starts where its child ``start_node`` does: noted once that child is done."""

    __slots__ = ("node", "start_node", "state")

    def __init__(self, state: _StartMarks, node: int, start_node: int) -> None:
        self.state, self.node, self.start_node = state, node, start_node

    def __enter__(self) -> None:
        return None

    def __exit__(self, *_exc: object) -> None:
        marks = self.state
        marks.syntactic[self.node] = marks.syntactic.get(self.start_node, marks.inclusive.get(self.start_node, 0))


def start_positions(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> dict[cst.CSTNode, tuple[int, int]]:
    """(1-based line, 1-based column) where each node of ``module`` starts; nodes not in it are left out."""
    requested = set(nodes)
    if not requested:
        return {}
    state = _StartMarks(module, requested)
    with contextlib.suppress(_AllFound):
        module._codegen(state)
    marks = {node: state.syntactic.get(id(node), state.inclusive.get(id(node))) for node in requested}
    found = sorted(((index, node) for node, index in marks.items() if index is not None), key=lambda pair: pair[0])
    out: dict[cst.CSTNode, tuple[int, int]] = {}
    tokens, line, column, done = state.tokens, 1, 0, 0
    for index, node in found:
        chunk = "".join(tokens[done:index])
        last = max(chunk.rfind("\n"), chunk.rfind("\r"))
        if last < 0:
            column += len(chunk)
        else:
            line += len(_NEWLINE.findall(chunk))
            column = len(chunk) - last - 1
        done = index
        out[node] = (line, column + 1)
    return out
