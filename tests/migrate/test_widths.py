"""Line lengths counted from node parts (instead of generating code) equal the generated code's length."""

from __future__ import annotations

import libcst as cst
import pytest

from migrate import cst_build as b
from migrate.arguments import arguments_list
from migrate.cst_walk import comments, walk
from migrate.imports import _import_width

EMPTY = cst.Module(body=[])

IMPORTS = [
    "from a import b",
    "from azureml.core import Experiment, Workspace, Environment, ScriptRunConfig",
    "from  a.b  import c as  d ,e",
    "from . import a",
    "from ..x import  (a)",
    "from .m.n import a as b, c",
    "from a import b;",
    "from a import b ; x = 1",
]


@pytest.mark.parametrize("source", IMPORTS)
def test_import_width(source):
    node = next(n for n in walk(cst.parse_module(source + "\n")) if isinstance(n, cst.ImportFrom))
    if node.lpar is None:
        assert _import_width(node) == len(EMPTY.code_for_node(node))


def test_import_width_of_built_imports():
    node = cst.ImportFrom(
        module=cst.Attribute(cst.Name("azureml"), cst.Name("core")),
        names=[cst.ImportAlias(cst.Name("A")), cst.ImportAlias(cst.Name("B"), asname=cst.AsName(cst.Name("C")))],
    )
    assert _import_width(node) == len(EMPTY.code_for_node(node)) == len("from azureml.core import A, B as C")


LISTS = [
    "[a, b]",
    "[ a ,b ]",
    "[\n    'x',\n    'y',\n]",
    "[  # first\n    'x',  # why\n    # above y\n    'y'\n]",
    "[*a, b]",
    "[\n    f(x, y),\n    [1,\n     2],\n]",
]


@pytest.mark.parametrize("source", LISTS)
def test_width_of_lists_over_several_lines(source):
    node = cst.parse_expression(source)
    assert b.width(node) == len(EMPTY.code_for_node(node))


def test_width_of_an_emitted_package_list():
    items = [b.string(f"package-{i}==1.{i}") for i in range(12)]
    node = arguments_list(items)
    assert "\n" in EMPTY.code_for_node(node)
    call = b.call(b.attr("CondaDependencies.create"), [b.kwarg("pip_packages", node)], multiline=False)
    assert b.width(call) == len(EMPTY.code_for_node(call))


@pytest.mark.parametrize("count", [3, 5, 12])
def test_flat_width_of_argument_lists(count):
    from migrate.arguments import _flat_width, _list

    items: list[cst.BaseExpression] = [b.string(f"--option-{i}") for i in range(count)]
    flat = _list(items, [False] * count, "    ")
    assert _flat_width(items, "    ") == b.width(flat) == len(EMPTY.code_for_node(flat))
    starred = [*items, cst.StarredElement(cst.Name("rest"))]
    assert _flat_width(starred, "    ") == len(EMPTY.code_for_node(_list(starred, [False] * (count + 1), "    ")))


@pytest.mark.parametrize(
    "source",
    [
        "f(a,  # one\n  b=[1,  # two\n     2],\n  # three\n  c=g(d)  # four\n)\n",
        "f(x)\n",
        "f(  # only\n    (a)  # parenthesised\n)\n",
        "d = {  # open\n    'k': [  # inner\n        v,  # item\n    ],\n}\n",
    ],
)
def test_comments_are_every_comment_of_the_full_walk_in_source_order(source):
    node = cst.parse_module(source).body[0]
    assert comments(node) == [n.value for n in walk(node) if type(n) is cst.Comment]


CALLS = [
    "f(a, b=1, *c, **d)",
    "obj.method( x , y = 2 )",
    "g(key  =  'v', other=[1, 2], third={'a': 1})",
    "h(*args)",
    "k()",
    "m(a,\n  b)",
    "n(a, # note\n  b)",
]


@pytest.mark.parametrize("source", CALLS)
def test_flat_call_width_is_the_length_of_the_built_flat_call(source):
    # call() decides on one line or several from this width, without building the flat call.
    parsed = cst.parse_expression(source)
    built = b.call(parsed.func, list(parsed.args), multiline=False)
    assert b._flat_call_width(parsed.func, list(parsed.args)) == len(EMPTY.code_for_node(built))
    kwargs = [b.kwarg("name", cst.Name("value")), cst.Arg(cst.Name("v"), keyword=cst.Name("k"))]
    built = b.call(cst.Name("f"), kwargs, multiline=False)
    assert b._flat_call_width(cst.Name("f"), kwargs) == len(EMPTY.code_for_node(built)) == len("f(name=value, k = v)")


def test_width_of_built_nodes_with_default_separators():
    # libcst writes ", " for a default comma (but the last) and " = " for a keyword's default equal.
    a, c = cst.Name("a"), cst.Name("c")
    for node in [
        cst.List([cst.Element(a), cst.Element(c)]),
        cst.Call(a, [cst.Arg(a), cst.Arg(c)]),
        cst.Call(a, [cst.Arg(a, keyword=c), cst.Arg(c, star="*")]),
    ]:
        assert b.width(node) == len(EMPTY.code_for_node(node))
