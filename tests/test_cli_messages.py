"""Every ``hpcest ...`` command line that a message, a help text or the README tells people to type
names a command that exists, with options that command has (issue 9, item 9).

Messages are found in the string literals of hpc_estimator/ and migrate/ (f-string placeholders
stand for arguments), in every command's --help, and in the README. A mention is checked when it
reads as a command: its first word is a command, or its second word is a subcommand
(``hpcest target add``: "target" is no command, "add" is one of ``cluster``), or it is quoted in
backticks. Prose such as "hpcest does
not" is left alone. Each ``--option`` of a checked mention must belong to the command it reached
(or to a group above it).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from hpc_estimator.cli import main
from migrate.cli import migrate_command

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = "ARG"
# Where a mention ends: sentence punctuation, quotes, brackets.
_END = re.compile(r"[;,`'\")(\]\[]|\.(\s|$)|:\s|\s-\s|\s—\s|\s\|\s|\s>\s")  # also a shell pipe or redirect
_MENTION = re.compile(r"(`?)\bhpcest((?:[ \t]+\S+)+)")


def _tree(command: click.Command) -> click.Command:
    return migrate_command if command.name == "migrate" else command


def _all_names(group: click.Group) -> set[str]:
    names = set()
    for name, command in group.commands.items():
        names.add(name)
        if isinstance(command, click.Group):
            names |= _all_names(command)
    return names


COMMAND_WORDS = _all_names(main)
# Commands of the groups below the top (add, list, check): "hpcest target add" reads as a command line.
SUBCOMMAND_WORDS = COMMAND_WORDS - set(main.commands)


def _strings_in(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):
            parts = [v.value if isinstance(v, ast.Constant) else PLACEHOLDER for v in node.values]
            yield node.lineno, "".join(str(p) for p in parts)


def _help_texts() -> Iterator[tuple[str, str]]:
    def walk(group: click.Group, path: list[str]) -> Iterator[tuple[str, str]]:
        for name, command in group.commands.items():
            args = [*path, name, "--help"]
            result = CliRunner().invoke(main, args)
            yield " ".join(args), result.stdout
            if isinstance(command, click.Group):
                yield from walk(command, [*path, name])

    yield "hpcest --help", CliRunner().invoke(main, ["--help"]).stdout
    yield from walk(main, [])


def sources() -> Iterator[tuple[str, str]]:
    for package in ("hpc_estimator", "migrate"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, text in _strings_in(path):
                yield f"{path.relative_to(ROOT)}:{line}", text
    yield from _help_texts()
    yield "README.md", (ROOT / "README.md").read_text(encoding="utf-8")


def mentions(text: str) -> Iterator[tuple[bool, list[str]]]:
    """(quoted in backticks, the words after 'hpcest' up to where the mention ends)."""
    for m in _MENTION.finditer(text):
        rest = m.group(2)
        end = _END.search(rest)
        if end:
            rest = rest[: end.start()]
        words = rest.split()
        if words:
            yield bool(m.group(1)), words


def _options(chain: list[click.Command]) -> set[str]:
    known = {"-h", "--help"}
    for command in chain:
        for param in command.params:
            known |= set(getattr(param, "opts", [])) | set(getattr(param, "secondary_opts", []))
    return known


def problems_of(words: list[str]) -> list[str]:
    """What is wrong with ``hpcest <words>`` (empty if it names real commands and options)."""
    command: click.Command = main
    chain: list[click.Command] = [main]
    path = ["hpcest"]
    problems = []
    arguments = False
    for word in words:
        if word == "--":
            break  # the training script's own arguments follow
        if re.match(r"^--?[A-Za-z]", word):
            option = word.split("=")[0]
            if option not in _options(chain):
                problems.append(f"{' '.join(path)} has no option {option}")
            continue
        if arguments or not isinstance(command, click.Group) or not re.match(r"^[a-z]", word):
            arguments = True  # an argument, or a metavar such as COMMAND / NAME
            continue
        alternatives = word.split("|")  # "cluster add|list|check"
        missing = [w for w in alternatives if w not in command.commands]
        if missing:
            problems.append(f"{' '.join(path)} has no command {missing[0]!r}")
            break
        sub = command.commands[alternatives[0]]
        command = _tree(sub)
        chain.append(command)
        path.append(word)
    return problems


def checked(quoted: bool, words: list[str]) -> bool:
    first = words[0].split("|")[0]
    return quoted or first in main.commands or (len(words) > 1 and words[1].split("|")[0] in SUBCOMMAND_WORDS)


def test_every_command_line_in_messages_help_and_readme_exists() -> None:
    bad = []
    count = 0
    for where, text in sources():
        for quoted, words in mentions(text):
            if not checked(quoted, words):
                continue
            count += 1
            bad += [f"{where}: hpcest {' '.join(words)}: {p}" for p in problems_of(words)]
    assert count > 50  # the scan does find the command lines
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("hpcest target add gpucluster", "hpcest has no command 'target'"),
        ("hpcest cluster remove x", "hpcest cluster has no command 'remove'"),
        ("hpcest cluster add gpu --replace-it", "hpcest cluster add has no option --replace-it"),
        ("`hpcest submit job.py:est --nodez 2`", "hpcest submit has no option --nodez"),
        ("hpcest logs RUN --rank 3", None),
        ("hpcest --debug submit job.py:x", None),
        ("hpcest migrate src/ --check", None),
        ("hpcest does not do that", None),
    ],
)
def test_the_checker_itself(line: str, problem: str | None) -> None:
    """The scan would catch the issue's examples (and leaves correct lines and prose alone)."""
    found = [p for quoted, words in mentions(line) if checked(quoted, words) for p in problems_of(words)]
    assert found == ([problem] if problem else [])
