"""Remove the script_params dict (or the ``**`` keywords dict) the rewrite inlined, when nothing else
uses it any more.

Before::

    params = {"--lr": 0.1}
    params["--epochs"] = 3
    common = dict(source_directory=".", compute_target=ct)
    est = Estimator(entry_script="train.py", script_params=params, **common)

After::

    est = ScriptRunConfig(source_directory=".", script="train.py", arguments=["--lr", 0.1, "--epochs", 3],
                          compute_target=ct, ...)

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
        if p.blocked or p.call not in m.call_rewrites:
            continue
        inlined: list[tuple[str, list[cst.CSTNode]]] = []
        node = p.kwargs.get("script_params")
        if p.dead_statements and isinstance(node, cst.Name):
            inlined.append((node.value, p.dead_statements))
        if p.spread is not None and p.spread[1] is not None:
            inlined.append((p.spread[0], [p.spread[1]]))
        for name, dead in inlined:
            uses_by_name[name] = uses_by_name.get(name, 0) + 1
            statements_by_name.setdefault(name, [])
            for statement in dead:
                if statement not in statements_by_name[name]:
                    statements_by_name[name].append(statement)
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
