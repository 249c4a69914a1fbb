"""Package warnings: what v1's ``_show_package_warnings`` was for, checked statically on the literals.

Each check returns (code, message, fix) tuples; the caller attaches positions. ``missing_packages``
is v1's check of the entry script's imports against the environment's packages; the compile stage
calls it (and ``check_pip``/``check_conda``/``check_framework_pins``) for
``_show_package_warnings=True``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

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


def read_requirements_file(text: str) -> list[str]:
    """Requirement lines of a requirements.txt (comments, blanks and pip options dropped)."""
    lines = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "-")):
            lines.append(line)
    return lines


# Import name -> the packages (pip or conda names) that provide it, where they differ or vary.
IMPORT_PACKAGES: dict[str, tuple[str, ...]] = {
    "sklearn": ("scikit-learn",),
    "cv2": ("opencv-python", "opencv-python-headless", "opencv-contrib-python", "opencv", "py-opencv"),
    "PIL": ("pillow", "pillow-simd"),
    "yaml": ("pyyaml",),
    "torch": ("torch", "pytorch"),
    "tensorflow": ("tensorflow", "tensorflow-gpu", "tensorflow-cpu"),
    "tensorboardX": ("tensorboardx",),
    "skimage": ("scikit-image",),
    "bs4": ("beautifulsoup4",),
    "dateutil": ("python-dateutil",),
    "dotenv": ("python-dotenv",),
    "jwt": ("pyjwt",),
    "Crypto": ("pycryptodome",),
    "attr": ("attrs",),
    "google": ("protobuf", "google-cloud-storage"),
    "mpl_toolkits": ("matplotlib",),
    "onnxruntime": ("onnxruntime", "onnxruntime-gpu"),
    "lightgbm": ("lightgbm",),
    "xgboost": ("xgboost", "py-xgboost"),
    "mxnet": ("mxnet", "mxnet-cu101", "mxnet-mkl"),
    "gym": ("gym", "gymnasium"),
    "serial": ("pyserial",),
    "magic": ("python-magic",),
    "docx": ("python-docx",),
    "fitz": ("pymupdf",),
    "Levenshtein": ("python-levenshtein",),
    "sentencepiece": ("sentencepiece",),
    "absl": ("absl-py",),
    "git": ("gitpython",),
}
# azureml.<sub> -> packages that provide it (azureml-defaults pulls in azureml-core).
AZUREML_PACKAGES: dict[str, tuple[str, ...]] = {
    "core": ("azureml-core", "azureml-defaults", "azureml-sdk"),
    "train": ("azureml-train-core", "azureml-train", "azureml-sdk"),
    "data": ("azureml-core", "azureml-defaults", "azureml-dataprep", "azureml-dataset-runtime", "azureml-sdk"),
    "pipeline": ("azureml-pipeline", "azureml-pipeline-core", "azureml-pipeline-steps", "azureml-sdk"),
    "widgets": ("azureml-widgets", "azureml-sdk"),
    "tensorboard": ("azureml-tensorboard",),
    "mlflow": ("azureml-mlflow",),
    "interpret": ("azureml-interpret",),
}
# Modules that Python ships although sys.stdlib_module_names has no entry for them.
_ALWAYS_THERE = {"__future__", "__main__", "pkg_resources", "setuptools", "pip", "_pytest"}


def _conda_name(spec: str) -> str:
    spec = spec.split("::", 1)[-1]
    return normalise(re.split(r"[=<>!~ \[]", spec.strip(), maxsplit=1)[0])


def _providers(module: str) -> tuple[str, tuple[str, ...]]:
    """(import name shown, package names that provide it) for a dotted import."""
    parts = module.split(".")
    top = parts[0]
    if top == "azureml" and len(parts) > 1:
        sub = parts[1]
        return f"azureml.{sub}", AZUREML_PACKAGES.get(sub, (f"azureml-{sub.replace('_', '-')}", "azureml-sdk"))
    if top == "azure" and len(parts) > 1:
        return ".".join(parts[:3]), ("-".join(["azure", *parts[1:3]]).replace("_", "-"), "-".join(["azure", parts[1]]))
    return top, IMPORT_PACKAGES.get(top, (top,))


# What installing a package brings with it (its install requirements that scripts commonly import).
IMPLIED_PACKAGES: dict[str, tuple[str, ...]] = {
    "torch": ("numpy", "typing-extensions", "filelock", "sympy", "networkx", "jinja2", "fsspec"),
    "torchvision": ("torch", "numpy", "pillow"),
    "torchaudio": ("torch",),
    "tensorflow": ("numpy", "protobuf", "six", "absl-py", "h5py", "grpcio", "keras", "tensorboard", "wrapt"),
    "tensorflow-gpu": ("tensorflow",),
    "tensorboard": ("numpy", "protobuf", "markdown", "werkzeug", "grpcio", "six"),
    "chainer": ("numpy", "six", "filelock", "protobuf", "typing-extensions"),
    "scikit-learn": ("numpy", "scipy", "joblib", "threadpoolctl"),
    "scipy": ("numpy",),
    "pandas": ("numpy", "python-dateutil", "pytz", "six"),
    "matplotlib": ("numpy", "pillow", "cycler", "kiwisolver", "pyparsing", "python-dateutil", "packaging"),
    "seaborn": ("matplotlib", "pandas", "numpy"),
    "horovod": ("cloudpickle", "psutil", "pyyaml", "packaging"),
    "keras": ("numpy", "h5py"),
    "requests": ("urllib3", "idna", "certifi", "charset-normalizer"),
    "opencv-python": ("numpy",),
    "xgboost": ("numpy", "scipy"),
    "lightgbm": ("numpy", "scipy"),
}


def missing_packages(
    entry_script: Path, source_directory: Path, pip_packages: list[str], conda_packages: list[str]
) -> list[Check]:
    """v1's package check: imports of the entry script and its local modules that no package provides.

    Top-level imports (the first part of the dotted name) of every local file, minus the standard
    library (``sys.stdlib_module_names``) and the local modules themselves, are mapped to package
    names (``IMPORT_PACKAGES``: sklearn → scikit-learn, cv2 → opencv-python, ...) and compared with
    the given pip and conda package lists. One finding per missing import, naming the file.
    """
    from migrate.lint_script import display_name, imported_modules, local_candidates, local_module_files

    installed: set[str] = set()
    for requirement in pip_packages:
        parsed = parse_pip(requirement)
        if parsed is not None:
            installed.add(parsed[0])
    installed.update(_conda_name(spec) for spec in conda_packages)
    # A package brings its own dependencies (torch brings numpy), as v1's dependency table knew.
    pending = list(installed)
    while pending:
        for implied in IMPLIED_PACKAGES.get(pending.pop(), ()):
            if implied not in installed:
                installed.add(implied)
                pending.append(implied)
    candidates = local_candidates(source_directory)
    files = local_module_files(entry_script, source_directory, candidates)
    local = set(candidates)
    for path, _, _ in files:
        local.add(path.stem if path.name != "__init__.py" else path.parent.name)
    checks: list[Check] = []
    reported: set[str] = set()
    for path, tree, _ in files:
        if tree is None:
            continue
        for module, level in imported_modules(tree, path):
            if level or not module:
                continue
            top = module.split(".")[0]
            if top in sys.stdlib_module_names or top in _ALWAYS_THERE or top in local:
                continue
            shown, providers = _providers(module)
            if shown in reported:
                continue
            if any(normalise(p) in installed for p in providers):
                continue
            reported.add(shown)
            checks.append(
                (
                    "HPP307",
                    f"{display_name(path, source_directory)}: import {shown!r} may be missing from the environment",
                    f"add {providers[0]!r} to pip_packages (or conda_packages)",
                )
            )
    return checks
