"""Small constructors for the libcst nodes the codemod emits, formatted the way a person would."""

from __future__ import annotations

import libcst as cst

from migrate.codegen import node_code

INDENT = "    "
# Emitted calls longer than this (without indentation) are split one argument per line.
LINE_BUDGET = 88


# The quote emitted string literals use; the engine sets it to the file's own preference.
QUOTE = ['"']


def string(value: str) -> cst.SimpleString:
    """A string literal in the file's quote style (repr() picks quotes we do not control)."""
    quote = QUOTE[0]
    escaped = value.replace("\\", "\\\\").replace(quote, "\\" + quote).replace("\n", "\\n")
    return cst.SimpleString(f"{quote}{escaped}{quote}")


def preferred_quote(source: str) -> str:
    """' when the file uses more single than double quotes, else "."""
    return "'" if source.count("'") > source.count('"') else '"'


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


def width(node: cst.CSTNode) -> int:
    """Length of ``node``'s code on one line; exact for the flat nodes the rules build (names,
    literals, attributes, lists and calls laid out on one line), code generation for anything else."""
    kind = type(node)
    if kind is cst.SimpleString or kind is cst.Integer or kind is cst.Float or kind is cst.Name:
        if not getattr(node, "lpar", None):
            return len(node.value)  # type: ignore[attr-defined]
    elif kind is cst.Attribute and not node.lpar and _empty(node.dot.whitespace_before, node.dot.whitespace_after):  # type: ignore[attr-defined]
        return width(node.value) + 1 + len(node.attr.value)  # type: ignore[attr-defined]
    elif kind is cst.List and not node.lpar:  # type: ignore[attr-defined]
        elements = node.elements  # type: ignore[attr-defined]
        if _empty(node.lbracket.whitespace_after, node.rbracket.whitespace_before) and all(  # type: ignore[attr-defined]
            type(e) is cst.Element and _flat_comma(e.comma) for e in elements
        ):
            last = len(elements) - 1
            return 2 + sum(width(e.value) + _comma_width(e.comma, i == last) for i, e in enumerate(elements))
        broken = _broken_list_width(node)  # type: ignore[arg-type]
        if broken is not None:
            return broken
    elif kind is cst.Call and not node.lpar and _empty(node.whitespace_after_func, node.whitespace_before_args):  # type: ignore[attr-defined]
        args = node.args  # type: ignore[attr-defined]
        if all(_flat_comma(a.comma) for a in args):
            parts = [_arg_width(a) for a in args]
            if None not in parts:
                last = len(args) - 1
                commas = sum(_comma_width(a.comma, i == last) for i, a in enumerate(args))
                return width(node.func) + 2 + sum(parts) + commas  # type: ignore[arg-type, attr-defined]
    return len(node_code(node))


def whitespace_width(whitespace: object) -> int | None:
    """Characters of a whitespace node as ``code_for_node`` on an empty module writes it (no
    indentation: nothing encloses it there), None for a kind not handled here."""
    kind = type(whitespace)
    if kind is cst.SimpleWhitespace:
        return len(whitespace.value)  # type: ignore[attr-defined]
    if kind is not cst.ParenthesizedWhitespace:
        return None
    lines = [whitespace.first_line, *whitespace.empty_lines]  # type: ignore[attr-defined]
    total = len(whitespace.last_line.value)  # type: ignore[attr-defined]
    for line in lines:
        comment = line.comment
        newline = line.newline.value
        total += len(line.whitespace.value) + (len(comment.value) if comment is not None else 0)
        total += len(newline) if newline is not None else 1  # the empty module's default newline
    return total


def _broken_list_width(node: cst.List) -> int | None:
    """``width`` of a list laid out over several lines (the length of all of its code, as codegen
    gives it); None unless every part is a kind handled here."""
    total = 2
    for whitespace in (node.lbracket.whitespace_after, node.rbracket.whitespace_before):
        part = whitespace_width(whitespace)
        if part is None:
            return None
        total += part
    for element in node.elements:
        if type(element) is not cst.Element:
            return None
        comma = element.comma
        if not isinstance(comma, cst.Comma):
            if element is not node.elements[-1]:
                return None  # codegen writes a default ", " after all but the last: not handled here
            total += width(element.value)
            continue
        before, after = whitespace_width(comma.whitespace_before), whitespace_width(comma.whitespace_after)
        if before is None or after is None:
            return None
        total += width(element.value) + before + 1 + after
    return total


def _empty(*whitespace: object) -> bool:
    return all(isinstance(w, cst.SimpleWhitespace) and w.value == "" for w in whitespace)


def _flat_comma(comma: object) -> bool:
    return comma is cst.MaybeSentinel.DEFAULT or (
        isinstance(comma, cst.Comma)
        and isinstance(comma.whitespace_after, cst.SimpleWhitespace)
        and isinstance(comma.whitespace_before, cst.SimpleWhitespace)
    )


def _comma_width(comma: object, last: bool) -> int:
    """A separator's characters; libcst writes ", " for a default one, except after the last item."""
    if isinstance(comma, cst.Comma):
        return 1 + len(comma.whitespace_before.value) + len(comma.whitespace_after.value)  # type: ignore[attr-defined]
    return 0 if last else 2


def _arg_width(arg: cst.Arg) -> int | None:
    """Characters of an argument without its comma; None when its spacing is not plain whitespace."""
    star, after = arg.whitespace_after_star, arg.whitespace_after_arg
    if type(star) is not cst.SimpleWhitespace or type(after) is not cst.SimpleWhitespace:
        return None
    total = len(arg.star) + len(star.value) + len(after.value) + width(arg.value)
    if arg.keyword is not None:
        equal = arg.equal
        if equal is cst.MaybeSentinel.DEFAULT:
            return total + len(arg.keyword.value) + 3  # libcst writes " = "
        if not isinstance(equal, cst.AssignEqual):
            return None
        before, after_equal = equal.whitespace_before, equal.whitespace_after
        if type(before) is not cst.SimpleWhitespace or type(after_equal) is not cst.SimpleWhitespace:
            return None
        total += len(arg.keyword.value) + 1 + len(before.value) + len(after_equal.value)
    return total


# Emitted code shares these: libcst nodes are immutable, and building the same punctuation and
# whitespace anew for every argument was a good part of the rewrite's time (bench/bench_migrate.py).
_NO_SPACE = cst.SimpleWhitespace("")
_KEYWORD_EQUAL = cst.AssignEqual(_NO_SPACE, _NO_SPACE)
COMMA_SPACE = cst.Comma(whitespace_before=_NO_SPACE, whitespace_after=cst.SimpleWhitespace(" "))
LEFT_BRACKET = cst.LeftSquareBracket(whitespace_after=_NO_SPACE)
RIGHT_BRACKET = cst.RightSquareBracket(whitespace_before=_NO_SPACE)


def comma_with(whitespace_after: cst.BaseParenthesizableWhitespace) -> cst.Comma:
    return cst.Comma(whitespace_before=_NO_SPACE, whitespace_after=whitespace_after)


_LINE_BREAKS: dict[str, cst.ParenthesizedWhitespace] = {}


def line_break(indent: str) -> cst.ParenthesizedWhitespace:
    """A line break inside brackets, the next line indented by ``indent``."""
    found = _LINE_BREAKS.get(indent)
    if found is None:
        found = _LINE_BREAKS[indent] = cst.ParenthesizedWhitespace(
            first_line=cst.TrailingWhitespace(), indent=True, last_line=cst.SimpleWhitespace(indent)
        )
    return found


def argument(call: cst.Call, name: str, position: int) -> cst.BaseExpression | None:
    """The value passed as ``name=`` or as the positional argument at ``position`` (not ``*``/``**``)."""
    for index, arg in enumerate(call.args):
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
        if arg.keyword is None and index == position and arg.star == "":
            return arg.value
    return None


def kwarg(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        keyword=cst.Name(name),
        value=value,
        equal=_KEYWORD_EQUAL,
        whitespace_after_star=_NO_SPACE,
        whitespace_after_arg=_NO_SPACE,
    )


def _break(indent: str, comment: str | None = None, leading: list[str] | None = None) -> cst.ParenthesizedWhitespace:
    """A line break inside brackets; ``comment`` ends the current line, ``leading`` lines come next."""
    if not comment and not leading:
        return line_break(indent)
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(
            whitespace=cst.SimpleWhitespace("  " if comment else ""),
            comment=cst.Comment(comment) if comment else None,
        ),
        empty_lines=[
            cst.EmptyLine(indent=True, whitespace=cst.SimpleWhitespace(indent), comment=cst.Comment(text))
            for text in leading or []
        ],
        indent=True,
        last_line=cst.SimpleWhitespace(indent),
    )


ArgComments = tuple[list[str], list[str]]  # (own-line comments before the argument, comments after it)


def call(
    func: cst.BaseExpression,
    args: list[cst.Arg],
    multiline: bool | None = None,
    base_indent: str = "",
    comments: list[ArgComments] | None = None,
    budget: int = LINE_BUDGET,
    indent_unit: str = INDENT,
) -> cst.Call:
    """A call; with more than two arguments (or too long, or carrying comments) one argument a line."""
    if not args:
        return cst.Call(func=func)
    # An argument with several end-of-line comments keeps the first there, the others above it.
    comments = [
        (list(before) + list(after[1:]), list(after[:1])) for before, after in comments or [([], [])] * len(args)
    ]
    has_comments = any(before or after for before, after in comments)
    if multiline is None:
        multiline = len(args) > 2 or has_comments
        if not multiline:
            multiline = _flat_call_width(func, args) + len(base_indent) > budget
    if not multiline:
        spaced = [
            arg.with_changes(comma=COMMA_SPACE)
            if index < len(args) - 1
            else arg.with_changes(comma=cst.MaybeSentinel.DEFAULT)
            for index, arg in enumerate(args)
        ]
        return cst.Call(func=func, args=spaced, whitespace_after_func=_NO_SPACE, whitespace_before_args=_NO_SPACE)
    inner = base_indent + indent_unit
    lines = []
    for index, arg in enumerate(args):
        last = index == len(args) - 1
        after = comments[index][1]
        trailing = after[0] if after else None
        following = [] if last else comments[index + 1][0]
        lines.append(arg.with_changes(comma=comma_with(_break(base_indent if last else inner, trailing, following))))
    return cst.Call(
        func=func,
        args=lines,
        whitespace_after_func=_NO_SPACE,
        whitespace_before_args=_break(inner, None, comments[0][0]),
    )


def _flat_call_width(func: cst.BaseExpression, args: list[cst.Arg]) -> int:
    """``width`` of ``call(func, args, multiline=False)`` (arguments joined by ", "), without
    building it when every argument's spacing is plain (the arguments the rules build)."""
    parts = [_arg_width(arg) for arg in args]
    if None in parts:
        return width(call(func, args, multiline=False))
    return width(func) + 2 + sum(parts) + 2 * max(0, len(args) - 1)  # type: ignore[arg-type]


def _element(item: cst.BaseExpression, comma: cst.Comma | cst.MaybeSentinel) -> cst.BaseElement:
    if isinstance(item, cst.StarredElement):
        return item.with_changes(comma=comma)
    return cst.Element(item, comma=comma)


def element_list(items: list[cst.BaseExpression], base_indent: str, budget: int, indent_unit: str = INDENT) -> cst.List:
    """``[a, b, c]`` on one line, or one element a line when that line would pass ``budget``."""
    flat = cst.List(
        [
            _element(
                item,
                COMMA_SPACE if index < len(items) - 1 else cst.MaybeSentinel.DEFAULT,
            )
            for index, item in enumerate(items)
        ]
    )
    if width(flat) + len(base_indent) <= budget or len(items) < 2:
        return flat
    inner = base_indent + indent_unit
    # A line per option: a break before each flag ("--lr", 0.1 stay together), else one per item.
    flags = [isinstance(item, cst.SimpleString) and str(string_value(item)).startswith("-") for item in items]
    breaks = [flags[i + 1] for i in range(len(items) - 1)] if any(flags) else [True] * (len(items) - 1)
    elements = []
    for index, item in enumerate(items):
        if index == len(items) - 1:
            comma = comma_with(_break(base_indent))
        elif breaks[index]:
            comma = comma_with(_break(inner))
        else:
            comma = COMMA_SPACE
        elements.append(_element(item, comma))
    return cst.List(elements, lbracket=cst.LeftSquareBracket(whitespace_after=_break(inner)), rbracket=RIGHT_BRACKET)


def attr(path: str) -> cst.Attribute | cst.Name:
    """``a.b.c`` from a dotted string."""
    parts = path.split(".")
    node: cst.Attribute | cst.Name = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def assign(target: cst.BaseExpression, value: cst.BaseExpression) -> cst.SimpleStatementLine:
    assert isinstance(target, cst.BaseAssignTargetExpression)
    return cst.SimpleStatementLine(body=[cst.Assign(targets=[cst.AssignTarget(target=target)], value=value)])


def comment_line(text: str) -> cst.EmptyLine:
    return cst.EmptyLine(comment=cst.Comment(f"# {text}"))


def string_value(node: cst.SimpleString | cst.ConcatenatedString) -> object:
    """``node.evaluated_value`` without ast.literal_eval for plain one-line literals (most of them)."""
    if type(node) is cst.SimpleString:
        text = node.value
        quote = text[0] if text else ""
        if quote in "'\"" and len(text) >= 2 and text[-1] == quote and "\\" not in text and text[:3] != quote * 3:
            return text[1:-1]
    return node.evaluated_value


def literal_value(node: cst.BaseExpression | None) -> object:
    """The Python value of a simple literal node, or ``NotImplemented`` when it is not one."""
    if node is None:
        return NotImplemented
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        value = string_value(node)
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


def _comments_of(whitespace: object) -> tuple[str | None, list[str]]:
    """(comment ending the line, own-line comments after it) of a whitespace node."""
    if isinstance(whitespace, cst.ParenthesizedWhitespace):
        first = whitespace.first_line.comment.value if whitespace.first_line.comment else None
        return first, [line.comment.value for line in whitespace.empty_lines if line.comment is not None]
    return None, []


def argument_comments(node: cst.Call) -> list[ArgComments]:
    """Per argument: the own-line comments above it and the comment at the end of its line."""
    result: list[ArgComments] = []
    first, following = _comments_of(node.whitespace_before_args)
    leading = ([first] if first else []) + following
    for arg in node.args:
        after: list[str] = []
        end, _ = _comments_of(arg.whitespace_after_arg)
        if end:
            after.append(end)
        next_leading: list[str] = []
        if isinstance(arg.comma, cst.Comma):
            end, next_leading = _comments_of(arg.comma.whitespace_after)
            if end:
                after.append(end)
        result.append((leading, after))
        leading = next_leading
    if leading and result:
        result[-1][1].extend(leading)
    return result
