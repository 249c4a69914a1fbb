"""Remove the script_params dict the rewrite inlined, when nothing else uses it any more.

Before::

    params = {"--lr": 0.1}
    params["--epochs"] = 3
    est = Estimator(".", entry_script="train.py", compute_target=ct, script_params=params)

After::

    est = ScriptRunConfig(source_directory=".", script="train.py", arguments=["--lr", 0.1, "--epochs", 3], ...)

Only statements the rewrite made dead go: the binding and the item writes that were merged into
``arguments``, when the name occurs nowhere else in the module and the statements carry no comments.
"""

from __future__ import annotations

import libcst as cst

from migrate.engine import Migration

CODES: tuple[str, ...] = ()


def plan(m: Migration) -> None:
    uses_by_name: dict[str, int] = {}
    statements_by_name: dict[str, list[cst.CSTNode]] = {}
    for p in m.estimators.values():
        node = p.kwargs.get("script_params")
        if p.blocked or not p.dead_statements or not isinstance(node, cst.Name) or p.call not in m.call_rewrites:
            continue
        uses_by_name[node.value] = uses_by_name.get(node.value, 0) + 1
        statements_by_name.setdefault(node.value, [])
        for statement in p.dead_statements:
            if statement not in statements_by_name[node.value]:
                statements_by_name[node.value].append(statement)
    for name, statements in statements_by_name.items():
        # The binding's own target is not a reference; each ``d[k] = v`` write is one.
        expected = uses_by_name[name] + len(statements) - 1
        if m.facts.name_counts.get(name, 0) != expected:
            continue
        if not all(_removable(statement) for statement in statements):
            continue
        m.removed.update(statements)


def _removable(statement: cst.CSTNode) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    if any(line.comment is not None for line in statement.leading_lines):
        return False
    if statement.trailing_whitespace.comment is not None:
        return False
    small = statement.body[0]
    return isinstance(small, cst.Assign) and len(small.targets) == 1
