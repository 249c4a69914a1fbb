"""script_params (a dict) → ScriptRunConfig ``arguments`` (a list), following v1's conversion rules.

v1 visits keys in insertion order and emits key then value; a list/tuple/set value expands into several
items (a dict value into its keys; an item that is itself a container becomes ``str(item)``);
afterwards every ``None`` or ``""`` item is dropped, so ``{"--flag": ""}`` becomes a bare flag.
Only literal structure is interpreted here; any other expression stays one item, as v1 would pass it.
tests/migrate/test_v1_facts.py checks both this and the run-time conversion against v1's own output.
"""

from __future__ import annotations

import libcst as cst

from migrate.cst_build import COMMA_SPACE, LEFT_BRACKET, RIGHT_BRACKET, comma_with, line_break, string_value, width


class UnresolvableParams(Exception):
    """The dict cannot be turned into a literal argument list (e.g. ``**other`` inside it)."""


def is_dropped(node: cst.BaseExpression) -> bool:
    """True for the literal values v1 removes from the argument list (None and the empty string)."""
    if isinstance(node, cst.Name) and node.value == "None":
        return True
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        value = string_value(node)
        return value in ("", b"")
    return False


_CONTAINERS = (cst.List, cst.Tuple, cst.Set, cst.Dict)


def _as_str(item: cst.BaseExpression) -> cst.BaseExpression:
    """v1 turned an item that is itself iterable into ``str(item)`` (strings stay what they are)."""
    if isinstance(item, _CONTAINERS):
        return cst.Call(func=cst.Name("str"), args=[cst.Arg(item)])
    return item


def _expand(value: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(value, cst.List | cst.Tuple | cst.Set):
        items: list[cst.BaseExpression] = []
        for element in value.elements:
            if isinstance(element, cst.StarredElement):
                raise UnresolvableParams("starred element inside a script_params value")
            items.append(_as_str(element.value))
        return items
    if isinstance(value, cst.Dict):
        # Iterating a dict gives its keys.
        keys: list[cst.BaseExpression] = []
        for entry in value.elements:
            if not isinstance(entry, cst.DictElement):
                raise UnresolvableParams("'**' spread inside a script_params value")
            keys.append(_as_str(entry.key))
        return keys
    return [value]


def dict_items(node: cst.Dict) -> list[tuple[cst.BaseExpression, cst.BaseExpression]]:
    """Key/value pairs of a dict literal, in order; ``**spread`` makes it unresolvable."""
    pairs: list[tuple[cst.BaseExpression, cst.BaseExpression]] = []
    for element in node.elements:
        if not isinstance(element, cst.DictElement):
            raise UnresolvableParams("'**' spread inside script_params")
        pairs.append((element.key, element.value))
    return pairs


def key_text(node: cst.BaseExpression) -> str | None:
    """The literal text of a string key, used to merge overrides by key."""
    if isinstance(node, cst.SimpleString):
        value = string_value(node)
        return value if isinstance(value, str) else None
    return None


def merge_pairs(
    base: list[tuple[cst.BaseExpression, cst.BaseExpression]],
    override: list[tuple[cst.BaseExpression, cst.BaseExpression]],
) -> list[tuple[cst.BaseExpression, cst.BaseExpression]]:
    """v1 submit-time override: same keys replace values in place, new keys are appended."""
    merged = list(base)
    for key, value in override:
        text = key_text(key)
        for index, (old_key, _) in enumerate(merged):
            if text is not None and key_text(old_key) == text:
                merged[index] = (old_key, value)
                break
        else:
            merged.append((key, value))
    return merged


def pairs_to_arguments(
    pairs: list[tuple[cst.BaseExpression, cst.BaseExpression]],
) -> list[cst.BaseExpression]:
    """v1's conversion (``convert_dict_to_list`` then dropping None and ""): each key as it is, then
    its value, a list/tuple/set/dict value expanded into its items (dict: its keys)."""
    items: list[cst.BaseExpression] = []
    for key, value in pairs:
        items.append(key)
        items.extend(_expand(value))
    return [item for item in items if not is_dropped(item)]


def arguments_list(items: list[cst.BaseExpression], indent: str = "        ", unit: str = "    ") -> cst.List:
    """A list literal on one line, or, when long, one line per option (a break before each flag);
    ``indent`` is that of the items, the closing bracket goes one ``unit`` (the file's) less."""
    if len(items) < 3 or _flat_width(items, indent) <= 72:
        return _list(items, [False] * len(items), indent)
    if any(_is_flag(item) for item in items):
        breaks = [_is_flag(item) for item in items[1:]] + [False]
    else:
        breaks = [True] * len(items)
    return _list(items, breaks, indent, bracket_breaks=True, close=indent[: max(0, len(indent) - len(unit))])


def _flat_width(items: list[cst.BaseExpression], indent: str) -> int:
    """``width`` of the one-line list, without building it unless an item is starred."""
    if any(isinstance(item, cst.StarredElement) for item in items):
        return width(_list(items, [False] * len(items), indent))
    return 2 + sum(width(item) for item in items) + len(", ") * (len(items) - 1)


def _is_flag(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.SimpleString) and str(string_value(node)).startswith("-")


def _list(
    items: list[cst.BaseExpression], breaks: list[bool], indent: str, bracket_breaks: bool = False, close: str = ""
) -> cst.List:
    newline = line_break
    elements: list[cst.BaseElement] = []
    for index, item in enumerate(items):
        last = index == len(items) - 1
        if last:
            comma = comma_with(newline(close)) if bracket_breaks else cst.MaybeSentinel.DEFAULT
        elif breaks[index]:
            comma = comma_with(newline(indent))
        else:
            comma = COMMA_SPACE
        if isinstance(item, cst.StarredElement):
            elements.append(item.with_changes(comma=comma))
        else:
            elements.append(cst.Element(value=item, comma=comma))
    lbracket = cst.LeftSquareBracket(whitespace_after=newline(indent)) if bracket_breaks else LEFT_BRACKET
    return cst.List(elements=elements, lbracket=lbracket, rbracket=RIGHT_BRACKET)
