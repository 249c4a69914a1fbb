"""Jupyter notebooks: rewrite code cells, keep everything else byte for byte.

The notebook is never re-serialised: the JSON text is scanned for the span of each cell's
``source`` value, and only the sources that changed are replaced, written in the style of the value
they replace (a list of lines or one string, the same indentation and separators, minified or not,
ASCII escapes or not). Key order, indentation, trailing newline, outputs and metadata stay exactly as
they were, so the diff shows only the changed cells. The same scan maps a finding's cell line to its
line in the ``.ipynb`` file (for SARIF).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from migrate.chunks import ChunksResult, migrate_chunks
from migrate.findings import Finding
from migrate.magics import code_cells, is_python_notebook

# json's own string scanner (C); typeshed does not declare it.
scanstring: Callable[[str, int], tuple[str, int]] = getattr(json.decoder, "scanstring")  # noqa: B009

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")
_OTHER: tuple[object, ...] = ("other",)


@dataclass
class SourceSpan:
    start: int  # offset of the value's first character
    end: int  # offset after its last character
    items: list[tuple[int, int]]  # spans of the list's string items (empty for a string value)


class _Scanner:
    """Just enough JSON to find ``cells[i].source`` spans (the text was already validated by json)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.spans: list[SourceSpan | None] = []

    def ws(self, i: int) -> int:
        match = _WHITESPACE.match(self.text, i)
        return match.end() if match else i

    def value(self, i: int, path: tuple[object, ...] = ()) -> int:
        i = self.ws(i)
        ch = self.text[i]
        if ch == "{":
            return self.obj(i, path)
        if ch == "[":
            return self.array(i, path)
        if ch == '"':
            return scanstring(self.text, i + 1)[1]
        match = _SCALAR.match(self.text, i)
        if not match:
            raise ValueError(f"unexpected JSON at offset {i}")
        return match.end()

    def obj(self, i: int, path: tuple[object, ...]) -> int:
        i = self.ws(i + 1)
        if self.text[i] == "}":
            return i + 1
        while True:
            i = self.ws(i)
            key, i = scanstring(self.text, i + 1)
            i = self.ws(i)
            start = self.ws(i + 1)  # after ":"
            if len(path) == 2 and path[0] == "cells" and key == "source":
                end = self.value(start, _OTHER)
                self.spans[-1] = SourceSpan(start, end, self.string_items(start, end))
            else:
                end = self.value(start, ("cells",) if path == () and key == "cells" else _OTHER)
            i = self.ws(end)
            if self.text[i] == "}":
                return i + 1
            i += 1  # ","

    def array(self, i: int, path: tuple[object, ...]) -> int:
        i = self.ws(i + 1)
        if self.text[i] == "]":
            return i + 1
        index = 0
        while True:
            if path == ("cells",):
                self.spans.append(None)
                i = self.value(i, ("cells", index))
            else:
                i = self.value(i, _OTHER)
            i = self.ws(i)
            if self.text[i] == "]":
                return i + 1
            i += 1
            index += 1

    def string_items(self, start: int, end: int) -> list[tuple[int, int]]:
        if self.text[start] != "[":
            return []
        items = []
        i = self.ws(start + 1)
        while self.text[i] == '"':
            stop = scanstring(self.text, i + 1)[1]
            items.append((i, stop))
            i = self.ws(stop)
            if self.text[i] == ",":
                i = self.ws(i + 1)
        return items


def source_spans(text: str) -> list[SourceSpan | None]:
    """For each cell, the span of its ``source`` value in ``text`` (None if it has none)."""
    scanner = _Scanner(text)
    scanner.value(0)
    return scanner.spans


def _indent_unit(text: str) -> str:
    match = re.search(r"\n( +)\"", text)
    return match.group(1) if match else ""


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def render_source(text: str, span: SourceSpan, new: str, ascii_only: bool) -> str:
    """``new`` written where ``span`` was, in the style of the value it replaces."""
    if text[span.start] == '"':
        return json.dumps(new, ensure_ascii=ascii_only)
    lines = new.splitlines(keepends=True)
    if not lines:
        return "[]"
    encoded = [json.dumps(line, ensure_ascii=ascii_only) for line in lines]
    items = span.items
    if items:
        opening = text[span.start + 1 : items[0][0]]
        closing = text[items[-1][1] : span.end - 1]
        separator = text[items[0][1] : items[1][0]] if len(items) > 1 else "," + opening
    elif "\n" in text:
        key_indent = text[_line_start(text, span.start) : span.start]
        key_indent = key_indent[: len(key_indent) - len(key_indent.lstrip())]
        unit = _indent_unit(text)
        opening, closing = "\n" + key_indent + unit, "\n" + key_indent
        separator = "," + opening
    else:
        opening = closing = ""
        separator = ","
    return "[" + opening + separator.join(encoded) + closing + "]"


def _file_position(text: str, span: SourceSpan | None, line: int, col: int) -> tuple[int, int] | None:
    """(line, column) in the .ipynb text of a cell's line ``line``, column ``col`` (1-based)."""
    if span is None:
        return None
    if span.items:
        if not 1 <= line <= len(span.items):
            return None
        offset = span.items[line - 1][0] + 1
    else:
        offset = span.start + 1
    file_line = text.count("\n", 0, offset) + 1
    return file_line, offset - _line_start(text, offset) + col


def migrate_notebook(text: str, target: str, filename: str | None = None) -> tuple[str, ChunksResult]:
    notebook = json.loads(text)
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        raise ValueError("not a notebook: no 'cells' list (nbformat 4 is required)")
    if not is_python_notebook(notebook):
        return text, ChunksResult([], [])  # an R/SQL/Scala notebook: its cells are not Python
    positions = [position for position, _source in code_cells(notebook)]
    sources = [source for _position, source in code_cells(notebook)]
    result = migrate_chunks(sources, target, filename)
    spans = source_spans(text) if (result.changed or result.findings) else []
    # Report positions by the notebook's own cell numbering (markdown cells count too), plus where
    # the line is in the .ipynb file.
    located = []
    for f in result.findings:
        if f.cell is None:
            located.append(f)
            continue
        cell = positions[f.cell]
        where = _file_position(text, spans[cell] if cell < len(spans) else None, f.line, f.col)
        extra = dict(f.extra)
        if where is not None:
            extra.update(file_line=str(where[0]), file_column=str(where[1]))
        located.append(Finding(f.code, f.message, f.line, f.col, f.fix, f.path, cell, extra))
    result.findings = located
    if not result.changed:
        return text, result
    ascii_only = not any(ord(ch) > 127 for ch in text) and "\\u" in text
    replacements = []
    for index, old, new in zip(positions, sources, result.chunks):
        span = spans[index] if index < len(spans) else None
        if old == new or span is None:
            continue
        replacements.append((span.start, span.end, render_source(text, span, new, ascii_only)))
    out = text
    for start, end, rendered in sorted(replacements, reverse=True):
        out = out[:start] + rendered + out[end:]
    return out, result


def notebook_round_trips(text: str) -> bool:
    """True when every cell source can be rewritten in place (the scan finds each source value)."""
    try:
        notebook = json.loads(text)
        spans = source_spans(text)
    except (ValueError, IndexError, AssertionError):
        return False
    cells = notebook.get("cells") or []
    if len(spans) != len(cells):
        return False
    ascii_only = not any(ord(ch) > 127 for ch in text) and "\\u" in text
    for cell, span in zip(cells, spans):
        if span is None:
            continue
        source = cell.get("source", "")
        joined = "".join(source) if isinstance(source, list) else source
        if render_source(text, span, joined, ascii_only) != text[span.start : span.end]:
            return False
    return True
