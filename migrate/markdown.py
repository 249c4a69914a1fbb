"""Fenced Python blocks in Markdown: rewrite the code, leave the prose alone."""

from __future__ import annotations

import re

from migrate.chunks import ChunksResult, migrate_chunks

_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>python3?|py|ipython3?)\b[^\n]*$")


def _blocks(lines: list[str]) -> list[tuple[int, int, str]]:
    """(first content line, end line exclusive, indent) for each fenced python block."""
    blocks = []
    index = 0
    while index < len(lines):
        match = _OPEN.match(lines[index].rstrip("\r\n"))
        if not match:
            index += 1
            continue
        indent, fence = match.group("indent"), match.group("fence")
        end = index + 1
        while end < len(lines):
            stripped = lines[end].rstrip("\r\n")
            if stripped.strip().startswith(fence[0] * len(fence)) and not stripped.strip().strip(fence[0]):
                break
            end += 1
        if end >= len(lines):
            break  # unterminated fence: not a block we can safely rewrite
        blocks.append((index + 1, end, indent))
        index = end + 1
    return blocks


def migrate_markdown(text: str, target: str, filename: str | None = None) -> tuple[str, ChunksResult]:
    lines = text.splitlines(keepends=True)
    blocks = _blocks(lines)
    sources = []
    for start, end, indent in blocks:
        sources.append("".join(line[len(indent) :] if line.startswith(indent) else line for line in lines[start:end]))
    result = migrate_chunks(sources, target, filename)
    # Findings come back per block; report them at their line in the Markdown file.
    result.findings = [
        f.located(f.path, blocks[f.cell][0] + f.line, f.col + len(blocks[f.cell][2]), None) if f.cell is not None else f
        for f in result.findings
    ]
    if not result.changed:
        return text, result
    newline = "\r\n" if "\r\n" in text else "\n"
    for (start, end, indent), old, new in reversed(list(zip(blocks, sources, result.chunks))):
        if old == new:
            continue
        new_lines = [indent + line if line.strip() else line for line in new.splitlines(keepends=True)]
        if new_lines and not new_lines[-1].endswith(("\n", "\r")):
            new_lines[-1] += newline
        lines[start:end] = new_lines
    return "".join(lines), result
