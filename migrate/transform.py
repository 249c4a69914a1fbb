"""Migrate one Python source text: parse, run the codemod, check the result parses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from migrate.codegen import module_code
from migrate.engine import migrate_module
from migrate.findings import Finding

# A source can only contain v1 calls if it names one of these; anything else is not parsed at all.
_MENTIONS = re.compile(
    r"\b(?:Estimator|EstimatorStep|PyTorch|TensorFlow|Chainer|SKLearn|HyperDrive\w*|Mpi|Gloo|Nccl|ParameterServer)\b"
)


@dataclass
class MigrationResult:
    code: str
    changed: bool
    findings: list[Finding] = field(default_factory=list)


class OutputDoesNotParse(Exception):
    """The rewritten code failed to parse; the input must be left untouched."""


def mentions_v1(text: str) -> bool:
    """Names a v1 class (files are pre-filtered on mentioning azureml; a docs block may not)."""
    return bool(_MENTIONS.search(text))


def migrate_source(text: str, target: str = "azureml", filename: str | None = None) -> MigrationResult:
    """Raises ``cst.ParserSyntaxError`` for unparsable input and ``OutputDoesNotParse`` for bad output."""
    if not mentions_v1(text):
        return MigrationResult(text, False)
    module = cst.parse_module(text)
    new_module, findings = migrate_module(module, target, filename, source=text)
    code = module_code(new_module)
    if code == text:
        return MigrationResult(text, False, findings)
    check_parses(code, filename)
    return MigrationResult(code, True, findings)


def check_parses(code: str, filename: str | None = None) -> None:
    """Raise OutputDoesNotParse unless ``code`` compiles (CPython's own parser is the judge)."""
    try:
        compile(code, filename or "<migrated>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        raise OutputDoesNotParse(f"rewritten code does not parse: {error}") from error
