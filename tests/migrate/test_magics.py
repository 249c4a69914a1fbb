"""migrate.magics: which lines of a cell are IPython magics (shared by hpcest migrate and hpcest run)."""

from __future__ import annotations

import pytest

from migrate.magics import magic_lines


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("!ls\nx = !pwd\n%time y\nz, w = %env\nobj?\n??obj", [
            (0, "system", "ls"), (1, "assign_system", "pwd"), (2, "line", "time y"), (3, "assign_line", "env"),
            (4, "help", ""), (5, "help", "")]),
        ("if (a\n    != b):\n    pass", []),  # inside brackets
        ('msg = ("%s"\n       % 3)', []),
        ("x = 1 + \\\n    % 2", []),  # after a backslash continuation
        ('s = """\n!no\n%no\n"""\n!yes', [(4, "system", "yes")]),  # inside a triple-quoted string
        ("f = rb'''\n%no\n'''\n%yes", [(3, "line", "yes")]),
        ("x = 1  # why?\nprint('what?')\ny = '(' \n%yes", [(3, "line", "yes")]),  # ? and ( in comment/strings
        ("for i in range(2):\n    !echo {i}", [(1, "system", "echo {i}")]),
    ],
)
def test_magics_are_found_only_where_a_logical_line_starts(source: str, expected: list[tuple[int, str, str]]) -> None:
    assert [(m.index, m.kind, m.body) for m in magic_lines(source)] == expected
