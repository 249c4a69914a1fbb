"""Small constructors for the libcst nodes the codemod emits, formatted the way a person would."""

from __future__ import annotations

import libcst as cst

INDENT = "    "
# Emitted calls longer than this (without indentation) are split one argument per line.
LINE_BUDGET = 88
_EMPTY = cst.Module(body=[])


def string(value: str) -> cst.SimpleString:
    """A double-quoted string literal (repr() picks quotes we do not control)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return cst.SimpleString(f'"{escaped}"')


def literal(value: object) -> cst.BaseExpression:
    if isinstance(value, str):
        return string(value)
    if isinstance(value, bool) or value is None:
        return cst.Name(repr(value))
    if isinstance(value, int):
        return cst.Integer(str(value))
    if isinstance(value, list):
        return cst.List([cst.Element(literal(item)) for item in value])
    raise TypeError(f"cannot emit a literal for {value!r}")


def kwarg(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        keyword=cst.Name(name),
        value=value,
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
    )


def _break(indent: str) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(),
        empty_lines=[],
        indent=True,
        last_line=cst.SimpleWhitespace(indent),
    )


def call(
    func: cst.BaseExpression, args: list[cst.Arg], multiline: bool | None = None, base_indent: str = ""
) -> cst.Call:
    """A call; with more than two arguments each goes on its own line with a trailing comma."""
    if not args:
        return cst.Call(func=func)
    if multiline is None:
        multiline = len(args) > 2
        if not multiline:
            flat = call(func, args, multiline=False)
            multiline = len(_EMPTY.code_for_node(flat)) > LINE_BUDGET
    if not multiline:
        spaced = [
            arg.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            if index < len(args) - 1
            else arg.with_changes(comma=cst.MaybeSentinel.DEFAULT)
            for index, arg in enumerate(args)
        ]
        return cst.Call(func=func, args=spaced)
    lines = [
        arg.with_changes(
            comma=cst.Comma(whitespace_after=_break(base_indent + INDENT if index < len(args) - 1 else base_indent))
        )
        for index, arg in enumerate(args)
    ]
    return cst.Call(func=func, args=lines, whitespace_before_args=_break(base_indent + INDENT))


def attr(path: str) -> cst.BaseExpression:
    """``a.b.c`` from a dotted string."""
    parts = path.split(".")
    node: cst.BaseExpression = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def assign(target: cst.BaseExpression, value: cst.BaseExpression) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(body=[cst.Assign(targets=[cst.AssignTarget(target=target)], value=value)])


def comment_line(text: str) -> cst.EmptyLine:
    return cst.EmptyLine(comment=cst.Comment(f"# {text}"))


def literal_value(node: cst.BaseExpression | None) -> object:
    """The Python value of a simple literal node, or ``NotImplemented`` when it is not one."""
    if node is None:
        return NotImplemented
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        value = node.evaluated_value
        return value if isinstance(value, str) else NotImplemented
    if isinstance(node, cst.Integer):
        return node.evaluated_value
    if isinstance(node, cst.Float):
        return node.evaluated_value
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = literal_value(node.expression)
        return -inner if isinstance(inner, int | float) else NotImplemented
    return NotImplemented


def string_list(node: cst.BaseExpression | None) -> list[tuple[str, cst.BaseExpression]] | None:
    """(value, node) for each item of a list/tuple of string literals; None if anything else."""
    if not isinstance(node, cst.List | cst.Tuple):
        return None
    items: list[tuple[str, cst.BaseExpression]] = []
    for element in node.elements:
        if isinstance(element, cst.StarredElement):
            return None
        value = literal_value(element.value)
        if not isinstance(value, str):
            return None
        items.append((value, element.value))
    return items
