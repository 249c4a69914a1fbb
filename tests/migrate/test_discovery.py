"""File discovery: default patterns, --include/--exclude, .gitignore rules, explicit files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from migrate.files import discover


def _tree(root: Path, files: list[str]) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")


def _names(paths: Iterable[str], root: Path) -> set[str]:
    return {Path(p).relative_to(root).as_posix() for p in paths}


def test_gitignore_globs_anchors_directories_and_negation(tmp_path: Path) -> None:
    """The common .gitignore forms are honoured, including nested .gitignore files and '!' re-includes."""
    _tree(
        tmp_path,
        [
            "a.py",
            "build/b.py",
            "docs/c.py",
            "sub/docs/d.py",
            "gen_x.py",
            "keep/gen_keep.py",
            "sub/local.py",
            "nb.ipynb",
            ".git/hooks/h.py",
            "notes.md",
        ],
    )
    (tmp_path / ".gitignore").write_text("# comment\nbuild/\n/docs\ngen_*.py\n!keep/gen_keep.py\n")
    (tmp_path / "sub" / ".gitignore").write_text("local.py\n")
    found = _names(discover([tmp_path]), tmp_path)
    assert found == {"a.py", "sub/docs/d.py", "keep/gen_keep.py", "nb.ipynb"}


def test_include_exclude_and_explicit_files(tmp_path: Path) -> None:
    """--include adds patterns, --exclude removes files or whole directories, named files are taken."""
    _tree(tmp_path, ["a.py", "notes.md", "vendor/v.py", "t/test_a.py"])
    found = _names(discover([tmp_path], include=("*.md",), exclude=("vendor", "test_*.py")), tmp_path)
    assert found == {"a.py", "notes.md"}
    assert list(discover([tmp_path / "notes.md"])) == [str(tmp_path / "notes.md")]
    assert list(discover([tmp_path], respect_gitignore=False)) != []
