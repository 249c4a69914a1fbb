"""Check container command lines against the documented CLIs of apptainer, singularity and ch-run.

Apptainer cannot be installed on every test machine, so the command lines hpcest builds for it
are checked against a data description of its CLI instead (``hpc_estimator/testing/container_cli/*.json``:
option names, shorthands, value kinds, the release that introduced each option, and the
upstream source each fact was read from). The parser here follows the rules of the real
parsers - cobra/pflag for apptainer and singularity, glibc argp for ch-run - closely enough to
notice what those parsers would reject or silently reinterpret:

- unknown options, options missing their value, values for options that take none;
- an option placed after the image (apptainer passes it to the command; ch-run needs ``--``);
- ``--bind`` specifications the runtime would split differently than intended (paths with
  ``:``, ``,``, ``^``, quotes or edge whitespace);
- ``--env`` values pflag would split on commas, strip quotes from, or cut at a newline, and
  values the container shell would evaluate without ``--no-eval``;
- options newer than a target version.

``validate_argv(argv, spec)`` returns a list of problems (empty when the command line is fine).
With ``strict=False`` only what the tool itself would refuse is reported; the default
``strict=True`` also reports inputs the tool accepts but would not deliver byte-for-byte.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Shipped inside the package, so the checks work from an installed wheel too.
SPEC_DIR = Path(__file__).resolve().parent / "container_cli"
SPEC_NAMES = ("apptainer", "singularity", "ch-run", "ch-convert", "ch-image")

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
BIND_FLAG_OPTIONS = ("ro", "rw")
BIND_VALUE_OPTIONS = ("image-src=", "id=")
MOUNT_KEYS = {"type", "source", "src", "destination", "dst", "target", "image-src", "id"}
MOUNT_FLAGS = {"ro", "readonly", "nonested"}
# Characters the container shell interprets when --no-eval is absent.
SHELL_ACTIVE = set("$`\\\"'")


@dataclass(frozen=True)
class CliSpec:
    """One program's documented command-line interface, as loaded from its JSON description."""

    name: str
    data: dict[str, Any]

    @property
    def style(self) -> str:
        """``cobra`` (apptainer, singularity), ``argp`` (ch-run), ``argparse`` (ch-image) or
        ``options_first`` (ch-convert, a shell loop that stops at the first non-option)."""
        return str(self.data["parser"]["style"])

    @property
    def described_version(self) -> str:
        return str(self.data["described_version"])


@dataclass
class ParsedCommand:
    """What the real parser would make of an argv."""

    program: str
    subcommand: str | None = None
    options: list[tuple[str, str | None]] = field(default_factory=list)
    positionals: list[str] = field(default_factory=list)
    command: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return any(n == name for n, _ in self.options)


def load_spec(name: str, spec_dir: Path | None = None) -> CliSpec:
    """Load one of :data:`SPEC_NAMES` from the spec directory."""
    if name not in SPEC_NAMES:
        raise ValueError(f"unknown CLI spec {name!r}; choose one of {', '.join(SPEC_NAMES)}")
    path = (spec_dir or SPEC_DIR) / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"CLI spec {path} not found; the hpcest installation is incomplete")
    return CliSpec(name=name, data=json.loads(path.read_text(encoding="utf-8")))


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version))


# --------------------------------------------------------------------------- value syntaxes


def go_csv_record(text: str) -> list[str]:
    """The first record of ``text`` as Go's encoding/csv reads it (used by pflag).

    Differences from Python's csv module matter here: a bare ``"`` inside an unquoted field is
    an error, empty lines before the record are skipped, the record ends at the first newline
    outside quotes, and CR LF inside quotes becomes LF.
    """
    lines = text.split("\n")
    while lines and lines[0] in ("", "\r"):
        lines.pop(0)
    text = "\n".join(lines)
    fields: list[str] = []
    i, n = 0, len(text)
    while True:
        if i < n and text[i] == '"':
            i += 1
            buf = []
            while True:
                if i >= n:
                    raise ValueError('extraneous or missing " in quoted-field')
                ch = text[i]
                if ch == '"':
                    if i + 1 < n and text[i + 1] == '"':
                        buf.append('"')
                        i += 2
                        continue
                    i += 1
                    break
                if ch == "\r" and i + 1 < n and text[i + 1] == "\n":
                    i += 1
                    continue
                buf.append(ch)
                i += 1
            fields.append("".join(buf))
            if i >= n or text[i] == "\n":
                return fields
            if text[i] != ",":
                raise ValueError('extraneous or missing " in quoted-field')
            i += 1
            continue
        end = i
        while end < n and text[end] not in ",\n":
            end += 1
        value = text[i:end].removesuffix("\r")
        if '"' in value:
            raise ValueError('bare " in non-quoted-field')
        fields.append(value)
        if end >= n or text[end] == "\n":
            return fields
        i = end + 1


def pflag_string_to_string(value: str) -> dict[str, str]:
    """What pflag's stringToString flag (apptainer/singularity ``--env``) stores for ``value``."""
    count = value.count("=")
    if count == 0:
        raise ValueError(f"{value} must be formatted as key=value")
    pairs = [value.strip('"')] if count == 1 else go_csv_record(value)
    out: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ValueError(f"{pair} must be formatted as key=value")
        key, val = pair.split("=", 1)
        out[key] = val
    return out


def _path_hazards(path: str, what: str) -> list[str]:
    problems = []
    if path != path.strip():
        problems.append(f"{what} {path!r} has leading/trailing whitespace, which the bind parser trims")
    if "^" in path:
        problems.append(f"{what} {path!r} contains '^', which the bind parser drops (use --mount)")
    if any(ord(c) < 32 for c in path):
        problems.append(f"{what} {path!r} contains a control character")
    return problems


def _check_bind(value: str, ctx: _Ctx) -> list[str]:
    """apptainer/singularity ``src[:dest[:opts]][,...]``."""
    problems: list[str] = []
    if ctx.spec.name == "singularity":
        # SingularityCE declares --bind as a StringSlice: pflag reads it as one CSV record first.
        try:
            elements = go_csv_record(value)
        except ValueError as exc:
            return [f"--bind {value!r}: pflag cannot read it as CSV ({exc})"]
        if '"' in value or "\n" in value:
            problems.append(f"--bind {value!r}: quotes/newlines are consumed by pflag's CSV split")
    else:
        elements = [value]
    if ctx.strict and "\\" in value:
        problems.append(f"--bind {value!r}: backslash escapes are only partly honoured (use --mount)")
    for element in elements:
        specs: list[list[str]] = []
        for token in element.split(","):
            is_option = token in BIND_FLAG_OPTIONS or token.startswith(BIND_VALUE_OPTIONS)
            if specs and len(specs[-1]) == 3 and is_option:
                specs[-1][2] += "," + token
                continue
            specs.append(token.split(":"))
        for parts in specs:
            spec_text = ":".join(parts)
            if len(parts) > 3:
                problems.append(
                    f"--bind {spec_text!r}: more than two ':' (a path containing ':' cannot be bound "
                    "with --bind; use --mount)"
                )
                continue
            if not parts[0].strip():
                problems.append(f"--bind {spec_text!r}: empty source")
                continue
            if len(parts) > 1 and not parts[1].strip():
                problems.append(f"--bind {spec_text!r}: empty destination")
            if len(parts) == 3:
                for opt in parts[2].split(","):
                    if opt not in BIND_FLAG_OPTIONS and not opt.startswith(BIND_VALUE_OPTIONS):
                        problems.append(f"--bind {spec_text!r}: {opt!r} is not a valid bind option (ro, rw)")
            if ctx.strict:
                problems += _path_hazards(parts[0], "bind source")
                if len(parts) > 1:
                    problems += _path_hazards(parts[1], "bind destination")
                    if not parts[1].startswith("/"):
                        problems.append(f"--bind {spec_text!r}: destination should be absolute")
    return problems


def _check_mount(value: str, ctx: _Ctx) -> list[str]:
    try:
        fields_ = go_csv_record(value)
    except ValueError as exc:
        return [f"--mount {value!r}: not valid CSV ({exc})"]
    problems: list[str] = []
    have: set[str] = set()
    for item in fields_:
        key, _, val = item.partition("=")
        if key in MOUNT_FLAGS and not _:
            continue
        if key not in MOUNT_KEYS:
            problems.append(f"--mount {value!r}: invalid key {key!r}")
            continue
        if key == "type" and val != "bind":
            problems.append(f"--mount {value!r}: only type=bind is supported")
        if not val:
            problems.append(f"--mount {value!r}: {key} cannot be empty")
        have.add({"src": "source", "dst": "destination", "target": "destination"}.get(key, key))
    if not {"source", "destination"} <= have:
        problems.append(f"--mount {value!r}: mounts must specify a source and a destination")
    return problems


def _check_env(value: str, ctx: _Ctx) -> list[str]:
    try:
        parsed = pflag_string_to_string(value)
    except ValueError as exc:
        return [f"--env {value!r}: {exc}"]
    problems: list[str] = []
    for key in parsed:
        if not ENV_NAME.match(key):
            problems.append(f"--env {value!r}: {key!r} is not a valid variable name")
    if not ctx.strict:
        return problems
    name, _, intended = value.partition("=")
    if parsed != {name: intended}:
        problems.append(
            f"--env {value!r}: pflag reads this as {parsed!r}, not as the single variable {name!r}: with "
            "one '=' it strips surrounding '\"', with more it splits on ',' and stops at a newline. Give "
            f"one variable per --env, and values like this through {ctx.env_prefix}{name} or --env-file"
        )
    if not ctx.parsed.has("no-eval") and not ctx.parsed.has("compat"):
        for key, val in parsed.items():
            if SHELL_ACTIVE & set(val):
                problems.append(
                    f"--env {key}=...: the value contains shell characters that the container evaluates; "
                    "add --no-eval to keep it byte-exact"
                )
    return problems


def _check_path_list(value: str, ctx: _Ctx) -> list[str]:
    try:
        items = go_csv_record(value)
    except ValueError as exc:
        return [f"{ctx.option} {value!r}: not readable as a comma list ({exc})"]
    problems = [f"{ctx.option} {value!r}: empty entry" for item in items if not item]
    if ctx.strict and len(items) > 1 and ctx.option == "--env-file":
        problems.append(f"--env-file {value!r}: splits into {items!r}; a file name cannot contain ','")
    return problems


def _check_home(value: str, ctx: _Ctx) -> list[str]:
    parts = value.split(":")
    if len(parts) > 2 or not parts[0]:
        return [f"--home {value!r}: expected src[:dest]"]
    return []


def _check_container_abs_path(value: str, ctx: _Ctx) -> list[str]:
    if not value:
        return [f"{ctx.option}: empty directory"]
    if ctx.strict and not posixpath.isabs(value):
        return [f"{ctx.option} {value!r}: use an absolute path inside the container"]
    return []


def _check_chrun_bind(value: str, ctx: _Ctx) -> list[str]:
    src, sep, dst = value.partition(":")
    problems: list[str] = []
    if not src:
        return [f"--bind {value!r}: no source provided"]
    dst = dst if sep else src
    if not dst:
        problems.append(f"--bind {value!r}: no destination provided")
    elif dst == "/":
        problems.append(f"--bind {value!r}: destination can't be /")
    elif not dst.startswith("/"):
        problems.append(f"--bind {value!r}: destination must be absolute")
    if ctx.strict and ":" in dst:
        problems.append(
            f"--bind {value!r}: ch-run splits at the first ':' only, so this binds {src!r} at {dst!r}; "
            "a source path cannot contain ':'"
        )
    if ctx.strict and any(ord(c) < 32 for c in value):
        problems.append(f"--bind {value!r}: contains a control character")
    return problems


def _check_chrun_set_env(value: str | None, ctx: _Ctx) -> list[str]:
    if value is None:
        return []  # no argument: /ch/environment inside the image
    if "=" not in value:
        return [] if value else ["--set-env=: empty file name"]
    name, _, val = value.partition("=")
    if not name:
        return [f"--set-env={value!r}: name cannot be empty"]
    problems: list[str] = []
    if ctx.strict:
        if not ENV_NAME.match(name):
            problems.append(f"--set-env={value!r}: {name!r} is not a valid variable name")
        # --env-no-expand only affects the --set-env options that come after it.
        expanding = "env-no-expand" not in [n for n, _ in ctx.parsed.options[: ctx.index]]
        # ch-run strips one pair of surrounding single quotes first, then expands.
        if len(val) >= 2 and val[0] == val[-1] == "'":
            val = val[1:-1]
        if expanding and any(item.startswith("$") and len(item) > 1 for item in val.split(":")):
            problems.append(
                f"--set-env {name}=...: ch-run expands ':'-separated items starting with '$'; put "
                "--env-no-expand before --set-env to keep the value byte-exact"
            )
    return problems


def _check_int(value: str, ctx: _Ctx) -> list[str]:
    return [] if re.fullmatch(r"-?\d+", value) else [f"{ctx.option} {value!r}: expected an integer"]


def _check_nonempty(value: str, ctx: _Ctx) -> list[str]:
    return [] if value else [f"{ctx.option}: empty value"]


def _check_chimage_ref(value: str, ctx: _Ctx) -> list[str]:
    if "://" in value:
        return [f"image reference {value!r}: ch-image takes a registry reference without a transport prefix"]
    return [] if value else ["empty image reference"]


def _check_chconvert_format(value: str, ctx: _Ctx) -> list[str]:
    formats = ctx.spec.data["formats"]
    return [] if value in formats else [f"{ctx.option} {value!r}: unknown format ({', '.join(formats)})"]


@dataclass
class _Ctx:
    spec: CliSpec
    parsed: ParsedCommand
    option: str
    strict: bool
    index: int = 0

    @property
    def env_prefix(self) -> str:
        return "SINGULARITYENV_" if self.spec.name == "singularity" else "APPTAINERENV_"


SYNTAX: dict[str, Callable[[Any, _Ctx], list[str]]] = {
    "apptainer_bind": _check_bind,
    "singularity_bind": _check_bind,
    "mount_spec": _check_mount,
    "env_pairs": _check_env,
    "path_list": _check_path_list,
    "home_spec": _check_home,
    "container_abs_path": _check_container_abs_path,
    "chrun_bind": _check_chrun_bind,
    "chrun_set_env": _check_chrun_set_env,
    "int": _check_int,
    "nonempty": _check_nonempty,
    "chconvert_format": _check_chconvert_format,
    "chimage_ref": _check_chimage_ref,
}


# --------------------------------------------------------------------------- option parsing


class _OptionTable:
    """Long and short option lookup for one (sub)command."""

    def __init__(self, options: dict[str, dict[str, Any]]) -> None:
        self.long = options
        self.short = {o["short"]: name for name, o in options.items() if o.get("short")}

    def resolve_long(self, name: str, allow_prefix: bool) -> tuple[str | None, str | None]:
        """(option name, problem). argp accepts unique abbreviations; pflag does not."""
        if name in self.long:
            return name, None
        if allow_prefix:
            matches = [n for n in self.long if n.startswith(name)]
            if len(matches) == 1:
                return matches[0], f"--{name} is an abbreviation of --{matches[0]}; spell it out"
        return None, None


def _parse_options(
    args: list[str],
    table: _OptionTable,
    parsed: ParsedCommand,
    *,
    label: str,
    interspersed: bool,
    argp: bool,
) -> int:
    """Consume options from ``args``; positionals go to ``parsed.positionals``. Returns the
    index after the last consumed argument (the command start for non-interspersed parsing)."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return i + 1
        if arg.startswith("--") and len(arg) > 2:
            name, eq, inline = arg[2:].partition("=")
            resolved, note = table.resolve_long(name, allow_prefix=argp)
            if resolved is None:
                parsed.problems.append(f"unknown option --{name} for {label}")
                i += 1
                continue
            if note:
                parsed.problems.append(note)
            opt = table.long[resolved]
            if not opt.get("takes_value"):
                if eq and not (not argp and inline in ("true", "false")):
                    parsed.problems.append(f"--{resolved} takes no value (got {inline!r})")
                parsed.options.append((resolved, inline if eq else None))
                i += 1
                continue
            if eq:
                parsed.options.append((resolved, inline))
                i += 1
                continue
            if opt.get("value_optional"):
                # argp only takes an optional argument when it is attached with '='.
                parsed.options.append((resolved, None))
                i += 1
                continue
            if i + 1 >= len(args):
                parsed.problems.append(f"--{resolved} needs a value ({opt.get('value') or 'VALUE'})")
                return len(args)
            parsed.options.append((resolved, args[i + 1]))
            i += 2
            continue
        if arg.startswith("-") and len(arg) > 1:
            j = 1
            consumed_next = False
            while j < len(arg):
                ch = arg[j]
                short = table.short.get(ch)
                if short is None:
                    parsed.problems.append(f"unknown option -{ch} for {label}")
                    break
                opt = table.long[short]
                if not opt.get("takes_value"):
                    parsed.options.append((short, None))
                    j += 1
                    continue
                rest = arg[j + 1 :]
                if rest:
                    if not argp and rest.startswith("="):
                        rest = rest[1:]
                    parsed.options.append((short, rest))
                elif opt.get("value_optional"):
                    parsed.options.append((short, None))
                elif i + 1 < len(args):
                    parsed.options.append((short, args[i + 1]))
                    consumed_next = True
                else:
                    parsed.problems.append(f"-{ch} (--{short}) needs a value ({opt.get('value') or 'VALUE'})")
                break
            i += 2 if consumed_next else 1
            continue
        parsed.positionals.append(arg)
        i += 1
        if not interspersed:
            return i
    return i


def parse_argv(argv: list[str], spec: CliSpec) -> ParsedCommand:
    """Parse ``argv`` the way the real program would, collecting structural problems."""
    if not argv:
        return ParsedCommand(program="", problems=["empty command line"])
    parsed = ParsedCommand(program=argv[0])
    if posixpath.basename(argv[0]) != spec.name:
        parsed.problems.append(f"argv[0] {argv[0]!r} is not {spec.name}")
    if spec.style == "argp":
        _parse_argp(argv[1:], spec, parsed)
    elif spec.style == "options_first":
        _parse_options_first(argv[1:], spec, parsed)
    else:
        _parse_cobra(argv[1:], spec, parsed)
    return parsed


def _parse_options_first(args: list[str], spec: CliSpec, parsed: ParsedCommand) -> None:
    table = _OptionTable(spec.data["options"])
    end = _parse_options(args, table, parsed, label=spec.name, interspersed=False, argp=False)
    parsed.positionals += args[end:]
    _check_positionals(parsed, {**spec.data, "interspersed": True}, spec.name)


def _parse_cobra(args: list[str], spec: CliSpec, parsed: ParsedCommand) -> None:
    """cobra/pflag, or Python argparse (``argp`` style abbreviations) for ch-image."""
    argparse_style = spec.style == "argparse"
    global_table = _OptionTable(spec.data["global_options"])
    # Root persistent flags come before the subcommand name.
    start = _parse_options(args, global_table, parsed, label=spec.name, interspersed=False, argp=argparse_style)
    if not parsed.positionals:
        parsed.problems.append(f"no subcommand given to {spec.name}")
        return
    sub = parsed.positionals.pop()
    parsed.subcommand = sub
    sub_spec = spec.data["subcommands"].get(sub)
    if sub_spec is None:
        known = ", ".join(sorted(spec.data["subcommands"]))
        parsed.problems.append(f"subcommand {sub!r} is not described (described: {known})")
        return
    table = _OptionTable({**spec.data["global_options"], **sub_spec["options"]})
    label = f"{spec.name} {sub}"
    rest = args[start:]
    if sub_spec["interspersed"]:
        _parse_options(rest, table, parsed, label=label, interspersed=True, argp=argparse_style)
    else:
        end = _parse_options(rest, table, parsed, label=label, interspersed=False, argp=argparse_style)
        if parsed.positionals:
            parsed.command = rest[end:]
        elif end < len(rest):
            # '--' ended the options before the image: the next word is the image.
            parsed.positionals.append(rest[end])
            parsed.command = rest[end + 1 :]
    _check_positionals(parsed, sub_spec, label)


def _check_positionals(parsed: ParsedCommand, sub_spec: dict[str, Any], label: str) -> None:
    count = len(parsed.positionals) + (1 if parsed.command else 0)
    if not sub_spec["interspersed"]:
        if not parsed.positionals:
            parsed.problems.append(f"{label}: no image given ({sub_spec['usage']})")
        elif not parsed.command:
            parsed.problems.append(f"{label}: no command given after the image {parsed.positionals[0]!r}")
        elif parsed.command[0].startswith("-"):
            parsed.problems.append(
                f"{label}: {parsed.command[0]!r} comes after the image, so it is run as the command "
                "instead of being read as an option; put options before the image"
            )
        return
    if count < sub_spec["min_positionals"]:
        parsed.problems.append(f"{label}: too few arguments ({sub_spec['usage']})")
    maximum = sub_spec.get("max_positionals")
    if maximum is not None and count > maximum:
        parsed.problems.append(f"{label}: too many arguments {parsed.positionals!r} ({sub_spec['usage']})")


def _parse_argp(args: list[str], spec: CliSpec, parsed: ParsedCommand) -> None:
    later = spec.data.get("later_options", {})
    table = _OptionTable({**spec.data["options"]})
    if "--" not in args:
        parsed.problems.append(
            "ch-run needs '--' between the image and the command (argp would otherwise read the command's own options)"
        )
        _parse_options(args, table, parsed, label=spec.name, interspersed=True, argp=True)
        parsed.command = parsed.positionals[1:]
        del parsed.positionals[1:]
    else:
        split = args.index("--")
        _parse_options(args[:split], table, parsed, label=spec.name, interspersed=True, argp=True)
        parsed.command = args[split + 1 :]
    later_short = {o["short"]: n for n, o in later.items() if o.get("short")}
    for k, problem in enumerate(parsed.problems):
        # Name options that exist only in newer releases instead of calling them unknown.
        match = re.match(r"unknown option (--([\w-]+)|-(.))", problem)
        name = match and (match.group(2) or later_short.get(match.group(3) or ""))
        if name and name in later:
            parsed.problems[k] = (
                f"--{name} needs ch-run >= {later[name]['since']} (described version {spec.described_version})"
            )
    if len(parsed.positionals) != 1:
        parsed.problems.append(f"ch-run takes exactly one IMAGE before '--', got {parsed.positionals!r}")
    if not parsed.command:
        parsed.problems.append("ch-run: no command after '--'")


def validate_argv(
    argv: list[str],
    spec: CliSpec,
    *,
    strict: bool = True,
    target_version: str | None = None,
) -> list[str]:
    """Problems with ``argv`` as a command line of ``spec``'s program; empty if none.

    ``target_version`` (e.g. ``"1.1.0"``) also reports options newer than that release.
    """
    parsed = parse_argv(argv, spec)
    problems = list(parsed.problems)
    if "options" in spec.data:
        options = spec.data["options"]
        sub = spec.data
    else:
        sub = spec.data["subcommands"].get(parsed.subcommand or "", {"options": {}})
        options = {**spec.data["global_options"], **sub["options"]}
    for syntax, positional in zip(sub.get("positional_syntax", ()), parsed.positionals):
        ctx = _Ctx(spec=spec, parsed=parsed, option="argument", strict=strict)
        problems += SYNTAX[syntax](positional, ctx)
    seen: set[str] = set()
    for index, (name, value) in enumerate(parsed.options):
        opt = options.get(name, {})
        ctx = _Ctx(spec=spec, parsed=parsed, option=f"--{name}", strict=strict, index=index)
        if name in seen and opt.get("takes_value") and not opt.get("repeatable"):
            problems.append(f"--{name} given more than once; only the last value counts")
        seen.add(name)
        if strict and opt.get("deprecated"):
            problems.append(f"--{name} is deprecated")
        if target_version and _version_tuple(opt.get("since", "0")) > _version_tuple(target_version):
            problems.append(f"--{name} needs {spec.name} >= {opt['since']} (target {target_version})")
        checker = SYNTAX.get(opt.get("syntax") or "")
        if checker is None:
            continue
        if value is None and name != "set-env":
            continue
        problems += checker(value, ctx)
    return problems
