"""gitignore-style pattern matching, used to decide what goes into a source snapshot.

Azure ML v1 skipped files listed in ``.amlignore`` (or ``.gitignore`` when there is no
``.amlignore``), with git's syntax. We implement that syntax ourselves so the snapshot does not
depend on git being installed:

* blank lines and lines starting with ``#`` are ignored; ``\\#`` and ``\\!`` escape a leading
  ``#`` / ``!``; trailing spaces are dropped unless escaped with a backslash (``foo\\ ``);
* ``!pattern`` re-includes what an earlier pattern excluded (the last matching pattern wins);
* a trailing ``/`` makes a pattern match directories only;
* a ``/`` at the start or in the middle anchors the pattern to the ignore file's directory,
  otherwise it matches a name at any depth;
* ``*`` and ``?`` never match ``/``; ``[a-z]``, ``[!a-z]``/``[^a-z]`` and ``[[:digit:]]`` classes;
* ``**/x`` matches ``x`` at any depth, ``x/**`` everything inside ``x``, ``a/**/b`` zero or more
  directories between ``a`` and ``b``.

As in git, a file cannot be re-included when one of its parent directories is excluded
(git never looks inside an excluded directory); :meth:`IgnoreRules.is_ignored` applies that rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_POSIX_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "\\x21-\\x7e",
    "lower": "a-z",
    "print": "\\x20-\\x7e",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9a-fA-F",
}


@dataclass(frozen=True)
class Pattern:
    """One compiled ignore line."""

    source: str
    negated: bool
    dir_only: bool
    regex: re.Pattern[str]

    def matches(self, relpath: str, is_dir: bool) -> bool:
        if self.dir_only and not is_dir:
            return False
        return self.regex.fullmatch(relpath) is not None


def _strip_trailing_spaces(line: str) -> str:
    # A trailing space survives only when escaped; count backslashes so "\\\\ " (an escaped
    # backslash followed by a space) still loses its space.
    end = len(line)
    while end > 0 and line[end - 1] == " ":
        backslashes = 0
        i = end - 2
        while i >= 0 and line[i] == "\\":
            backslashes += 1
            i -= 1
        if backslashes % 2 == 1:
            break
        end -= 1
    return line[:end]


def _translate_class(pat: str, i: int) -> tuple[str, int] | None:
    """Translate the bracket expression starting at ``pat[i] == '['``.

    Returns the regex text and the index after the closing ``]``, or None when the bracket is
    never closed.
    """
    j = i + 1
    negate = False
    if j < len(pat) and pat[j] in "!^":
        negate = True
        j += 1
    parts: list[str] = []
    first = True
    while j < len(pat):
        c = pat[j]
        if c == "]" and not first:
            body = "".join(parts)
            # A class never matches "/" (git's wildmatch with WM_PATHNAME).
            if negate:
                return f"[^/{body}]", j + 1
            return f"(?!/)[{body}]", j + 1
        first = False
        if c == "[" and pat.startswith("[:", j):
            end = pat.find(":]", j + 2)
            if end != -1:
                name = pat[j + 2 : end]
                if name in _POSIX_CLASSES:
                    parts.append(_POSIX_CLASSES[name])
                    j = end + 2
                    continue
        if c == "\\" and j + 1 < len(pat):
            j += 1
            c = pat[j]
        # Range "a-z": keep the dash unescaped between two members.
        if j + 2 < len(pat) and pat[j + 1] == "-" and pat[j + 2] != "]":
            hi = pat[j + 2]
            k = j + 3
            if hi == "\\" and j + 3 < len(pat):
                hi = pat[j + 3]
                k = j + 4
            if ord(hi) >= ord(c):
                parts.append(f"{re.escape(c)}-{re.escape(hi)}")
            j = k
            continue
        parts.append(re.escape(c))
        j += 1
    return None


def _translate_segment(seg: str) -> str:
    """Glob → regex for one path segment (no "/" inside)."""
    out: list[str] = []
    i = 0
    while i < len(seg):
        c = seg[i]
        if c == "\\" and i + 1 < len(seg):
            out.append(re.escape(seg[i + 1]))
            i += 2
        elif c == "*":
            while i < len(seg) and seg[i] == "*":
                i += 1
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            translated = _translate_class(seg, i)
            if translated is None:
                # git's wildmatch aborts on an unclosed "[": the pattern matches nothing.
                return "(?!)"
            else:
                out.append(translated[0])
                i = translated[1]
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def _split_unescaped_slash(pat: str) -> list[str]:
    segments: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(pat):
        if pat[i] == "\\" and i + 1 < len(pat):
            current.append(pat[i : i + 2])
            i += 2
            continue
        if pat[i] == "[":
            # A bracket expression may hold a "/" ("[a/b]"); it belongs to the segment.
            translated = _translate_class(pat, i)
            if translated is not None:
                current.append(pat[i : translated[1]])
                i = translated[1]
                continue
        if pat[i] == "/":
            segments.append("".join(current))
            current = []
        else:
            current.append(pat[i])
        i += 1
    segments.append("".join(current))
    return segments


def _star_star_suffix_head(seg: str) -> str | None:
    """For a segment like ``x**`` (text, then an unescaped ``**``), the text before the stars."""
    stripped = seg.rstrip("*")
    if len(seg) - len(stripped) < 2 or not stripped:
        return None
    backslashes = len(stripped) - len(stripped.rstrip("\\"))
    if backslashes % 2 == 1:  # "x\**": the first star is literal
        return None
    return stripped


def compile_pattern(line: str) -> Pattern | None:
    """Compile one line of an ignore file; None for blanks and comments."""
    source = line
    line = line.rstrip("\r\n")
    if not line or line.startswith("#"):
        return None
    line = _strip_trailing_spaces(line)
    if not line:
        return None
    negated = False
    if line.startswith("!"):
        negated = True
        line = line[1:]
    elif line.startswith(("\\!", "\\#")):
        line = line[1:]
    dir_only = False
    if line.endswith("/"):
        dir_only = True
        line = line[:-1]  # only one: git reads "c//" as "c/" (which then matches nothing)
    if not line:
        return None
    # git tests for any "/" (even an escaped one) to decide anchoring.
    anchored = "/" in line
    if line.startswith("/"):
        line = line[1:]
    segments: list[str] = []
    for seg in _split_unescaped_slash(line):
        if len(seg) >= 2 and set(seg) == {"*"}:
            seg = "**"  # "****" is read as "**"
        # "a/**/**/b" means "a/**/b", "**/**" means "**".
        if not (seg == "**" and segments and segments[-1] == "**"):
            segments.append(seg)
    parts: list[str] = []
    # True when the regex so far ends at a directory boundary (no "/" needed before the next
    # segment).
    at_boundary = True
    last = len(segments) - 1
    for index, seg in enumerate(segments):
        if seg == "**":
            if index == last:
                # "x/**": everything below x (not x itself); a lone "**": everything.
                parts.append(".*" if index == 0 or at_boundary else "/.+")
            elif index == 0 or at_boundary:
                parts.append("(?:.*/)?")
            else:
                parts.append("/(?:.*/)?")
            at_boundary = True
            continue
        if not at_boundary:
            parts.append("/")
        head = _star_star_suffix_head(seg) if index != last else None
        if head is not None:
            # git (wildmatch) reads "x**/y" as x, then zero or more directories, then y:
            # it matches "xy", "xa/y" and "xa/b/y" (but not "xay").
            parts.append(_translate_segment(head) + "(?:.*/)?")
            at_boundary = True
            continue
        parts.append(_translate_segment(seg))
        at_boundary = False
    body = "".join(parts)
    if not anchored:
        body = "(?:.*/)?" + body
    return Pattern(source=source.rstrip("\r\n"), negated=negated, dir_only=dir_only, regex=re.compile(body, re.DOTALL))


class IgnoreRules:
    """Ordered patterns from one or more ignore files, each relative to its own directory.

    ``base`` is the directory (relative to the snapshot root, "" for the root) the patterns of
    a file apply to. Deeper files are added after shallower ones, so their patterns win.
    """

    def __init__(self) -> None:
        self._layers: list[tuple[str, list[Pattern]]] = []

    def add_lines(self, lines: Iterable[str], base: str = "") -> None:
        patterns = [p for p in (compile_pattern(line) for line in lines) if p is not None]
        if patterns:
            self._layers.append((base.strip("/"), patterns))

    def add_file(self, path: Path, base: str = "") -> None:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        self.add_lines(text.splitlines(), base)

    def copy(self) -> IgnoreRules:
        clone = IgnoreRules()
        clone._layers = list(self._layers)
        return clone

    def __bool__(self) -> bool:
        return bool(self._layers)

    def match(self, relpath: str, is_dir: bool) -> bool | None:
        """The verdict of the last matching pattern for this exact path.

        True = excluded, False = re-included by ``!``, None = no pattern matched. Parent
        directories are not considered (see :meth:`is_ignored`).
        """
        relpath = relpath.strip("/")
        verdict: bool | None = None
        for base, patterns in self._layers:
            if base:
                if not relpath.startswith(base + "/"):
                    continue
                local = relpath[len(base) + 1 :]
            else:
                local = relpath
            for pattern in patterns:
                if pattern.matches(local, is_dir):
                    verdict = not pattern.negated
        return verdict

    def is_ignored(self, relpath: str, is_dir: bool = False) -> bool:
        """Whether ``relpath`` is excluded, including through an excluded parent directory."""
        parts = relpath.strip("/").split("/")
        for depth in range(1, len(parts)):
            if self.match("/".join(parts[:depth]), True):
                return True
        return bool(self.match(relpath, is_dir))
