"""Read and write conda environment files without a YAML library.

Conda environment files use a small, regular subset of YAML (a few top-level keys holding
scalars or lists, with one nested ``pip:`` list). Parsing that subset here keeps
``import hpc_estimator`` free of third-party dependencies; anything outside it is reported with
the line number so the user can simplify the file.
"""

from __future__ import annotations

import json
import re
from typing import Any

_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.=<>!~*,;:/@+\-\[\]()^$]*$")


class CondaYamlError(ValueError):
    """The text is not a conda environment file in the supported YAML subset."""


def _strip_comment(line: str) -> str:
    # A '#' starts a comment only at the line start or after whitespace, and not inside quotes.
    quote = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1] in " \t"):
            return line[:index].rstrip()
    return line.rstrip()


def _scalar(text: str, lineno: int) -> Any:
    text = text.strip()
    if not text:
        return None
    if text[0] == '"':
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise CondaYamlError(f"line {lineno}: bad double-quoted string {text!r}") from exc
    if text[0] == "'":
        if len(text) < 2 or text[-1] != "'":
            raise CondaYamlError(f"line {lineno}: unterminated single-quoted string {text!r}")
        return text[1:-1].replace("''", "'")
    if text[0] == "[" and text[-1] == "]":
        inner = text[1:-1].strip()
        return [] if not inner else [_scalar(part, lineno) for part in inner.split(",")]
    return text


def parse_environment(text: str) -> dict[str, Any]:
    """Parse a conda environment file into ``{"name", "channels", "dependencies", ...}``.

    ``dependencies`` is a list of strings, plus at most one ``{"pip": [...]}`` entry.
    """
    result: dict[str, Any] = {}
    current_key: str | None = None
    pip_list: list[Any] | None = None
    pip_indent = -1
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw.replace("\t", "    "))
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        body = line.strip()
        if indent == 0 and not body.startswith("-"):
            key, sep, rest = body.partition(":")
            if not sep:
                raise CondaYamlError(f"line {lineno}: expected 'key: value', got {body!r}")
            current_key, pip_list = key.strip(), None
            value = _scalar(rest, lineno)
            result[current_key] = value if value is not None else []
            continue
        if not body.startswith("-") or current_key is None:
            if current_key == "variables" and ":" in body:
                name, _, value = body.partition(":")
                variables = result.get("variables")
                if not isinstance(variables, dict):
                    variables = result["variables"] = {}
                variables[name.strip()] = _scalar(value, lineno)
                continue
            raise CondaYamlError(f"line {lineno}: expected a '- item' list entry, got {body!r}")
        item = body[1:].strip()
        target = result.get(current_key)
        if not isinstance(target, list):
            raise CondaYamlError(f"line {lineno}: key {current_key!r} mixes a value and a list")
        if pip_list is not None and indent > pip_indent:
            pip_list.append(_scalar(item, lineno))
            continue
        pip_list = None
        if item.rstrip(":").strip() == "pip" and item.endswith(":"):
            pip_list, pip_indent = [], indent
            target.append({"pip": pip_list})
        elif item.startswith("pip:"):
            inline = _scalar(item[4:], lineno)
            target.append({"pip": inline if isinstance(inline, list) else [inline]})
        else:
            target.append(_scalar(item, lineno))
    return result


def _quote(value: str) -> str:
    if _PLAIN_SAFE.match(value) and ": " not in value and " #" not in value:
        return value
    return json.dumps(value)


def dump_environment(spec: dict[str, Any]) -> str:
    """Render ``spec`` (as returned by ``parse_environment``) as conda environment YAML."""
    lines: list[str] = []
    for key, value in spec.items():
        if isinstance(value, list):
            lines.append(f"{key}:")
            for item in value:
                if isinstance(item, dict):
                    for sub_key, sub_items in item.items():
                        lines.append(f"  - {sub_key}:")
                        lines.extend(f"    - {_quote(str(sub))}" for sub in sub_items)
                else:
                    lines.append(f"  - {_quote(str(item))}")
        elif isinstance(value, dict):
            lines.append(f"{key}:")
            lines.extend(f"  {name}: {_quote(str(val))}" for name, val in value.items())
        elif value is not None:
            lines.append(f"{key}: {_quote(str(value))}")
    return "\n".join(lines) + "\n"
