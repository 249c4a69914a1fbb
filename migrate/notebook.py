"""Jupyter notebooks: rewrite code cells, keep outputs, metadata and JSON layout."""

from __future__ import annotations

import json
import re

from migrate.chunks import ChunksResult, migrate_chunks


def _indent_of(text: str) -> int | None:
    match = re.search(r"\n( *)\"", text)
    return len(match.group(1)) if match else None


def _dump(notebook: object, indent: int | None, ascii_only: bool, trailing_newline: bool) -> str:
    text = json.dumps(notebook, indent=indent, ensure_ascii=ascii_only)
    return text + "\n" if trailing_newline else text


def _kernel_language(notebook: dict) -> str:  # type: ignore[type-arg]
    metadata = notebook.get("metadata") or {}
    language = (metadata.get("language_info") or {}).get("name") or (metadata.get("kernelspec") or {}).get("language")
    return str(language or "").lower()


def migrate_notebook(text: str, target: str, filename: str | None = None) -> tuple[str, ChunksResult]:
    notebook = json.loads(text)
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        raise ValueError("not a notebook: no 'cells' list (nbformat 4 is required)")
    if _kernel_language(notebook) not in ("python", ""):
        return text, ChunksResult(list(), [])  # an R/SQL/Scala notebook: its cells are not Python
    code_cells = [c for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
    sources = []
    for cell in code_cells:
        source = cell.get("source", "")
        sources.append("".join(source) if isinstance(source, list) else str(source))
    result = migrate_chunks(sources, target, filename)
    # Report positions by the notebook's own cell numbering (markdown cells count too).
    positions = [index for index, c in enumerate(cells) if isinstance(c, dict) and c.get("cell_type") == "code"]
    result.findings = [
        f.located(f.path, f.line, f.col, positions[f.cell]) if f.cell is not None else f for f in result.findings
    ]
    if not result.changed:
        return text, result
    # Match the file's own serialisation so unchanged cells, outputs and metadata stay byte-identical.
    indent = _indent_of(text)
    ascii_only = not any(ord(ch) > 127 for ch in text) and "\\u" in text
    trailing = text.endswith("\n")
    for cell, old, new in zip(code_cells, sources, result.chunks):
        if old == new:
            continue
        if isinstance(cell.get("source"), list):
            cell["source"] = new.splitlines(keepends=True)
        else:
            cell["source"] = new
    return _dump(notebook, indent, ascii_only, trailing), result


def notebook_round_trips(text: str) -> bool:
    """True when re-serialising the unchanged notebook reproduces it exactly."""
    try:
        notebook = json.loads(text)
    except ValueError:
        return False
    ascii_only = not any(ord(ch) > 127 for ch in text) and "\\u" in text
    return _dump(notebook, _indent_of(text), ascii_only, text.endswith("\n")) == text
