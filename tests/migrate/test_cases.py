"""Before/after cases through libcst's CodemodTest, plus properties checked over every case."""

from __future__ import annotations

import libcst as cst
import pytest
from libcst.codemod import CodemodContext, CodemodTest

from migrate.codemod import MigrateCommand
from tests.migrate.case_files import Case, load_cases, run_case

CASES = load_cases()


class MigrateCases(CodemodTest):
    """Each case file pair: the codemod turns ``<name>.py`` into exactly ``<name>.expected.py``."""

    TRANSFORM = MigrateCommand


def _make_test(case: Case):  # type: ignore[no-untyped-def]
    def test(self: MigrateCases) -> None:
        context = CodemodContext()
        self.assertCodemod(case.before, case.after, target=case.target, context_override=context)
        codes = {finding.code for finding in context.scratch["hpcest_findings"]}
        self.assertEqual(set(case.codes), codes, f"{case.name}: warning codes differ")

    test.__doc__ = f"Protects the rewrite and the reported codes of case {case.name!r}."
    return test


for _case in CASES:
    setattr(MigrateCases, f"test_{_case.name.replace('/', '__')}", _make_test(_case))


def test_there_are_at_least_forty_cases() -> None:
    """The case corpus must stay broad enough to cover every rule."""
    assert len(CASES) >= 40


def test_every_rule_has_its_own_cases_and_its_codes_are_exercised_there() -> None:
    """One directory of cases per rule module; each code a rule declares shows up in its cases."""
    from migrate.rules import RULE_MODULES

    by_rule: dict[str, list[Case]] = {}
    for case in CASES:
        by_rule.setdefault(case.name.split("/")[0], []).append(case)
    assert set(by_rule) <= set(RULE_MODULES), set(by_rule) - set(RULE_MODULES)
    for name, module in RULE_MODULES.items():
        assert len(by_rule.get(name, [])) >= 3, f"rule {name} has fewer than 3 cases"
        emitted = set().union(*(c.codes for c in CASES))
        file_level = {"HPL203", "HPL204", "HPL205", "HPP307"}
        missing = set(module.CODES) - emitted - file_level
        assert not missing, f"rule {name}: codes {missing} appear in no case"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_output_parses_and_second_run_changes_nothing(case: Case) -> None:
    """Never damage a file: output parses, and running again on it is a no-op (no duplicate TODOs)."""
    once, _ = run_case(case)
    compile(once, case.name, "exec")
    twice, _ = run_case(Case(case.name, once, case.expected_path, case.codes, case.target))
    assert twice == once


def test_every_rule_and_code_is_exercised() -> None:
    """Each lint/package/rewrite code the tool can emit from code appears in at least one case."""
    from migrate.findings import CODES

    emitted = set().union(*(c.codes for c in CASES))
    # File-level codes (entry-script lint, syntax errors, I/O) are covered by test_files/test_lint.
    file_level = {"HPM111", "HPL203", "HPL204", "HPL205", "HPP307", "HPE901", "HPE902", "HPE903", "HPE904"}
    assert set(CODES) - file_level <= emitted, set(CODES) - file_level - emitted


def test_untouched_code_is_byte_identical() -> None:
    """Files whose estimator-like names resolve elsewhere come back exactly as they went in."""
    for name in ("sagemaker_untouched", "sklearn_classes_untouched", "reinforcement_learning_untouched"):
        case = next(c for c in CASES if c.name.endswith("/" + name))
        code, codes = run_case(case)
        assert code == case.before and not codes


def test_target_hpcest_imports_only_from_hpc_estimator() -> None:
    """--target hpcest emits the same calls but imports every new name from hpc_estimator."""
    case = next(c for c in CASES if c.name == "target_imports/target_hpcest")
    code, _ = run_case(case)
    module = cst.parse_module(code)
    imported = [
        cst.helpers.get_full_name_for_node(node.module)
        for node in module.body
        if isinstance(node, cst.SimpleStatementLine)
        for node in node.body
        if isinstance(node, cst.ImportFrom) and node.module is not None
    ]
    assert set(imported) == {"hpc_estimator"}
    assert "ScriptRunConfig(" in code and "CommandStep(" in code
