"""Run the migration over many files: one file's failure is reported and the run goes on.

The parent process discovers, reads and pre-filters files (only those mentioning ``azureml`` can
hold v1 code) and never imports libcst; candidates go to worker processes as they are found. The
workers start warm without delaying the reading: see :mod:`migrate.pool`.
"""

from __future__ import annotations

import functools
import os
import traceback
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from migrate import prestart
from migrate.files import write_atomically
from migrate.findings import Finding
from migrate.pool import ForkedPool, Pool, SpawnPool, fork_available

# Exit status of the migrate command (the CLI-wide table: 0 ok, 1 --check found changes, 2 bad input,
# 3 internal error); the report lists the files behind a 2 or a 3.
EXIT_OK, EXIT_WOULD_CHANGE, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
INTERNAL_ERRORS = {"HPE902", "HPE903"}  # a bug in the migration, not in the file


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
    traceback: str | None = None  # for internal errors, shown with --debug


@dataclass
class Summary:
    scanned: int = 0
    parsed: int = 0
    changed: int = 0
    written: int = 0
    errors: int = 0
    unprocessed: int = 0
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
            if result.error.code in INTERNAL_ERRORS:
                self.internal_errors += 1
            else:
                self.unprocessed += 1

    def exit_code(self, check: bool) -> int:
        if self.internal_errors:
            return EXIT_INTERNAL
        if self.unprocessed:
            return EXIT_BAD_INPUT
        if check and self.changed:
            return EXIT_WOULD_CHANGE
        return EXIT_OK

    def to_dict(self) -> dict[str, object]:
        return {
            "files_scanned": self.scanned,
            "files_parsed": self.parsed,
            "files_changed": self.changed,
            "files_written": self.written,
            "errors": self.errors,
            "files_not_processed": self.unprocessed,
            "internal_errors": self.internal_errors,
            "warnings_by_code": dict(sorted(self.by_code.items())),
        }


def migrate_file(path: str, target: str = "azureml") -> FileResult:
    """Compute the migrated content of one file (nothing is written here)."""
    from migrate.libcst_lean import import_libcst

    import_libcst()  # before anything else loads libcst: a serial run's first file does it here
    import libcst as cst

    from migrate.source_text import decode_python, decode_utf8
    from migrate.transform import OutputDoesNotParse, mentions_v1, migrate_source

    result = FileResult(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        result.error = Finding("HPE904", f"cannot read: {error.strerror}", path=path, fix="check permissions")
        return result
    if b"azureml" not in data:
        return result  # cannot reference v1 classes: not parsed at all
    suffix = os.path.splitext(path)[1]
    try:
        if suffix == ".py":
            decoded = decode_python(data)
            result.parsed = mentions_v1(decoded.text)
            try:
                migrated = migrate_source(decoded.text, target, path)
                new_text, findings, changed = migrated.code, migrated.findings, migrated.changed
            except cst.ParserSyntaxError:
                # A notebook exported to a script (``%matplotlib inline``, ``!pip install``): mask the
                # magics as in notebooks; still a parse error if the rest is not Python either.
                from migrate.chunks import migrate_script_with_magics

                with_magics = migrate_script_with_magics(decoded.text, target, path)
                if with_magics is None:
                    raise
                new_text, findings, changed = with_magics.chunks[0], with_magics.findings, with_magics.changed
        else:
            decoded = decode_utf8(data, lenient=suffix != ".ipynb")
            result.parsed = mentions_v1(decoded.text)
            if suffix == ".ipynb":
                from migrate.notebook import migrate_notebook

                new_text, chunks = migrate_notebook(decoded.text, target, path)
            else:
                from migrate.markdown import migrate_markdown

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
            error.editor_line,
            error.editor_column,
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
        result.traceback = traceback.format_exc()
        result.error = Finding(
            "HPE903",
            f"internal error: {detail}",
            path=path,
            fix="please report this with the file; it was left untouched",
        )
    return result


def _work(args: tuple[str, str]) -> FileResult:
    return migrate_file(*args)


# Rewritten without findings: positions (a metadata pass) are computed only for files that report one.
_WARM_UP = (
    "from azureml.train.dnn import PyTorch\n"
    "est = PyTorch(source_directory='.', entry_script='t.py', compute_target=ct, pip_packages=['x'])\n"
)


def _warm_up(suffix: str = ".py") -> None:
    """Load libcst, the rules and the framework tables, and fill the per-type caches (the first file
    would otherwise pay ~50 ms for the caches alone); the notebook and Markdown readers only when the
    first candidate is one (a worker loads them when it meets one)."""
    from migrate.libcst_lean import import_libcst

    import_libcst()  # before anything else loads libcst
    if suffix != ".py":
        import migrate.markdown
        import migrate.notebook  # noqa: F401
    from migrate.transform import migrate_source

    migrate_source(_WARM_UP)


def _candidate(path: str) -> bool:
    """Cheap pre-filter: only files that mention azureml can contain v1 code (unreadable ones are
    handed on, so that migrate_file reports them)."""
    try:
        with open(path, "rb") as handle:
            return b"azureml" in handle.read()
    except OSError:
        return True


def run(paths: Iterable[str | Path], target: str, write: bool, jobs: int | None) -> Iterator[FileResult]:
    """Results in input order; with ``write`` the changed files are replaced atomically.

    With several jobs and fork, the workers' warm process (forked by ``python -m migrate`` on its
    first line, or here) loads libcst while the caller and the discovery go on (a tree without
    candidates ends it before it forks any worker).
    """
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1:
        prestart.discard()  # a serial run migrates here: a warming process would only take a core
        return _serial(paths, target, write)
    pool = ForkedPool(jobs, _work, _warm_up, prestart.take()) if fork_available() else None
    return _parallel(paths, target, write, jobs, pool)


def _serial(paths: Iterable[str | Path], target: str, write: bool) -> Iterator[FileResult]:
    for path in paths:
        name = str(path)
        yield _finish(migrate_file(name, target), write) if _candidate(name) else FileResult(name)


def _parallel(
    paths: Iterable[str | Path], target: str, write: bool, jobs: int, pool: Pool | None
) -> Iterator[FileResult]:
    order: list[str | int] = []
    try:
        for path in paths:
            name = str(path)
            if not _candidate(name):
                order.append(name)
                continue
            if pool is None:
                pool = SpawnPool(jobs, _work, functools.partial(_warm_up, Path(name).suffix))
            order.append(pool.submit((name, target)))
        for item in order:
            if isinstance(item, str):
                yield FileResult(item)
            else:
                assert pool is not None  # a handle comes from the pool
                yield _finish(pool.result(item), write)
    finally:
        if pool is not None:
            pool.close()


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
