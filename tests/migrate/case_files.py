"""Before/after cases for the codemod: ``cases/<rule>/<name>.before`` and ``.after``.

Each rule module of ``migrate.rules`` has its own directory (the rule that the case is about); a
case's name is ``<rule>/<name>``.

They are Python sources with other suffixes so that linters and a migrate run over the repository
leave them alone.

The first line of each case, ``# hpcest-case: codes=A,B target=hpcest``, names the warning codes the
case must produce (exactly) and the options to run it with. Run this module to (re)write the expected
files after a deliberate change, then review the diff:  python -m tests.migrate.case_files
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CASES_DIR = Path(__file__).parent / "cases"
_HEADER = re.compile(r"^# hpcest-case:(?P<body>.*)$", re.M)


@dataclass(frozen=True)
class Case:
    name: str
    before: str
    expected_path: Path
    codes: frozenset[str]
    target: str

    @property
    def after(self) -> str:
        return self.expected_path.read_text(encoding="utf-8")


def load_cases() -> list[Case]:
    cases = []
    for path in sorted(CASES_DIR.glob("*/*.before")):
        text = path.read_text(encoding="utf-8")
        header = _HEADER.search(text)
        options = dict(item.split("=", 1) for item in header.group("body").split()) if header else {}
        codes = frozenset(c for c in options.get("codes", "").split(",") if c)
        name = f"{path.parent.name}/{path.stem}"
        cases.append(Case(name, text, path.with_suffix(".after"), codes, options.get("target", "azureml")))
    return cases


def run_case(case: Case) -> tuple[str, list[str]]:
    """(rewritten code, codes reported) using the codemod directly."""
    import libcst as cst

    from migrate.engine import migrate_module

    module, findings = migrate_module(cst.parse_module(case.before), case.target)
    return module.code, [f.code for f in findings]


if __name__ == "__main__":
    for case in load_cases():
        code, codes = run_case(case)
        case.expected_path.write_text(code, encoding="utf-8")
        print(f"{case.name}: {sorted(set(codes))} (declared {sorted(case.codes)})")
