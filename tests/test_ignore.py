"""gitignore semantics of hpc_estimator.snapshot.ignore, checked case by case and against real git."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpc_estimator.snapshot.ignore import IgnoreRules, compile_pattern


def rules(*lines: str) -> IgnoreRules:
    r = IgnoreRules()
    r.add_lines(lines)
    return r


CASES = [
    # (patterns, path, is_dir, expected excluded)
    (["*.log"], "a.log", False, True),
    (["*.log"], "deep/er/a.log", False, True),
    (["*.log"], "a.logx", False, False),
    (["*.log", "!keep.log"], "keep.log", False, False),
    (["*.log", "!keep.log"], "sub/keep.log", False, False),
    (["!keep.log", "*.log"], "keep.log", False, True),  # last match wins
    (["build/"], "build", True, True),
    (["build/"], "build", False, False),  # dir-only pattern does not match a file
    (["build/"], "src/build/out.o", False, True),  # through the excluded parent
    (["/top.txt"], "top.txt", False, True),
    (["/top.txt"], "sub/top.txt", False, False),  # anchored
    (["doc/*.txt"], "doc/a.txt", False, True),
    (["doc/*.txt"], "doc/sub/a.txt", False, False),  # "*" does not cross "/"
    (["doc/*.txt"], "x/doc/a.txt", False, False),  # middle slash anchors
    (["**/deep"], "deep", False, True),
    (["**/deep"], "a/b/deep", False, True),
    (["a/**/b"], "a/b", False, True),
    (["a/**/b"], "a/x/y/b", False, True),
    (["a/**/b"], "c/a/x/b", False, False),
    (["x/**"], "x/y/z", False, True),
    (["x/**"], "x", True, False),  # "x/**" is what is inside x, not x itself
    (["?.py"], "a.py", False, True),
    (["?.py"], "ab.py", False, False),
    (["[0-9]x"], "5x", False, True),
    (["[0-9]x"], "ax", False, False),
    (["[!0-9]x"], "ax", False, True),
    (["[^0-9]x"], "5x", False, False),
    (["[[:digit:]]z"], "7z", False, True),
    (["[[:upper:]]*"], "Readme", False, True),
    (["[[:upper:]]*"], "readme", False, False),
    (["[]]a"], "]a", False, True),  # "]" first in a class is literal
    (["\\#hash"], "#hash", False, True),
    (["#hash"], "#hash", False, False),  # comment line
    (["\\!bang"], "!bang", False, True),
    (["foo   "], "foo", False, True),  # trailing spaces dropped
    (["foo\\ "], "foo ", False, True),  # escaped trailing space kept
    (["foo\\ "], "foo", False, False),
    (["a\\*b"], "a*b", False, True),
    (["a\\*b"], "axb", False, False),
    (["*"], "anything/at/all", False, True),
    (["data/", "!data/keep.csv"], "data/keep.csv", False, True),  # cannot re-include under excluded dir
    (["data/*", "!data/keep.csv"], "data/keep.csv", False, False),  # but can when only contents excluded
    (["data/*", "!data/keep.csv"], "data/other.csv", False, True),
    (["[a*"], "[a", False, False),  # unclosed "[": git's wildmatch matches nothing
    (["[a*"], "a", False, False),
    (["a\\/b"], "a/b", False, True),  # escaped slash still anchors (git looks for any "/")
    (["a\\/b"], "x/a/b", False, False),
    (["c//"], "c", True, False),  # one trailing slash is stripped; "c/" then matches nothing
    (["a**/b"], "ab", False, True),  # git: "x**/" = x, then zero or more directories
    (["a**/b"], "ax/y/b", False, True),
    (["a**/b"], "axb", False, False),
    (["a**b"], "ax/yb", False, False),  # "**" not before "/" is a plain "*"
    (["****/x"], "d/e/x", False, True),  # a run of stars is "**"
    (["[b/c]"], "b", True, True),  # a class may hold "/" (and anchors the pattern)
    ([""], "x", False, False),
    (["   "], "x", False, False),
]


@pytest.mark.parametrize(("patterns", "path", "is_dir", "expected"), CASES)
def test_gitignore_case(patterns: list[str], path: str, is_dir: bool, expected: bool) -> None:
    """Each gitignore rule (negation, dir-only, anchoring, **, classes, escapes) behaves as git's."""
    assert rules(*patterns).is_ignored(path, is_dir) is expected


def test_blank_and_comment_lines_compile_to_nothing() -> None:
    """Comments and blank lines must not turn into match-everything patterns."""
    assert compile_pattern("# comment") is None
    assert compile_pattern("") is None
    assert compile_pattern("    ") is None
    assert compile_pattern("/") is None


def test_nested_layers_are_relative_to_their_directory() -> None:
    """A sub-directory's ignore file applies below it only, and overrides the root file."""
    r = IgnoreRules()
    r.add_lines(["*.csv"], base="")
    r.add_lines(["!keep.csv", "/local.txt"], base="sub")
    assert r.is_ignored("a.csv")
    assert not r.is_ignored("sub/keep.csv")
    assert r.is_ignored("keep.csv")  # the re-include is scoped to sub/
    assert r.is_ignored("sub/local.txt")
    assert not r.is_ignored("local.txt")
    assert not r.is_ignored("sub/deeper/local.txt")  # anchored to sub/


# --- oracle: real git -------------------------------------------------------------------------

ORACLE_PATTERNS = [
    "*.log",
    "!important.log",
    "build/",
    "/root_only.txt",
    "docs/**/*.md",
    "**/cache",
    "tmp/*",
    "!tmp/keep",
    "[abc]?.txt",
    "[!x]z.dat",
    "name\\ with\\ space\\ ",
    "\\#literal",
    "sub/nested/",
    "*.py[co]",
]

ORACLE_PATHS = [
    "a.log",
    "x/important.log",
    "important.log",
    "build/out.o",
    "src/build/x",
    "build.txt",
    "root_only.txt",
    "src/root_only.txt",
    "docs/a.md",
    "docs/x/y/b.md",
    "other/docs/a.md",
    "cache/f",
    "deep/er/cache/f",
    "tmp/junk",
    "tmp/keep",
    "ab.txt",
    "dq.txt",
    "xz.dat",
    "yz.dat",
    "name with space ",
    "name with space",
    "#literal",
    "sub/nested/f",
    "sub/nested",
    "mod.pyc",
    "mod.pyo",
    "mod.py",
    "ok/plain.txt",
]


needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def make_repo(root: Path, files: list[str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for rel in files:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if not p.exists():
            p.write_text("x")
    return root


def all_paths(files: list[str]) -> list[str]:
    """Every file and every directory leading to one."""
    out: set[str] = set()
    for f in files:
        parts = f.split("/")
        out.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return sorted(out)


def git_verdicts(repo: Path, patterns: list[str], paths: list[str]) -> dict[str, bool]:
    (repo / ".gitignore").write_text("\n".join(patterns) + "\n")
    proc = subprocess.run(
        ["git", "-C", str(repo), "check-ignore", "--stdin", "-z", "--non-matching", "-v"],
        input="\0".join(paths) + "\0",
        capture_output=True,
        text=True,
        check=False,
    )
    fields = proc.stdout.split("\0")
    # -v -z output: source, linenum, pattern, path per record; an empty source = not matched.
    verdict: dict[str, bool] = {}
    for i in range(0, len(fields) - 1, 4):
        source, _line, pattern, path = fields[i : i + 4]
        verdict[path] = bool(source) and not pattern.startswith("!")
    return verdict


def mismatches(repo: Path, patterns: list[str], paths: list[str]) -> dict[str, tuple[bool, bool]]:
    expected = git_verdicts(repo, patterns, paths)
    ours = rules(*patterns)
    result = {}
    for p in paths:
        mine = ours.is_ignored(p, (repo / p).is_dir())
        if mine != expected[p]:
            result[p] = (expected[p], mine)
    return result


@needs_git
def test_agrees_with_git_check_ignore(tmp_path: Path) -> None:
    """Our verdicts equal `git check-ignore` on a real repository for a mixed pattern set."""
    repo = make_repo(tmp_path / "repo", ORACLE_PATHS)
    diff = mismatches(repo, ORACLE_PATTERNS, ORACLE_PATHS)
    assert not diff, f"(git, ours) differ: {diff}"


FUZZ_TOKENS = [
    "a",
    "b",
    "x",
    "1",
    "-",
    ".",
    " ",
    "*",
    "**",
    "/**/",
    "**/",
    "/**",
    "?",
    "/",
    "[ab]",
    "[!a]",
    "[^a]",
    "[a-c]",
    "[a-]",
    "[]a]",
    "[!]]",
    "[[:alpha:]]",
    "[[:digit:]]",
    "[",
    "]",
    "\\*",
    "\\",
    "\\ ",
    "#",
    "\\#",
    "!",
    "\\!",
]
FUZZ_FILES = [
    "a/x",
    "a/b/y",
    "a/b/c",
    "b/a",
    "x",
    "ab",
    "ba",
    "c/a/b/x",
    "aa/b",
    "b/b/b",
    "a.x",
    "#a",
    "!a",
    "a ",
    "a  b",
    "[a]",
    "a*",
    "1",
    "a-",
    "]",
    "y/1/a",
]
_pattern = st.lists(st.sampled_from(FUZZ_TOKENS), min_size=1, max_size=6).map("".join)
_line = st.tuples(st.booleans(), _pattern).map(lambda t: ("!" if t[0] else "") + t[1])


@needs_git
def test_random_patterns_agree_with_git(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Generated pattern lists (classes, escapes, **, negation, odd names) match git's verdicts."""
    repo = make_repo(tmp_path_factory.mktemp("fuzz"), FUZZ_FILES)
    paths = all_paths(FUZZ_FILES)

    @settings(max_examples=400, deadline=None, derandomize=True)
    @given(st.lists(_line, min_size=1, max_size=3))
    def check(patterns: list[str]) -> None:
        diff = mismatches(repo, patterns, paths)
        assert not diff, f"patterns {patterns!r}: (git, ours) differ: {diff}"

    check()
