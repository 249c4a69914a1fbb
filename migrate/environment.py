"""Choose and build the Environment an estimator implied.

Order of preference: ``environment_definition`` as given; the curated environment of a framework
estimator via ``Environment.get`` when a workspace object is in scope and nothing customises it
(no package or image argument, no change through ``est.conda_dependencies`` later);
otherwise an explicit Environment built from packages, files, image and flags.
"""

from __future__ import annotations

import functools
import posixpath
from dataclasses import dataclass, field

import libcst as cst

from migrate import cst_build as b
from migrate.arguments import arguments_list
from migrate.framework_data import DEFAULT_GPU_IMAGE, ESTIMATOR_PYTHON_VERSION, FRAMEWORKS

# Estimator parameters that shape the environment (any of them rules out a curated environment).
CUSTOMISING = (
    "pip_packages",
    "conda_packages",
    "conda_dependencies_file",
    "conda_dependencies_file_path",
    "pip_requirements_file",
    "pip_requirements_file_path",
    "custom_docker_image",
    "custom_docker_base_image",
    "image_registry_details",
    "user_managed",
)


class EnvironmentUnresolvable(Exception):
    def __init__(self, code: str, message: str, fix: str) -> None:
        super().__init__(message)
        self.code, self.message, self.fix = code, message, fix


@dataclass
class EnvironmentPlan:
    """Either an expression usable inline, or statements that define ``variable`` first."""

    expression: cst.BaseExpression
    statements: list[cst.SimpleStatementLine] = field(default_factory=list)
    uses: set[str] = field(default_factory=set)  # emitted class names to import
    needs_os: bool = False


def framework_key(cls: str, kwargs: dict[str, cst.BaseExpression]) -> tuple[str, str]:
    """(version, 'cpu'|'gpu') of a framework estimator; raises when they are not literals."""
    version = b.literal_value(kwargs.get("framework_version")) if "framework_version" in kwargs else None
    if version is NotImplemented or (version is not None and not isinstance(version, str)):
        raise EnvironmentUnresolvable(
            "HPM112",
            "framework_version is not a string literal",
            "give framework_version as a literal such as '1.6' or pass environment_definition",
        )
    gpu = b.literal_value(kwargs.get("use_gpu")) if "use_gpu" in kwargs else False
    if gpu is NotImplemented:
        raise EnvironmentUnresolvable(
            "HPM112",
            "use_gpu is not a literal True/False",
            "write use_gpu=True or use_gpu=False, or pass environment_definition",
        )
    data = FRAMEWORKS[cls]
    version = version or data["default_version"]
    if version not in data["versions"]:
        raise EnvironmentUnresolvable(
            "HPM112",
            f"{cls} framework_version {version!r} is not one v1 supported",
            f"use one of {', '.join(data['versions'])} or the generic Estimator with explicit packages",
        )
    device = "gpu" if gpu and cls != "SKLearn" else "cpu"
    return version, device


def _path_in_source(source_dir: cst.BaseExpression | None, path: cst.BaseExpression) -> tuple[cst.BaseExpression, bool]:
    """v1 resolved dependency files relative to source_directory; do the same explicitly."""
    if source_dir is None:
        return path, False
    sd, p = b.literal_value(source_dir), b.literal_value(path)
    if isinstance(sd, str) and isinstance(p, str):
        return b.string(posixpath.join(sd, p)), False
    return b.call(b.attr("os.path.join"), [cst.Arg(source_dir), cst.Arg(path)], multiline=False), True


def plan_environment(
    cls: str,
    kwargs: dict[str, cst.BaseExpression],
    variable: str,
    env_name: str,
    workspace: str | None,
    add_defaults: bool,
    changed_later: bool = False,
) -> EnvironmentPlan:
    """``changed_later``: the code uses the estimator's packages after construction
    (``est.conda_dependencies.add_conda_package(...)``), which rules out a curated one too."""
    if "environment_definition" in kwargs:
        return EnvironmentPlan(kwargs["environment_definition"])

    customised = changed_later or any(k in kwargs for k in CUSTOMISING)
    framework = cls in FRAMEWORKS
    version = device = None
    if framework:
        version, device = framework_key(cls, kwargs)
        curated = FRAMEWORKS[cls]["curated"].get(f"{version}-{device}")
        if curated and workspace and not customised:
            get = b.call(
                b.attr("Environment.get"),
                [b.kwarg("workspace", cst.Name(workspace)), b.kwarg("name", b.string(curated))],
                multiline=False,
            )
            return EnvironmentPlan(get, uses={"Environment"})

    env = cst.Name(variable)
    plan = EnvironmentPlan(env, uses={"Environment"})
    conda_file = kwargs.get("conda_dependencies_file") or kwargs.get("conda_dependencies_file_path")
    pip_file = kwargs.get("pip_requirements_file") or kwargs.get("pip_requirements_file_path")
    source_dir = kwargs.get("source_directory")
    if conda_file is not None:
        path, needs_os = _path_in_source(source_dir, conda_file)
        plan.needs_os |= needs_os
        plan.statements.append(
            b.assign(
                env,
                b.call(
                    b.attr("Environment.from_conda_specification"),
                    [b.kwarg("name", b.string(env_name)), b.kwarg("file_path", path)],
                    multiline=False,
                ),
            )
        )
    elif pip_file is not None:
        path, needs_os = _path_in_source(source_dir, pip_file)
        plan.needs_os |= needs_os
        plan.statements.append(
            b.assign(
                env,
                b.call(
                    b.attr("Environment.from_pip_requirements"),
                    [b.kwarg("name", b.string(env_name)), b.kwarg("file_path", path)],
                    multiline=False,
                ),
            )
        )
        plan.statements += _packages_beside_requirements(variable, kwargs, add_defaults)
    else:
        plan.statements.append(
            b.assign(env, b.call(cst.Name("Environment"), [b.kwarg("name", b.string(env_name))], multiline=False))
        )
        user_managed = b.literal_value(kwargs.get("user_managed")) if "user_managed" in kwargs else False
        if user_managed is not True:
            deps = _conda_dependencies(cls, kwargs, version, device, add_defaults)
            if deps is not None:
                plan.uses.add("CondaDependencies")
                plan.statements.append(b.assign(b.attr(f"{variable}.python.conda_dependencies"), deps))

    image = kwargs.get("custom_docker_image") or kwargs.get("custom_docker_base_image")
    if image is None and framework and version and device:
        image = b.string(FRAMEWORKS[cls]["scenarios"][f"{version}-{device}"]["base_image"])
    if image is None and not framework and b.literal_value(kwargs.get("use_gpu")) is True:
        image = b.string(DEFAULT_GPU_IMAGE)
    if image is not None:
        plan.statements.append(b.assign(b.attr(f"{variable}.docker.base_image"), image))
    if "image_registry_details" in kwargs:
        plan.statements.append(
            b.assign(b.attr(f"{variable}.docker.base_image_registry"), kwargs["image_registry_details"])
        )
    if "user_managed" in kwargs and b.literal_value(kwargs["user_managed"]) is not False:
        plan.statements.append(b.assign(b.attr(f"{variable}.python.user_managed_dependencies"), kwargs["user_managed"]))
    return plan


def _packages_beside_requirements(
    variable: str, kwargs: dict[str, cst.BaseExpression], add_defaults: bool
) -> list[cst.SimpleStatementLine]:
    """What v1 added to a pip requirements file: azureml-defaults in front (Azure ML's run-time), the
    estimator's pip_packages merged in and its conda_packages (``Environment.from_pip_requirements``
    takes the file alone)."""
    (pip, _), (conda, _) = _literal_lists(
        kwargs,
        "beside pip_requirements_file are not literal lists",
        "write the package lists as literals so they can be added to the environment",
    )
    deps = f"{variable}.python.conda_dependencies"
    added: list[tuple[str, cst.BaseExpression]] = []
    if add_defaults and "azureml-defaults" not in {_name_of(value) for value, _ in pip}:
        added.append(("add_pip_package", b.string("azureml-defaults")))
    added += [("add_pip_package", node) for _, node in pip]
    added += [("add_conda_package", node) for _, node in conda]
    return [
        cst.SimpleStatementLine(
            body=[cst.Expr(b.call(b.attr(f"{deps}.{method}"), [cst.Arg(node)], multiline=False))]
        )
        for method, node in added
    ]


@functools.lru_cache(maxsize=4096)  # the framework pins come up in every file; the split is per character
def _name_of(requirement: str) -> str:
    for separator in ("==", ">=", "<=", "~=", "!=", "<", ">", "=", "[", ";", " "):
        requirement = requirement.split(separator, 1)[0]
    return requirement.strip().lower().replace("_", "-")


def _user_packages(
    kwargs: dict[str, cst.BaseExpression], name: str
) -> tuple[list[tuple[str, cst.BaseExpression]] | None, cst.BaseExpression | None]:
    """(package strings, variable) of a package list given literally or as a variable bound to one."""
    node = kwargs.get(name)
    if node is None:
        return [], None
    literal = kwargs.get(f"{name}__literal")
    if literal is not None:
        return b.string_list(literal), node
    return b.string_list(node), None


Packages = tuple[list[tuple[str, cst.BaseExpression]], cst.BaseExpression | None]


def _literal_lists(kwargs: dict[str, cst.BaseExpression], problem: str, fix: str) -> tuple[Packages, Packages]:
    """(pip, conda) as ``_user_packages`` gives them; HPM101 when either is not a literal list."""
    pip, pip_variable = _user_packages(kwargs, "pip_packages")
    conda, conda_variable = _user_packages(kwargs, "conda_packages")
    if pip is None or conda is None:
        raise EnvironmentUnresolvable("HPM101", f"pip_packages/conda_packages {problem}", fix)
    return (pip, pip_variable), (conda, conda_variable)


def _merge_framework(
    framework_pins: list[str],
    user: list[tuple[str, cst.BaseExpression]],
    variable: cst.BaseExpression | None = None,
) -> list[cst.BaseExpression]:
    """Framework scenario pins plus user packages; a user package with the same name wins (as in v1).

    A list given as a variable stays that variable (``*pip_packages``) after the remaining pins.
    """
    user_names = {_name_of(value) for value, _ in user}
    merged: list[cst.BaseExpression] = [b.string(p) for p in framework_pins if _name_of(p) not in user_names]
    if variable is not None:
        merged.append(cst.StarredElement(variable))  # type: ignore[arg-type]
    else:
        merged.extend(node for _, node in user)
    return merged


def _conda_dependencies(
    cls: str,
    kwargs: dict[str, cst.BaseExpression],
    version: str | None,
    device: str | None,
    add_defaults: bool,
) -> cst.BaseExpression | None:
    pip_node = kwargs.get("pip_packages")
    conda_node = kwargs.get("conda_packages")
    args: list[cst.Arg] = []
    scenario = FRAMEWORKS[cls]["scenarios"][f"{version}-{device}"] if cls in FRAMEWORKS else None
    if scenario is not None:
        (pip_user, pip_variable), (conda_user, conda_variable) = _literal_lists(
            kwargs,
            "of a framework estimator are not literal lists",
            "write the package lists as literals so the framework pins can be merged",
        )
        conda = _merge_framework(scenario["conda_packages"], conda_user, conda_variable)
        framework_pins = scenario["pip_packages"]
        if not add_defaults:
            # Only Azure ML's run-time needs azureml-defaults; a Slurm job (--target hpcest) does not.
            framework_pins = [p for p in framework_pins if _name_of(p) != "azureml-defaults"]
        pip = _merge_framework(framework_pins, pip_user, pip_variable)
        args.append(b.kwarg("conda_packages", arguments_list(conda)))
        args.append(b.kwarg("pip_packages", arguments_list(pip)))
        return b.call(b.attr("CondaDependencies.create"), args)
    if conda_node is None and pip_node is None:
        return None
    if conda_node is not None:
        args.append(b.kwarg("conda_packages", conda_node))
    if pip_node is not None:
        pip_items = b.string_list(pip_node)
        if add_defaults and pip_items is not None and "azureml-defaults" not in {_name_of(v) for v, _ in pip_items}:
            # v1 forced azureml-defaults in front; CondaDependencies.create only adds it without pip_packages.
            pip_node = arguments_list([b.string("azureml-defaults"), *(n for _, n in pip_items)])
        args.append(b.kwarg("pip_packages", pip_node))
    if add_defaults:
        # v1 added the packages to CondaDependencies(), whose Python pin is not create()'s default
        # (3.8.13 and 3.10.18 in azureml-core 1.61); a Slurm job (--target hpcest) installs no Python.
        args.append(b.kwarg("python_version", b.string(ESTIMATOR_PYTHON_VERSION)))
    return b.call(b.attr("CondaDependencies.create"), args)
