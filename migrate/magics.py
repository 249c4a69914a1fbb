"""Which lines of a notebook cell are IPython magics, and which cells of a notebook are Python code.

Shared by ``hpcest migrate`` (``migrate/chunks.py`` masks the magics so the cell parses) and
``hpcest run`` (``hpc_estimator/compat/notebook.py`` turns them into calls). Standard library
only: it must not load libcst (``hpcest run`` and the warm start of ``hpcest migrate`` import it).

IPython recognises an escape (``!cmd``, ``%magic``, ``x = !cmd``, ``obj?``) only where a *logical*
line starts: a line inside open brackets, inside a triple-quoted string or after a backslash
continuation is Python, whatever its first character (``if (a\\n    != b):``, ``("%s"\\n   % 3)``).
A small scanner follows brackets, strings, comments and backslashes line by line to know that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Kinds of magic line.
CELL = "cell"  # %%name args: the whole cell is the magic's input
SYSTEM = "system"  # !cmd
LINE = "line"  # %name args
ASSIGN_SYSTEM = "assign_system"  # x = !cmd
ASSIGN_LINE = "assign_line"  # x = %name args
HELP = "help"  # obj? / obj?? / ?obj

_ASSIGN = re.compile(r"^(\s*)([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*=\s*([!%])(.*)$")
_STRING_START = re.compile(r"(?i)(?:[rbuf]|rb|br|fr|rf)?('''|\"\"\"|'|\")")
_OPEN, _CLOSE = "([{", ")]}"


@dataclass(frozen=True)
class MagicLine:
    index: int  # 0-based physical line of the cell
    kind: str  # one of the kinds above
    indent: str
    text: str  # the line without its indentation and line ending
    target: str = ""  # ASSIGN_*: the names assigned
    body: str = ""  # what follows the escape: the command, or "name args" of a magic


@dataclass
class _State:
    depth: int = 0  # open brackets
    quote: str = ""  # the open string's quote ('' when outside strings)
    backslash: bool = False  # the last line ended with a continuation backslash

    @property
    def at_logical_start(self) -> bool:
        return not (self.depth or self.quote or self.backslash)


def _scan(line: str, state: _State) -> str:
    """Advance ``state`` over one physical line; return the line's code outside strings and comments."""
    code: list[str] = []
    i, n = 0, len(line)
    state.backslash = False
    while i < n:
        if state.quote:
            if line[i] == "\\":
                i += 2
                continue
            if line.startswith(state.quote, i):
                i += len(state.quote)
                state.quote = ""
                code.append('""')
                continue
            i += 1
            continue
        ch = line[i]
        if ch == "#":
            break
        if ch == "\\" and i == n - 1:
            state.backslash = True
            break
        # A quote opens a string; so do the prefixes r b u f (any case, rb/fr pairs) at a name's start.
        prefixed = ch.isalpha() and (i == 0 or not (line[i - 1].isalnum() or line[i - 1] == "_"))
        start = _STRING_START.match(line, i) if ch in "'\"" or prefixed else None
        if start:
            state.quote = start.group(1)
            i = start.end()
            continue
        if ch in _OPEN:
            state.depth += 1
        elif ch in _CLOSE:
            state.depth = max(0, state.depth - 1)
        code.append(ch)
        i += 1
    if state.quote in ("'", '"') and not line.endswith("\\"):
        state.quote = ""  # a one-quote string ends with its line, unless a backslash continues it
    return "".join(code)


def _classify(index: int, line: str) -> MagicLine | None:
    """The magic a line that starts a logical line is, if any."""
    stripped = line.strip()
    indent = line[: len(line) - len(line.lstrip())]
    if stripped.startswith("%%"):
        return MagicLine(index, CELL, indent, stripped, body=stripped[2:])
    if stripped.startswith("!"):
        return MagicLine(index, SYSTEM, indent, stripped, body=stripped[1:])
    if stripped.startswith("%"):
        return MagicLine(index, LINE, indent, stripped, body=stripped[1:])
    match = _ASSIGN.match(line.rstrip())
    if match:
        indent, target, escape, rest = match.groups()
        kind = ASSIGN_SYSTEM if escape == "!" else ASSIGN_LINE
        return MagicLine(index, kind, indent, stripped, target=target, body=rest)
    return None


def magic_lines(source: str) -> list[MagicLine]:
    """The magic lines of a cell, in order (a ``?`` outside strings and comments makes a help line:
    it is never Python)."""
    found: list[MagicLine] = []
    state = _State()
    for index, line in enumerate(source.splitlines()):
        if state.at_logical_start and line.strip():
            magic = _classify(index, line)
            if magic is not None:
                found.append(magic)
                continue  # the escape's text is not Python: it opens no bracket or string
            code = _scan(line, state).strip()
            if (code.startswith("?") or code.endswith("?")) and state.at_logical_start:
                found.append(MagicLine(index, HELP, line[: len(line) - len(line.lstrip())], line.strip()))
            continue
        _scan(line, state)
    return found


def is_cell_magic(source: str) -> bool:
    """The cell starts (after blank lines) with ``%%name``: the whole cell is that magic's input."""
    return source.lstrip().startswith("%%")


# -- notebooks --------------------------------------------------------------------------------


def kernel_language(notebook: dict) -> str:  # type: ignore[type-arg]
    """The notebook's kernel language, lower case ("" when the metadata does not say)."""
    metadata = notebook.get("metadata") or {}
    language = (metadata.get("language_info") or {}).get("name") or (metadata.get("kernelspec") or {}).get("language")
    return str(language or "").lower()


def is_python_notebook(notebook: dict) -> bool:  # type: ignore[type-arg]
    """True unless the metadata names another kernel language (an R, SQL or Scala notebook)."""
    return kernel_language(notebook) in ("python", "")


def code_cells(notebook: dict) -> list[tuple[int, str]]:  # type: ignore[type-arg]
    """(position among all cells, source) of each code cell of an nbformat-4 notebook."""
    out = []
    for position, cell in enumerate(notebook.get("cells") or []):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            out.append((position, "".join(source) if isinstance(source, list) else str(source)))
    return out
