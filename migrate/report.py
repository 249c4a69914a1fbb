"""Output formats: text (diffs, warnings, summary), JSON, and SARIF 2.1.0 with fixes."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from pathlib import Path, PurePath
from urllib.parse import quote

from migrate.findings import CODES, Finding
from migrate.runner import FileResult, Summary

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "note": "note"}


def unified_diff(result: FileResult) -> str:
    return "".join(
        difflib.unified_diff(
            result.old_text.splitlines(keepends=True),
            result.new_text.splitlines(keepends=True),
            fromfile=f"a/{result.path.lstrip('/')}",
            tofile=f"b/{result.path.lstrip('/')}",
        )
    )


def format_finding(finding: Finding) -> str:
    where = f"{finding.path}:{finding.line}:{finding.col}"
    if finding.cell is not None:
        where = f"{finding.path}:cell{finding.cell + 1}:{finding.line}:{finding.col}"
    text = f"{where}: {finding.code} [{finding.severity}] {finding.message}"
    return f"{text} (fix: {finding.fix})" if finding.fix else text


def format_summary(summary: Summary) -> str:
    lines = [
        f"files scanned: {summary.scanned}, parsed: {summary.parsed}, "
        f"{'rewritten' if summary.written else 'would change'}: {summary.changed}, errors: {summary.errors}"
    ]
    if summary.by_code:
        lines.append("warnings by code: " + ", ".join(f"{c}={n}" for c, n in sorted(summary.by_code.items())))
    return "\n".join(lines)


def text_report(results: Iterable[FileResult], show_diff: bool, echo) -> Summary:  # type: ignore[no-untyped-def]
    summary = Summary()
    for result in results:
        summary.add(result)
        if show_diff and result.changed:
            echo(unified_diff(result), nl=False)
        for finding in result.findings:
            echo(format_finding(finding), err=True)
        if result.error is not None:
            echo(format_finding(result.error), err=True)
    echo(format_summary(summary), err=True)
    return summary


def json_report(results: Iterable[FileResult], show_diff: bool) -> tuple[str, Summary]:
    summary = Summary()
    files = []
    for result in results:
        summary.add(result)
        if not (result.changed or result.findings or result.error):
            continue
        entry: dict[str, object] = {
            "path": result.path,
            "changed": result.changed,
            "written": result.written,
            "findings": [f.to_dict() for f in result.findings],
            "error": result.error.to_dict() if result.error else None,
        }
        if show_diff and result.changed:
            entry["diff"] = unified_diff(result)
        files.append(entry)
    return json.dumps({"files": files, "summary": summary.to_dict()}, indent=2), summary


def artifact_uri(path: str) -> str:
    """A SARIF artifact URI: relative paths percent-encoded (spaces, parentheses...), absolute ones as
    file:// URIs."""
    pure = PurePath(path)
    if pure.is_absolute():
        return Path(path).as_uri()
    return quote(pure.as_posix(), safe="/")


def _location(finding: Finding, path: str) -> dict[str, object]:
    line, col = finding.line, finding.col
    properties: dict[str, object] = {}
    if finding.cell is not None:
        # A notebook: the region is the line in the .ipynb file; the cell-relative position stays in
        # the properties (cells are numbered from 1 as Jupyter shows them).
        properties = {"cell": finding.cell + 1, "cellLine": finding.line, "cellColumn": finding.col}
        if "file_line" in finding.extra:
            line, col = int(finding.extra["file_line"]), int(finding.extra["file_column"])
    region: dict[str, object] = {"startLine": max(1, line), "startColumn": max(1, col)}
    location: dict[str, object] = {
        "physicalLocation": {"artifactLocation": {"uri": artifact_uri(path)}, "region": region}
    }
    if properties:
        location["properties"] = properties
    return location


def replacements(old: str, new: str) -> list[dict[str, object]]:
    """The changed lines as SARIF replacements (line/column and character regions), not the file."""
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    offsets = [0]
    for line in old_lines:
        offsets.append(offsets[-1] + len(line))
    found: list[dict[str, object]] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        region: dict[str, object] = {"charOffset": offsets[i1], "charLength": offsets[i2] - offsets[i1]}
        if i1 < len(old_lines):
            region.update(startLine=i1 + 1, startColumn=1)
            if i2 < len(old_lines) or old_lines[-1].endswith(("\n", "\r")):
                region.update(endLine=i2 + 1, endColumn=1)
            else:
                region.update(endLine=i2, endColumn=len(old_lines[-1]) + 1)
        found.append({"deletedRegion": region, "insertedContent": {"text": "".join(new_lines[j1:j2])}})
    return found


def sarif_report(results: Iterable[FileResult]) -> tuple[str, Summary]:
    summary = Summary()
    sarif_results: list[dict[str, object]] = []
    for result in results:
        summary.add(result)
        for finding in [*result.findings, *([result.error] if result.error else [])]:
            entry: dict[str, object] = {
                "ruleId": finding.code,
                "level": _SARIF_LEVEL.get(finding.severity, "warning"),
                "message": {"text": finding.message + (f" Fix: {finding.fix}" if finding.fix else "")},
                "locations": [_location(finding, result.path)],
            }
            sarif_results.append(entry)
        if result.changed:
            # The rewrite as a fix made of the changed regions, so code scanning can offer it.
            changes = replacements(result.old_text, result.new_text)
            first = changes[0]["deletedRegion"] if changes else {}
            line = first.get("startLine", 1) if isinstance(first, dict) else 1
            sarif_results.append(
                {
                    "ruleId": "HPM000",
                    "level": "note",
                    "message": {"text": "v1 estimator code can be migrated automatically (hpcest migrate --write)"},
                    "locations": [_location(Finding("HPM000", "", int(str(line))), result.path)],
                    "fixes": [
                        {
                            "description": {"text": "Rewrite to ScriptRunConfig + Environment"},
                            "artifactChanges": [
                                {"artifactLocation": {"uri": artifact_uri(result.path)}, "replacements": changes}
                            ],
                        }
                    ],
                }
            )
    rules = [
        {
            "id": "HPM000",
            "shortDescription": {"text": "file can be migrated automatically"},
            "defaultConfiguration": {"level": "note"},
        }
    ]
    rules += [
        {"id": code, "shortDescription": {"text": title}, "defaultConfiguration": {"level": _SARIF_LEVEL[sev]}}
        for code, (sev, title) in sorted(CODES.items())
    ]
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {"name": "hpcest-migrate", "informationUri": "https://github.com/hpcest", "rules": rules}
                },
                "results": sarif_results,
            }
        ],
    }
    return json.dumps(document, indent=2), summary
