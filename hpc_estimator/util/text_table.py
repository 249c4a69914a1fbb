"""Plain-text tables for terminal output (a header row, a rule, aligned columns)."""

from __future__ import annotations

from collections.abc import Sequence


def format_rows(rows: Sequence[Sequence[object]]) -> str:
    if not rows:
        return ""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    lines = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
