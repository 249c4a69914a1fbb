"""Migrate one Python source text: parse, run the codemod, check the result parses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst
from libcst.codemod import CodemodContext

from migrate.codemod import MigrateCommand
from migrate.findings import Finding

# A source can only contain v1 calls if it names one of these; anything else is not parsed at all.
_MENTIONS = re.compile(
    r"\b(?:Estimator|PyTorch|TensorFlow|Chainer|SKLearn|HyperDrive\w*|Mpi|Gloo|Nccl|ParameterServer)\b"
)


@dataclass
class MigrationResult:
    code: str
    changed: bool
    findings: list[Finding] = field(default_factory=list)


class OutputDoesNotParse(Exception):
    """The rewritten code failed to parse; the input must be left untouched."""


def mentions_v1(text: str) -> bool:
    return "azureml" in text and bool(_MENTIONS.search(text))


def migrate_source(text: str, target: str = "azureml", filename: str | None = None) -> MigrationResult:
    """Raises ``cst.ParserSyntaxError`` for unparsable input and ``OutputDoesNotParse`` for bad output."""
    if not mentions_v1(text):
        return MigrationResult(text, False)
    module = cst.parse_module(text)
    context = CodemodContext(filename=filename)
    command = MigrateCommand(context, target=target)
    new_module = command.transform_module(module)
    code = new_module.code
    findings = sorted(command.findings, key=lambda f: (f.line, f.col, f.code))
    if code == text:
        return MigrationResult(text, False, findings)
    try:
        cst.parse_module(code)
        compile(code, filename or "<migrated>", "exec", dont_inherit=True)
    except (cst.ParserSyntaxError, SyntaxError) as error:
        raise OutputDoesNotParse(f"rewritten code does not parse: {error}") from error
    return MigrationResult(code, True, findings)
