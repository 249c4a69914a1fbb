"""Package warnings: what v1's ``_show_package_warnings`` was for, checked statically on the literals.

Each check returns (code, message, fix) tuples; the caller attaches positions.
"""

from __future__ import annotations

import re

from migrate.framework_data import FRAMEWORKS

# PEP 508 name, optional extras, optional version specifiers, optional marker. Deliberately strict:
# a requirement string that does not match this is what pip would refuse too.
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_SPEC = r"(?:===|==|!=|<=|>=|~=|<|>)\s*[A-Za-z0-9*+!._-]+"
_REQUIREMENT = re.compile(
    rf"^\s*(?P<name>{_NAME})\s*(?:\[\s*{_NAME}(?:\s*,\s*{_NAME})*\s*\])?\s*"
    rf"(?P<specs>\(?\s*{_SPEC}(?:\s*,\s*{_SPEC})*\s*\)?)?\s*(?:;.*)?$"
)
_URL = re.compile(r"^\s*(?:\S+\s*@\s*)?(?:git\+|https?://|file:|\./|/|-e\s|--)")
# conda: name[=version[=build]] or name with comparison, optionally channel::name
_CONDA = re.compile(
    rf"^\s*(?:[A-Za-z0-9_.-]+::)?{_NAME}\s*(?:(?:==?|>=|<=|>|<|!=)\s*[A-Za-z0-9*.+_-]+(?:=[A-Za-z0-9*._]+)?)?\s*$"
)

RENAMED = {
    "sklearn": ("scikit-learn", "the 'sklearn' package on PyPI is a deprecated placeholder"),
    "tensorflow-gpu": ("tensorflow", "tensorflow-gpu is no longer published; 'tensorflow' includes GPU support"),
    "azureml-dataprep[fuse]": ("azureml-dataset-runtime[fuse]", "azureml-dataprep[fuse] was renamed"),
    "azureml-train": ("azureml-core", "azureml-train is an empty metapackage; estimators are deprecated"),
    "azureml-train-core": ("azureml-core", "estimators are deprecated; ScriptRunConfig lives in azureml-core"),
    "horovod[pytorch]": ("horovod", "install horovod with HOROVOD_WITH_PYTORCH=1 in the image instead"),
    "pytorch": ("torch", "the PyPI package for PyTorch is 'torch'"),
    "opencv": ("opencv-python", "the PyPI package for OpenCV is 'opencv-python'"),
}

# framework estimator class -> the package whose pin must agree with framework_version
FRAMEWORK_PACKAGE = {
    "PyTorch": ("torch",),
    "TensorFlow": ("tensorflow", "tensorflow-gpu"),
    "Chainer": ("chainer",),
    "SKLearn": ("scikit-learn", "sklearn"),
}

Check = tuple[str, str, str | None]


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_pip(requirement: str) -> tuple[str, str] | None:
    """(normalised name, specifier text) of a pip requirement, or None when it is invalid."""
    match = _REQUIREMENT.match(requirement)
    if not match:
        return None
    return normalise(match.group("name")), (match.group("specs") or "").strip("() ")


def _pinned_version(specs: str) -> str | None:
    match = re.match(r"^(?:==|===)\s*([A-Za-z0-9.*+!_-]+)$", specs.strip())
    return match.group(1) if match else None


def check_pip(requirements: list[str]) -> list[Check]:
    """Invalid strings, renamed packages and duplicate/conflicting pins among pip requirements."""
    checks: list[Check] = []
    seen: dict[str, str] = {}
    for requirement in requirements:
        if _URL.match(requirement):
            continue  # URLs, paths and pip options are valid pip inputs we cannot analyse further
        parsed = parse_pip(requirement)
        if parsed is None:
            checks.append(
                (
                    "HPP301",
                    f"invalid pip requirement {requirement!r}",
                    "write it as 'name', 'name==1.2' or 'name[extra]>=1.0' (PEP 508)",
                )
            )
            continue
        name, specs = parsed
        lowered = requirement.strip().lower()
        for old, (new, why) in RENAMED.items():
            if name == normalise(old) or lowered.startswith(old + "=") or lowered == old:
                checks.append(("HPP302", f"{requirement!r}: {why}", f"use {new!r}"))
                break
        if name in seen:
            previous = seen[name]
            kind = "conflicting" if previous != specs else "duplicate"
            checks.append(
                (
                    "HPP304",
                    f"{kind} requirement for {name!r}: {previous or '(any)'} and {specs or '(any)'}",
                    f"keep a single requirement for {name!r}",
                )
            )
        else:
            seen[name] = specs
    return checks


def check_conda(packages: list[str]) -> list[Check]:
    checks: list[Check] = []
    for package in packages:
        if not _CONDA.match(package):
            checks.append(
                (
                    "HPP301",
                    f"invalid conda package spec {package!r}",
                    "write it as 'name', 'name=1.2' or 'channel::name=1.2'",
                )
            )
    return checks


def check_framework_pins(estimator: str, framework_version: str | None, requirements: list[str]) -> list[Check]:
    """A user pin on the framework package that differs from ``framework_version``."""
    if estimator not in FRAMEWORK_PACKAGE:
        return []
    version = framework_version or FRAMEWORKS[estimator]["default_version"]
    checks: list[Check] = []
    for requirement in requirements:
        parsed = parse_pip(requirement)
        if parsed is None:
            continue
        name, specs = parsed
        if name not in {normalise(n) for n in FRAMEWORK_PACKAGE[estimator]}:
            continue
        pinned = _pinned_version(specs)
        if pinned is not None and not (pinned == version or pinned.startswith(version + ".")):
            checks.append(
                (
                    "HPP303",
                    f"{requirement!r} contradicts framework_version={version!r}",
                    f"pin {name}=={version}.* or change framework_version",
                )
            )
    return checks


def check_horovod(requirements: list[str], has_mpi: bool) -> list[Check]:
    for requirement in requirements:
        parsed = parse_pip(requirement)
        if parsed and parsed[0] == "horovod" and not has_mpi:
            return [
                (
                    "HPP305",
                    "horovod is installed but the job is not distributed with MPI",
                    "add distributed_job_config=MpiConfiguration(...) or drop horovod",
                )
            ]
    return []


def check_defaults_present(requirements: list[str]) -> list[Check]:
    names = {parsed[0] for r in requirements if (parsed := parse_pip(r))}
    if "azureml-defaults" in names:
        return []
    return [
        (
            "HPP306",
            "azureml-defaults is missing; Azure ML runs need it in the environment",
            "add 'azureml-defaults' to the pip requirements",
        )
    ]


def read_requirements_file(text: str) -> list[str]:
    """Requirement lines of a requirements.txt (comments, blanks and pip options dropped)."""
    lines = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "-")):
            lines.append(line)
    return lines
