"""--target hpcest: azureml imports of names that hpc_estimator provides come from hpc_estimator.

Before::

    from azureml.core import Workspace, Experiment, Model
    from azureml.train.hyperdrive import HyperDriveConfig, choice

After::

    from azureml.core import Model
    from hpc_estimator import Workspace, Experiment
    from hpc_estimator import HyperDriveConfig, choice

so that the migrated file does not mix the two packages' objects. Names hpc_estimator does not
provide (``Model``) stay with azureml. Module imports (``import azureml.core``) are left alone.
The table is :data:`migrate.names.HPCEST_PROVIDED`.
"""

from __future__ import annotations

import libcst as cst
from libcst.helpers import get_full_name_for_node

from migrate.engine import Migration
from migrate.names import HPCEST_MODULE, HPCEST_PROVIDED

CODES: tuple[str, ...] = ()


def plan(m: Migration) -> None:
    if m.target != "hpcest":
        return
    for node in m.facts.imports:
        if not isinstance(node, cst.ImportFrom) or node.relative or node.module is None:
            continue
        if isinstance(node.names, cst.ImportStar):
            continue
        module = get_full_name_for_node(node.module) or ""
        if not module.startswith("azureml."):
            continue
        provided = [a for a in node.names if (get_full_name_for_node(a.name) or "") in HPCEST_PROVIDED]
        if not provided:
            continue
        statement = m.facts.parent_of(node)
        if len(provided) == len(node.names):
            m.node_rewrites[node] = lambda updated: updated.with_changes(module=cst.Name(HPCEST_MODULE))
            continue
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        kept_names = {id(a) for a in node.names if a not in provided}

        def rewrite(
            updated: cst.CSTNode, kept_names: set[int] = kept_names, original: cst.ImportFrom = node
        ) -> cst.CSTNode:
            assert isinstance(updated, cst.ImportFrom) and not isinstance(updated.names, cst.ImportStar)
            assert not isinstance(original.names, cst.ImportStar)
            keep = [u for u, o in zip(updated.names, original.names) if id(o) in kept_names]
            keep[-1] = keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return updated.with_changes(
                names=keep, lpar=updated.lpar if len(keep) > 1 else None, rpar=updated.rpar if len(keep) > 1 else None
            )

        m.node_rewrites[node] = rewrite
        moved = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in provided]
        moved = [
            a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) if i < len(moved) - 1 else a
            for i, a in enumerate(moved)
        ]
        m.add_after(statement, [cst.SimpleStatementLine([cst.ImportFrom(module=cst.Name(HPCEST_MODULE), names=moved)])])
