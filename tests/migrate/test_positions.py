"""migrate.positions gives every node the start line and column libcst's PositionProvider gives it.

Findings and the layout of hoisted calls read these positions; they are computed by a code generation
of our own that tracks only the wanted nodes, so each source here is checked node by node against
libcst's own provider (the reference the reported positions have always followed).
"""

from __future__ import annotations

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from migrate.positions import start_positions

SOURCES = {
    "estimator script": (
        "from azureml.train.dnn import PyTorch\n"
        "est = PyTorch(source_directory='src',  # the code\n"
        "              entry_script='train.py',\n"
        "              node_count=2)\n"
    ),
    "crlf newlines": "import os\r\nx = f(\r\n    1,\r\n    2)\r\ny = [a,\r\n     b]\r\n",
    "tabs and nested blocks": (
        "class A:\n\tdef f(self):\n\t\tif x:\n\t\t\treturn g(1)\n\t\telse:\n\t\t\tpass\n"
    ),
    "decorators, comments and blank lines": (
        "# leading\n\n@dec(1)\n# between\n@other\ndef f(\n    a,  # first\n    b=2,\n):\n\n    # body\n"
        "    return (  # paren\n        a + b\n    )\n"
    ),
    "multi-line strings and continuations": (
        's = """one\ntwo\nthree"""\nt = 1 + \\\n    2\nu = f"{s}\\n{t}"; v = (\n    s\n)\n'
    ),
    "parenthesised expressions and suites": (
        "if (a and\n    b): x = ((1)); y = 2\nwhile True: break\nz = [i for i in (range(3))]\n"
    ),
    "no trailing newline": "a = 1\nb = call(a)",
    "every construct with a handler of its own in migrate.codegen": (
        "from . import (a,\n    b as c)  # paren\nfrom ..x.y import *\nimport os.path as p\n"
        "s = {1, 2,}; t = (1,); u = ( 1 , ); v = [*a, b]; w = {**d, 'k': -x}\n"
        "x[1:2, ::3] += y if not a and b or c else z  # aug\n"
        "q = 'a' 'b' \\\n    f'{c!r:>{w}}'\n"
        "if a < b <= c is not d:\n    pass\nelif e in f: g()\nelif h:\n\n    # before\n    i = 1\n"
        "    # footer\nelse:\n    j = (lambda: 1)\n"
        "while k:\n    break\nelse:\n    k = 0\n"
        "for l, m in n:\n    del l\nelse: pass\n"
        "try:\n    o()\nexcept (A, B) as e:\n    raise\nfinally :\n    p = q @ r ** s // t\n"
        "class C(Base, metaclass = M):\n    async def f(self, *a, b: int = 1, **k) -> 'C':\n"
        "        return await g(*a, **k)\n    class D: ...\n"
        "@ decorator . attr (x)\ndef f(): return\nr = a is b and x[1] > 1.5\n"
    ),
}


def _all_nodes(module: cst.Module) -> list[cst.CSTNode]:
    nodes: list[cst.CSTNode] = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            nodes.append(node)
            return True

    module.visit(Collect())
    return nodes


@pytest.mark.parametrize("source", SOURCES.values(), ids=SOURCES.keys())
def test_every_node_starts_where_libcst_puts_it(source: str) -> None:
    module = cst.parse_module(source)
    reference = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    nodes = _all_nodes(module)
    found = start_positions(module, nodes)
    expected = {node: (reference[node].start.line, reference[node].start.column + 1) for node in nodes}
    assert found == expected


@pytest.mark.parametrize("source", SOURCES.values(), ids=SOURCES.keys())
def test_a_few_nodes_asked_for_alone_get_the_same_positions(source: str) -> None:
    # Asking for a handful (as findings do) must not depend on which other nodes are tracked.
    module = cst.parse_module(source)
    nodes = _all_nodes(module)
    every = start_positions(module, nodes)
    for node in [*nodes[::7], nodes[-1]]:
        assert start_positions(module, [node]) == {node: every[node]}


def test_nodes_of_another_module_are_left_out() -> None:
    module = cst.parse_module("x = 1\n")
    stranger = cst.parse_expression("f(1)")
    call = cst.ensure_type(cst.ensure_type(module.body[0], cst.SimpleStatementLine).body[0], cst.Assign).value
    assert start_positions(module, [stranger, call]) == {call: (1, 5)}
    assert start_positions(module, []) == {}
