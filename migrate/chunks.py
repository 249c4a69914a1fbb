"""Migrate several code chunks (notebook cells, Markdown blocks) as one module.

Estimators, their imports and their uses sit in different cells, so the chunks are analysed together:
they are joined with a marker statement between them, migrated once, and split back at the markers.
IPython magics are masked as ``pass`` statements (restored afterwards); a chunk that still is not
valid Python is skipped and reported, and never stops the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from migrate.findings import Finding
from migrate.magics import is_cell_magic, magic_lines
from migrate.transform import MigrationResult, OutputDoesNotParse, migrate_source

MARKER = "_hpcest_migrate_chunk_boundary_()"
_MASK = re.compile(r"^(\s*)pass  # _hpcest_magic_(\d+)_$")


@dataclass
class ChunksResult:
    chunks: list[str]
    findings: list[Finding] = field(default_factory=list)
    changed: bool = False


def _mask_magics(text: str, store: list[str]) -> str | None:
    """Replace IPython magic lines by placeholders; None for a cell magic (``%%``) cell.

    ``migrate.magics`` decides which lines are magics (the same answer ``hpcest run`` uses): only a
    line that starts a logical line can be one."""
    if is_cell_magic(text):
        return None
    lines = text.splitlines(keepends=True)
    for magic in magic_lines(text):
        line = lines[magic.index]
        body = line.rstrip("\r\n")
        lines[magic.index] = f"{magic.indent}pass  # _hpcest_magic_{len(store)}_{line[len(body):]}"
        store.append(body)
    return "".join(lines)


def _unmask(text: str, store: list[str]) -> str:
    lines = text.splitlines(keepends=True)
    out = []
    for line in lines:
        body = line.rstrip("\r\n")
        match = _MASK.match(body)
        out.append(store[int(match.group(2))] + line[len(body) :] if match else line)
    return "".join(out)


def migrate_chunks(
    chunks: list[str], target: str, filename: str | None = None, optional: set[int] | None = None
) -> ChunksResult:
    """``optional``: chunks that may not be Python at all (untagged Markdown fences): skipped without a
    warning when they do not parse."""
    store: list[str] = []
    findings: list[Finding] = []
    valid: list[int] = []
    masked: dict[int, str] = {}
    for index, chunk in enumerate(chunks):
        text = _mask_magics(chunk, store)
        if text is None or not text.strip():
            continue
        try:
            cst.parse_module(text)
        except cst.ParserSyntaxError as error:
            if optional and index in optional:
                continue
            findings.append(
                Finding(
                    "HPM111",
                    f"not valid Python ({error.message}); skipped",
                    error.editor_line,
                    error.editor_column,
                    "fix the code or ignore this cell",
                    cell=index,
                )
            )
            continue
        valid.append(index)
        masked[index] = text

    if not valid:
        return ChunksResult(list(chunks), findings)
    pieces: list[str] = []
    starts: list[int] = []
    line = 1
    for position, index in enumerate(valid):
        text = masked[index]
        if not text.endswith("\n"):
            text += "\n"
        if position:
            pieces.append(MARKER + "\n")
            line += 1
        starts.append(line)
        pieces.append(text)
        line += text.count("\n")
    combined = "".join(pieces)
    result: MigrationResult = migrate_source(combined, target, filename)
    for finding in result.findings:
        which = max(p for p, start in enumerate(starts) if start <= finding.line)
        findings.append(finding.located("", finding.line - starts[which] + 1, finding.col, valid[which]))
    if not result.changed:
        return ChunksResult(list(chunks), findings)
    parts = result.code.split(MARKER + "\n")
    if len(parts) != len(valid):
        raise RuntimeError("chunk markers were lost while rewriting; chunks left unchanged")
    new_chunks = list(chunks)
    changed = False
    for index, part in zip(valid, parts):
        original = masked[index]
        if not original.endswith("\n") and part.endswith("\n"):
            part = part[:-1]
        if not original.startswith(("\n", "\r")):
            # Removing a cell's first import leaves the blank line that followed it at the top.
            part = part.lstrip("\r\n")
        if part != original:
            # Each rewritten chunk must parse on its own too (a cell is run on its own).
            try:
                cst.parse_module(part)
            except cst.ParserSyntaxError as error:
                raise OutputDoesNotParse(f"rewritten chunk {index} does not parse: {error.message}") from error
            new_chunks[index] = _unmask(part, store)
            changed = True
    return ChunksResult(new_chunks, findings, changed)


def migrate_script_with_magics(text: str, target: str, filename: str | None = None) -> ChunksResult | None:
    """A ``.py`` file with IPython magic lines, migrated like a one-cell notebook; None when it does
    not parse even with its magics masked (or has none)."""
    store: list[str] = []
    masked = _mask_magics(text, store)
    if masked is None or not store:
        return None
    try:
        cst.parse_module(masked)
    except cst.ParserSyntaxError:
        return None
    result = migrate_chunks([text], target, filename)
    result.findings = [f.located(f.path, f.line, f.col, None) for f in result.findings]
    return result
