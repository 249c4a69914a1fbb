"""The codemod as a libcst ``Codemod`` (for ``libcst.tool`` and ``CodemodTest``).

The work is done by :mod:`migrate.engine` and the rules in :mod:`migrate.rules`; this class only
adapts them to libcst's codemod interface. It deliberately skips libcst's per-run metadata wrapper
(a deep copy of the module) since the engine resolves what it needs itself.
"""

from __future__ import annotations

import libcst as cst
from libcst.codemod import Codemod, CodemodContext

from migrate.engine import migrate_module
from migrate.findings import Finding


class MigrateCommand(Codemod):
    DESCRIPTION = "Rewrite Azure ML v1 estimators to ScriptRunConfig + Environment (+ CommandStep)."

    def __init__(self, context: CodemodContext, target: str = "azureml", lint_scripts: bool = True) -> None:
        super().__init__(context)
        self.target = target
        self.lint_scripts = lint_scripts
        self.findings: list[Finding] = context.scratch.setdefault("hpcest_findings", [])

    def transform_module(self, tree: cst.Module) -> cst.Module:
        return self.transform_module_impl(tree)

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        new, findings = migrate_module(tree, self.target, self.context.filename, self.lint_scripts)
        self.findings.extend(findings)
        for finding in findings:
            self.warn(f"{finding.code}:{finding.line}:{finding.col}: {finding.message}")
        return new
