"""The text of a module, generated with less overhead than ``Module.code``.

libcst generates code through a ``CodegenState``: every expression and many statements wrap their
tokens in ``state.record_syntactic_position(node)``, a ``contextlib.contextmanager`` that does
nothing in the base state but costs a generator and three calls each time (~30% of the generation,
bench/bench_migrate.py "codegen"). The state here returns one shared do-nothing context instead, the
way libcst's own position providers replace that method; the text is the same (tests/migrate/
test_codegen.py compares it with ``Module.code``).
"""

from __future__ import annotations

import libcst as cst
from libcst._nodes.internal import CodegenState


class NoPosition:
    """A context that does nothing (entered around a node's tokens when no position is recorded)."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *_exc: object) -> None:
        return None


NO_POSITION = NoPosition()


class TextState(CodegenState):
    """libcst's code generation state without the per-node context manager."""

    def record_syntactic_position(  # type: ignore[override]
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> NoPosition:
        return NO_POSITION


def module_code(module: cst.Module) -> str:
    """``module.code``, faster."""
    state = TextState(default_indent=module.default_indent, default_newline=module.default_newline)
    module._codegen(state)
    return "".join(state.tokens)
