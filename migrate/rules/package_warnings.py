"""Lint: v1's package and script warnings (``_show_package_warnings`` / ``_show_lint_warnings``).

On the estimator's literal package lists (or lists bound to a variable): invalid requirement strings
(HPP301), renamed packages (HPP302), pins contradicting framework_version (HPP303), duplicates
(HPP304), Horovod without MPI (HPP305), azureml-defaults missing (HPP306, --target azureml); on a
local requirements file the same; on a local entry script and the modules it imports, what v1's
flake8 run reported (HPL203 syntax error, HPL204 undefined name, HPL205 local used before
assignment) and, as v1 did, only on a framework image and not for a local run, imports that no
package in the environment provides (HPP307)::

    est = PyTorch(".", entry_script="train.py", pip_packages=["sklearn", "torch==1.4"], framework_version="1.6")
    # HPP302 'sklearn': the 'sklearn' package on PyPI is a deprecated placeholder (fix: use 'scikit-learn')
    # HPP303 'torch==1.4' contradicts framework_version='1.6'
"""

from __future__ import annotations

import libcst as cst

from migrate import cst_build as b
from migrate import packages
from migrate.engine import Migration
from migrate.environment import EnvironmentUnresolvable, framework_key
from migrate.framework_data import FRAMEWORKS
from migrate.names import ESTIMATOR_CLASSES

CODES = ("HPP301", "HPP302", "HPP303", "HPP304", "HPP305", "HPP306", "HPP307", "HPL203", "HPL204", "HPL205")


def plan(m: Migration) -> None:
    from migrate.rules.estimator import call_kwargs

    for call, cls in m.facts.calls:
        if cls in ESTIMATOR_CLASSES:
            kwargs, _ = call_kwargs(call)
            _check(m, call, cls, kwargs)


def _list(m: Migration, kwargs: dict[str, cst.BaseExpression], name: str, at: cst.CSTNode):  # type: ignore[no-untyped-def]
    if name not in kwargs:
        return []
    value = m.resolve_list(kwargs[name], at)
    return b.string_list(value) if value is not None else None


def _check(m: Migration, call: cst.Call, cls: str, kwargs: dict[str, cst.BaseExpression]) -> None:
    pip_items = _list(m, kwargs, "pip_packages", call)
    conda_items = _list(m, kwargs, "conda_packages", call)
    requirements = [value for value, _ in pip_items or []]
    for code, message, fix in packages.check_pip(requirements):
        m.report(code, message, kwargs["pip_packages"], fix)
    for code, message, fix in packages.check_conda([value for value, _ in conda_items or []]):
        m.report(code, message, kwargs["conda_packages"], fix)
    version = b.literal_value(kwargs.get("framework_version")) if "framework_version" in kwargs else None
    if isinstance(version, str) or version is None:
        for code, message, fix in packages.check_framework_pins(cls, version, requirements):
            m.report(code, message, kwargs["pip_packages"], fix)
    for code, message, fix in packages.check_horovod(requirements, _uses_mpi(m, kwargs)):
        m.report(code, message, kwargs["pip_packages"], fix)
    requirement_lines: list[str] | None = None
    req_file = m.local_file(kwargs, "pip_requirements_file") or m.local_file(kwargs, "pip_requirements_file_path")
    if req_file is not None:
        requirement_lines = packages.read_requirements_file(req_file.read_text(encoding="utf-8", errors="replace"))
    if m.target == "azureml":
        if "pip_packages" in kwargs and pip_items is None:
            m.report(
                "HPP306",
                "pip_packages is not a literal list; azureml-defaults cannot be added",
                kwargs["pip_packages"],
                "make sure the list contains 'azureml-defaults'",
            )
        if req_file is not None and requirement_lines is not None:
            # No azureml-defaults check: v1 put it in front of the file's requirements, and so does the rewrite.
            for code, message, fix in packages.check_pip(requirement_lines):
                m.report(code, f"{req_file.name}: {message}", call, fix)
    if not m.lint_scripts:
        return
    script = m.local_file(kwargs, "entry_script")
    source = m.local_directory(kwargs)
    if script is None or source is None:
        return
    from migrate.lint_script import lint_script_tree  # only with a local entry script (saves loading it)

    for code, message, fix, _, _ in lint_script_tree(script, source):
        m.report(code, message, kwargs["entry_script"], fix)
    if pip_items is None or conda_items is None or "environment_definition" in kwargs:
        return
    if "conda_dependencies_file" in kwargs or "conda_dependencies_file_path" in kwargs:
        return
    if cls not in FRAMEWORKS:
        return  # v1 checked packages only on its framework images
    if "custom_docker_image" in kwargs or "custom_docker_base_image" in kwargs:
        return  # ... so not on a custom image either: what it holds is not known here
    if b.literal_value(kwargs.get("compute_target")) == "local":
        return  # nor for local runs (v1's _script_validation: the packages are the machine's own)
    try:
        version, device = framework_key(cls, kwargs)
    except EnvironmentUnresolvable:
        return
    scenario = FRAMEWORKS[cls]["scenarios"][f"{version}-{device}"]
    pip = requirements + (requirement_lines or []) + list(scenario["pip_packages"])
    pip += list(packages.FRAMEWORK_PACKAGE.get(cls, ()))
    conda = [value for value, _ in conda_items] + list(scenario["conda_packages"])
    for code, message, fix in packages.missing_packages(script, source, pip, conda):
        m.report(code, message, kwargs["entry_script"], fix)


def _uses_mpi(m: Migration, kwargs: dict[str, cst.BaseExpression]) -> bool:
    backend = b.literal_value(kwargs.get("distributed_backend")) if "distributed_backend" in kwargs else None
    if isinstance(backend, str) and backend.lower() == "mpi":
        return True
    training = kwargs.get("distributed_training")
    if training is not None:
        kind, _ = m.classify(training)
        return kind in ("Mpi", "MpiConfiguration")
    return False
