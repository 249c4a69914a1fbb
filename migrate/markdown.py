"""Fenced Python blocks in Markdown: rewrite the code, leave the prose alone.

Blocks taken: fences (backticks or tildes, any indentation, e.g. inside list items) tagged python,
py, python3, py3, ipython, ipython3 in any case (also ``{python}``, ``{.python}`` and tags followed by
attributes), and untagged fences whose body is Python (magics masked) and names a v1 class. Docs
pages use all of these. All blocks of a document are analysed together, so an import in one block
serves a call in another.
"""

from __future__ import annotations

import re

from migrate.chunks import ChunksResult, migrate_chunks

_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")
_PYTHON_TAG = re.compile(r"^\{?\.?(?:python[23]?|py3?|ipython[23]?)(?:[\s,}{].*)?$", re.IGNORECASE)
_V1_NAMES = re.compile(r"\b(?:Estimator|PyTorch|TensorFlow|Chainer|SKLearn|EstimatorStep|HyperDrive\w*)\s*\(")


def _blocks(lines: list[str]) -> list[tuple[int, int, str, bool]]:
    """(first content line, end line exclusive, indent, tagged) for each fenced block that is, or
    may be, Python (untagged ones are checked later)."""
    blocks = []
    index = 0
    while index < len(lines):
        match = _OPEN.match(lines[index].rstrip("\r\n"))
        if not match:
            index += 1
            continue
        indent, fence = match.group("indent"), match.group("fence")
        info = match.group("info").strip()
        tagged = bool(_PYTHON_TAG.match(info))
        if info and not tagged:
            # Another language: skip to its closing fence.
            end = index + 1
            while end < len(lines):
                stripped = lines[end].strip()
                if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
                    break
                end += 1
            index = end + 1
            continue
        end = index + 1
        while end < len(lines):
            stripped = lines[end].rstrip("\r\n")
            if stripped.strip().startswith(fence[0] * len(fence)) and not stripped.strip().strip(fence[0]):
                break
            end += 1
        if end >= len(lines):
            break  # unterminated fence: not a block we can safely rewrite
        blocks.append((index + 1, end, indent, tagged))
        index = end + 1
    return blocks


def migrate_markdown(text: str, target: str, filename: str | None = None) -> tuple[str, ChunksResult]:
    lines = text.splitlines(keepends=True)
    blocks = []
    sources = []
    for start, end, indent, tagged in _blocks(lines):
        source = "".join(
            line[len(indent) :] if line.startswith(indent) else line.lstrip(" \t") for line in lines[start:end]
        )
        if not tagged and not _V1_NAMES.search(source):
            continue  # an untagged block counts only when it calls a v1 class
        blocks.append((start, end, indent, tagged))
        sources.append(source)
    optional = {i for i, block in enumerate(blocks) if not block[3]}
    result = migrate_chunks(sources, target, filename, optional=optional)
    # Findings come back per block; report them at their line in the Markdown file.
    result.findings = [
        f.located(f.path, blocks[f.cell][0] + f.line, f.col + len(blocks[f.cell][2]), None) if f.cell is not None else f
        for f in result.findings
    ]
    if not result.changed:
        return text, result
    newline = "\r\n" if "\r\n" in text else "\n"
    for (start, end, indent, _), old, new in reversed(list(zip(blocks, sources, result.chunks))):
        if old == new:
            continue
        new_lines = [indent + line if line.strip() else line for line in new.splitlines(keepends=True)]
        if new_lines and not new_lines[-1].endswith(("\n", "\r")):
            new_lines[-1] += newline
        lines[start:end] = new_lines
    return "".join(lines), result
