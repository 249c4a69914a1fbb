"""Regenerate the flag tables in apptainer.json / singularity.json from a git clone.

Apptainer and SingularityCE declare every CLI flag as a ``cmdline.Flag{...}`` literal in
``cmd/internal/cli/*.go`` and attach it to commands with ``RegisterFlagForCmd``. This tool reads
those declarations at every release tag given, so each option in the JSON carries the first
release that had it and the upstream path@commit it was read from. It only *describes* the
public CLI (names, shorthand, value kind); no upstream code is reproduced.

Usage (a bare or normal git directory of the upstream repository)::

    python extract_cobra_flags.py GIT_DIR OWNER/REPO TAG [TAG ...] > flags.json

OWNER/REPO is ``apptainer/apptainer`` or ``sylabs/singularity``; the last TAG is the one the
tables describe.
The hand-written parts of the spec (value syntax, notes, sources) are merged in by hand.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

FLAG_BLOCK = re.compile(r"var\s+(\w+)\s*=\s*cmdline\.Flag\{(.*?)\n\}", re.S)
FIELD = re.compile(r"^\s*(\w+):\s*(.*?),?\s*(//.*)?$", re.M)
REGISTER = re.compile(r"RegisterFlagForCmd\(&(\w+),\s*([\w.]+)")

# Which registration targets put a flag on which subcommand. The action groups hold
# exec/run/shell (+instance start); actionsRunscriptCmd is run-only, so it is left out.
TARGETS = {
    "exec": {"actionsCmd", "actionsInstanceCmd", "ExecCmd"},
    "build": {"buildCmd"},
    "pull": {"PullCmd"},
    "inspect": {"InspectCmd"},
    "global": {"apptainerCmd", "singularityCmd"},
}


def _git(git_dir: str, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", git_dir, *args], check=True, capture_output=True, text=True
    ).stdout


def _value_kind(default: str) -> str:
    """The pflag value type, read from the Go literal of the default value."""
    default = default.strip()
    if default in ("true", "false"):
        return "bool"
    if default.startswith("map[string]string"):
        return "stringToString"
    if default.startswith("cmdline.StringArray"):
        return "stringArray"
    if default.startswith("[]string"):
        return "stringSlice"
    if re.fullmatch(r"-?\d+", default):
        return "int"
    return "string"


def flags_at(git_dir: str, tag: str) -> dict[str, dict[str, dict]]:
    """{subcommand: {long name: info}} for one tag."""
    files = [
        f
        for f in _git(git_dir, "ls-tree", "--name-only", tag, "cmd/internal/cli/").split()
        if f.endswith(".go") and not f.endswith("_test.go")
    ]
    decls: dict[str, dict] = {}
    regs: list[tuple[str, str]] = []
    for path in files:
        text = _git(git_dir, "show", f"{tag}:{path}")
        for var, body in FLAG_BLOCK.findall(text):
            fields = {k: v for k, v, _ in FIELD.findall(body)}
            name = fields.get("Name", "").strip('"')
            if not name:
                continue
            decls[var] = {
                "name": name,
                "short": fields.get("ShortHand", "").strip('"') or None,
                # SingularityCE marks string arrays with a field instead of a type.
                "kind": "stringArray"
                if fields.get("StringArray") == "true"
                else _value_kind(fields.get("DefaultValue", '""')),
                "hidden": fields.get("Hidden", "false") == "true",
                "deprecated": bool(fields.get("Deprecated")),
                "path": path,
            }
        regs.extend(REGISTER.findall(text))
    out: dict[str, dict[str, dict]] = {sub: {} for sub in TARGETS}
    for var, target in regs:
        if var not in decls:
            continue
        for sub, names in TARGETS.items():
            if target.rstrip(".") in names:
                out[sub][decls[var]["name"]] = decls[var]
    return out


def main(argv: list[str]) -> int:
    git_dir, repo, *tags = argv
    commit = _git(git_dir, "rev-parse", f"{tags[-1]}^{{commit}}").strip()
    per_tag = {tag: flags_at(git_dir, tag) for tag in tags}
    latest = per_tag[tags[-1]]
    result: dict[str, dict] = {}
    for sub, flags in latest.items():
        result[sub] = {}
        for name, info in sorted(flags.items()):
            since = next(t for t in tags if name in per_tag[t][sub])
            result[sub][name] = {
                "short": info["short"],
                "kind": info["kind"],
                "hidden": info["hidden"],
                "deprecated": info["deprecated"],
                "since": since,
                "source": f"github.com/{repo}@{commit}:{info['path']}",
            }
    json.dump({"described_tag": tags[-1], "commit": commit, "subcommands": result}, sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
