"""The package layout shows the flow, and every module imports only from rooms below its own.

The rooms, lowest first: shared leaves (errors, util, version, runtime: the in-job code), the v1
configuration classes and the cluster profile, the neutral job and its rendering plus the
transports, compile (v1 -> JobSpec) and the Slurm command builders/parsers and snapshot staging,
backends, runs (workspace, store, Run/Experiment, submission), compat (the azureml.* import hook
of ``hpcest run``, serving runs-level objects), the CLI, and the test support.
A room may import from its own room and from any lower one, never from a higher one; that is
what keeps v1 meaning out of the Slurm side and Slurm out of the v1 classes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "hpc_estimator"

RANK = {
    "errors": 0, "util": 0, "version": 0, "runtime": 0,
    "v1": 1, "cluster": 1,
    "job": 2, "transport": 2,
    "compile": 3, "slurm": 3, "snapshot": 3,
    "backends": 4, "sweep": 4,
    "runs": 5,
    "compat": 6,
    "cli": 7, "__main__": 7,
    "testing": 8,
}


def _room(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "hpc_estimator":
        return None
    return parts[1] if len(parts) > 1 else ""  # "" is the package's public facade


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if node.module:
                found.append((node.lineno, target))
            else:  # from .. import a, b: each name is a module of that package
                found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "jobshim" not in p.parts or p.name == "__init__.py")


def test_every_module_is_in_a_known_room() -> None:
    rooms = {_room(_module_name(p)) for p in MODULES} - {""}
    assert rooms <= set(RANK), f"modules in rooms the layout does not know: {sorted(rooms - set(RANK))}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_only_from_its_own_or_lower_rooms(path: Path) -> None:
    own = _room(_module_name(path))
    if not own:
        return  # the facade re-exports the public names of every room
    problems = []
    for line, target in _imports(path):
        room = _room(target)
        if room is None:
            continue
        if room == "":
            problems.append(f"line {line}: imports the package facade ({target}); import the room's module")
        elif room in RANK and RANK[room] > RANK[own]:
            problems.append(f"line {line}: {own}/ imports {target} from the higher room {room}/")
    assert not problems, "\n".join(problems)
