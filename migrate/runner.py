"""Run the migration over many files: one file's failure is reported and the run goes on."""

from __future__ import annotations

import os
import traceback
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from migrate.files import write_atomically
from migrate.findings import Finding
from migrate.markdown import migrate_markdown
from migrate.notebook import migrate_notebook
from migrate.source_text import decode_python, decode_utf8
from migrate.transform import OutputDoesNotParse, mentions_v1, migrate_source


@dataclass
class FileResult:
    path: str
    parsed: bool = False
    changed: bool = False
    old_text: str = ""
    new_text: str = ""
    new_bytes: bytes | None = None
    findings: list[Finding] = field(default_factory=list)
    error: Finding | None = None
    written: bool = False


@dataclass
class Summary:
    scanned: int = 0
    parsed: int = 0
    changed: int = 0
    written: int = 0
    errors: int = 0
    internal_errors: int = 0
    by_code: Counter[str] = field(default_factory=Counter)

    def add(self, result: FileResult) -> None:
        self.scanned += 1
        self.parsed += result.parsed
        self.changed += result.changed
        self.written += result.written
        for finding in result.findings:
            self.by_code[finding.code] += 1
        if result.error is not None:
            self.errors += 1
            self.by_code[result.error.code] += 1
            if result.error.code == "HPE903":
                self.internal_errors += 1

    def to_dict(self) -> dict[str, object]:
        return {
            "files_scanned": self.scanned,
            "files_parsed": self.parsed,
            "files_changed": self.changed,
            "files_written": self.written,
            "errors": self.errors,
            "warnings_by_code": dict(sorted(self.by_code.items())),
        }


def migrate_file(path: str, target: str = "azureml") -> FileResult:
    """Compute the migrated content of one file (nothing is written here)."""
    result = FileResult(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        result.error = Finding("HPE904", f"cannot read: {error.strerror}", path=path, fix="check permissions")
        return result
    if b"azureml" not in data:
        return result  # cannot reference v1 classes: not parsed at all
    suffix = Path(path).suffix
    try:
        if suffix == ".py":
            decoded = decode_python(data)
            result.parsed = mentions_v1(decoded.text)
            migrated = migrate_source(decoded.text, target, path)
            new_text, findings, changed = migrated.code, migrated.findings, migrated.changed
        else:
            decoded = decode_utf8(data, lenient=suffix != ".ipynb")
            result.parsed = mentions_v1(decoded.text)
            if suffix == ".ipynb":
                new_text, chunks = migrate_notebook(decoded.text, target, path)
            else:
                new_text, chunks = migrate_markdown(decoded.text, target, path)
            findings, changed = chunks.findings, chunks.changed
        result.findings = [f.located(path, f.line, f.col, f.cell) for f in findings]
        result.old_text, result.changed = decoded.text, changed
        if changed:
            result.new_text = new_text
            result.new_bytes = decoded.encode(new_text)
    except cst.ParserSyntaxError as error:
        result.error = Finding(
            "HPE901",
            f"cannot parse: {error.message}",
            error.raw_line,
            error.raw_column + 1,
            "fix the syntax error; the file was left untouched",
            path,
        )
    except (UnicodeError, ValueError, SyntaxError) as error:
        result.error = Finding(
            "HPE901",
            f"cannot read as source: {error}",
            path=path,
            fix="check the file's encoding/format; the file was left untouched",
        )
    except OutputDoesNotParse as error:
        result.error = Finding("HPE902", str(error), path=path, fix="please report this; the file was left untouched")
    except Exception as error:
        detail = traceback.format_exception_only(type(error), error)[-1].strip()
        result.error = Finding(
            "HPE903",
            f"internal error: {detail}",
            path=path,
            fix="please report this with the file; it was left untouched",
        )
    return result


def _work(args: tuple[str, str]) -> FileResult:
    return migrate_file(*args)


def run(paths: Iterable[Path], target: str, write: bool, jobs: int | None) -> Iterable[FileResult]:
    """Yield results in input order; with ``write`` the changed files are replaced atomically."""
    items = [(str(p), target) for p in paths]
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or len(items) <= 1:
        results: Iterable[FileResult] = map(_work, items)
        yield from (_finish(r, write) for r in results)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        chunksize = max(1, min(64, len(items) // (jobs * 8) or 1))
        for result in pool.map(_work, items, chunksize=chunksize):
            yield _finish(result, write)


def _finish(result: FileResult, write: bool) -> FileResult:
    if write and result.changed and result.new_bytes is not None:
        try:
            write_atomically(Path(result.path), result.new_bytes)
            result.written = True
        except OSError as error:
            result.error = Finding(
                "HPE904",
                f"cannot write: {error.strerror}",
                path=result.path,
                fix="check permissions; the file was left untouched",
            )
    return result
