"""Remove imports that a rewrite left unused — only those, and only names the rewrite stopped using.

libcst's RemoveImportsVisitor recomputes scope metadata for the whole module, which dominated the
run time; the codemod knows exactly which names it replaced, so a name scan is enough here.
"""

from __future__ import annotations

import libcst as cst
from libcst.helpers import get_full_name_for_node

STAR_MODULE_EXPORTS = {
    "azureml.train.estimator": {"Estimator", "MMLBaseEstimator", "Mpi", "Gloo", "Nccl", "ParameterServer"},
    "azureml.train.dnn": {"PyTorch", "TensorFlow", "Chainer", "Mpi", "Gloo", "Nccl", "ParameterServer"},
    "azureml.train.sklearn": {"SKLearn"},
}


class _Uses(cst.CSTVisitor):
    """Every identifier and dotted name used outside import statements."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.dotted: set[str] = set()

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
        # ``Estimator = None`` (an import fallback) rebinds the name; it does not use the import.
        return not isinstance(node.target, cst.Name)

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        name = get_full_name_for_node(node)
        if name:
            self.dotted.add(name)


class PruneImports(cst.CSTTransformer):
    def __init__(self, candidates: set[str], uses: _Uses) -> None:
        super().__init__()
        self.candidates = candidates
        self.uses = uses

    def _unused(self, bound: str, dotted: str | None = None) -> bool:
        if bound not in self.candidates:
            return False
        if dotted is not None:  # ``import a.b.c``: unused when no a.b.c.* access is left
            return not any(d == dotted or d.startswith(dotted + ".") for d in self.uses.dotted)
        return bound not in self.uses.names

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom | cst.RemovalSentinel:
        if isinstance(updated_node.names, cst.ImportStar):
            return self._star(updated_node)
        kept = [
            alias
            for alias in updated_node.names
            if not self._unused(alias.evaluated_alias or str(get_full_name_for_node(alias.name)))
        ]
        if len(kept) == len(updated_node.names):
            return updated_node
        if not kept:
            return cst.RemoveFromParent()
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(
            names=kept,
            rpar=updated_node.rpar if len(kept) > 1 else None,
            lpar=updated_node.lpar if len(kept) > 1 else None,
        )

    def _star(self, node: cst.ImportFrom) -> cst.ImportFrom | cst.RemovalSentinel:
        """``from azureml.train.dnn import *`` goes when the rewrite used it and none of its names remain.

        Only for the estimator modules, whose public names are exactly the classes the rewrite replaces.
        """
        module = get_full_name_for_node(node.module) if node.module else None
        exports = STAR_MODULE_EXPORTS.get(module or "")
        if exports and exports & self.candidates and not exports & self.uses.names:
            return cst.RemoveFromParent()
        return node

    def leave_Import(self, original_node: cst.Import, updated_node: cst.Import) -> cst.Import | cst.RemovalSentinel:
        kept = []
        for alias in updated_node.names:
            full = str(get_full_name_for_node(alias.name))
            if alias.asname is not None:
                unused = self._unused(str(alias.evaluated_alias))
            else:
                unused = self._unused(full.split(".")[0], dotted=full) and full in self.candidates
            if not unused:
                kept.append(alias)
        if len(kept) == len(updated_node.names):
            return updated_node
        if not kept:
            return cst.RemoveFromParent()
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(names=kept)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        if not updated_node.body:
            return cst.RemoveFromParent()
        return updated_node

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if not updated_node.body:
            # A block whose only statement was the import (try: / def:) must stay valid Python.
            return updated_node.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])])
        return updated_node


def prune_unused_imports(module: cst.Module, candidates: set[str]) -> cst.Module:
    """Drop import aliases bound to ``candidates`` (names/dotted paths a rewrite used) if now unused."""
    if not candidates:
        return module
    uses = _Uses()
    module.visit(uses)
    return module.visit(PruneImports(candidates, uses))
