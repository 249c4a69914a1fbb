"""Environment, its Python and Docker sections, and CondaDependencies (v1 names and signatures).

An Environment says what software a run needs: a container image (``docker.base_image``) and,
unless ``python.user_managed_dependencies`` is set, the conda/pip packages to install on top.
Nothing here builds or pulls anything; the compiler turns it into an image choice for the
cluster's container runtime.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import UserErrorException
from . import conda_yaml
from .deprecation import warn_deprecated
from .keywords import explain_call_errors

PYTHON_DEFAULT_VERSION = "3.10.18"  # CondaDependencies.create()'s default
# The python pin of v1's bundled default specification (what CondaDependencies() holds).
BASE_SPEC_PYTHON_VERSION = "3.8.13"
DEFAULT_CPU_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:20251130.v1"
DEFAULT_GPU_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.8-cudnn8-ubuntu22.04"
_DEFAULT_SHM_SIZE = "2g"
CPU = "cpu"
GPU = "gpu"
AZUREML_DEFAULTS = "azureml-defaults"

_DEFAULT_CHANNELS = ("anaconda", "conda-forge")
_NAME_SPLIT = re.compile(r"[\s<>=!~\[;@(]")


def package_name(spec: str) -> str:
    """The bare, lower-cased package name of a pip or conda spec (``'torch==1.4'`` -> ``'torch'``)."""
    return _NAME_SPLIT.split(spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _read_text(path: str | os.PathLike[str], parameter: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise UserErrorException(
            f"{parameter}: cannot read {os.fspath(path)!r} ({exc.strerror}). Check the path; relative "
            f"paths are resolved from the current directory (estimators: from source_directory)."
        ) from exc


def read_requirements(path: str | os.PathLike[str], parameter: str = "pip_requirements_file") -> list[str]:
    """Package lines of a pip requirements file (comments and blank lines dropped)."""
    lines = []
    for raw in _read_text(path, parameter).splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def read_conda_file(path: str | os.PathLike[str], parameter: str) -> dict[str, Any]:
    """Parse a conda environment file; errors name ``parameter`` and the file."""
    try:
        return conda_yaml.parse_environment(_read_text(path, parameter))
    except conda_yaml.CondaYamlError as exc:
        raise UserErrorException(
            f"{parameter} {os.fspath(path)!r} is not a conda environment file hpcest can read: {exc}. "
            f"Keep to 'name', 'channels' and 'dependencies' lists (with one nested 'pip:' list)."
        ) from exc


class CondaDependencies:
    """A conda environment specification: channels, conda packages and a nested pip list.

    Without a file it holds v1's bundled default: ``python=3.8.13`` and ``pip: [azureml-defaults]``
    on the channels ``anaconda`` and ``conda-forge`` (``create()`` pins PYTHON_DEFAULT_VERSION).
    """

    DEFAULT_NUMBER_OF_CONDA_PACKAGES = 0
    DEFAULT_NUMBER_OF_PIP_PACKAGES = 0
    _VALID_YML_KEYS = ["name", "channels", "dependencies", "prefix", "variables"]

    @explain_call_errors
    def __init__(
        self, conda_dependencies_file_path: str | None = None, _underlying_structure: Mapping[str, Any] | None = None
    ) -> None:
        if _underlying_structure is not None:
            spec = copy.deepcopy(dict(_underlying_structure))
        elif conda_dependencies_file_path is not None:
            spec = read_conda_file(conda_dependencies_file_path, "conda_dependencies_file_path")
        else:
            spec = {
                "name": "project_environment",
                "dependencies": [f"python={BASE_SPEC_PYTHON_VERSION}", {"pip": [AZUREML_DEFAULTS]}],
                "channels": list(_DEFAULT_CHANNELS),
            }
        unknown = [key for key in spec if key not in self._VALID_YML_KEYS]
        if unknown:
            raise UserErrorException(
                f"conda specification has unknown top-level keys {unknown}; allowed: {self._VALID_YML_KEYS}."
            )
        spec.setdefault("name", "project_environment")
        spec["dependencies"] = list(spec.get("dependencies") or [])
        spec["channels"] = list(spec.get("channels") or [])
        self._spec: dict[str, Any] = spec

    # -- construction -------------------------------------------------------------------------
    @staticmethod
    def create(
        pip_indexurl: str | None = None,
        pip_packages: Iterable[str] | None = None,
        conda_packages: Iterable[str] | None = None,
        python_version: str = PYTHON_DEFAULT_VERSION,
        pin_sdk_version: bool = True,
    ) -> CondaDependencies:
        """A new specification; ``azureml-defaults`` is added only when ``pip_packages`` is None (v1)."""
        deps = CondaDependencies(
            _underlying_structure={
                "name": "project_environment",
                "dependencies": [f"python={python_version}"],
                "channels": list(_DEFAULT_CHANNELS),
            }
        )
        for package in conda_packages or ():
            deps.add_conda_package(package)
        for package in [AZUREML_DEFAULTS] if pip_packages is None else pip_packages:
            deps.add_pip_package(package)
        if pip_indexurl:
            # v1 adds the URL as --find-links (beside its own --extra-index-url to the SDK's index,
            # which hpcest leaves out: there is no Azure ML SDK index to reach from a cluster).
            deps.set_pip_option(f"--find-links {pip_indexurl}")
        # v1 pinned azureml-* packages to its own SDK version (pin_sdk_version); there is no SDK
        # here to pin to, so the flag is accepted and has no effect.
        return deps

    @staticmethod
    def merge_requirements(requirements: Iterable[str]) -> list[str]:
        """Requirements with duplicates (by package name) dropped; a later, pinned spec wins."""
        merged: dict[str, str] = {}
        for requirement in requirements:
            name = package_name(requirement)
            if name not in merged or requirement != name:
                merged[name] = requirement
        return list(merged.values())

    # -- views --------------------------------------------------------------------------------
    def _pip_list(self, create: bool = False) -> list[str] | None:
        for item in self._spec["dependencies"]:
            if isinstance(item, dict) and "pip" in item:
                return item["pip"]
        if not create:
            return None
        pip_list: list[str] = []
        self._spec["dependencies"].append({"pip": pip_list})
        return pip_list

    @property
    def conda_channels(self) -> list[str]:
        return list(self._spec["channels"])

    @property
    def conda_packages(self) -> list[str]:
        return [item for item in self._spec["dependencies"] if isinstance(item, str)]

    @property
    def pip_packages(self) -> list[str]:
        return [item for item in self._pip_list() or [] if not str(item).startswith("-")]

    @property
    def pip_options(self) -> list[str]:
        return [item for item in self._pip_list() or [] if str(item).startswith("-")]

    def get_default_number_of_packages(self) -> tuple[int, int]:
        return self.DEFAULT_NUMBER_OF_CONDA_PACKAGES, self.DEFAULT_NUMBER_OF_PIP_PACKAGES

    def get_python_version(self) -> str | None:
        for package in self.conda_packages:
            if package_name(package) == "python":
                return package.split("=", 1)[1].lstrip("=") if "=" in package else None
        return None

    # -- edits --------------------------------------------------------------------------------
    def set_python_version(self, version: str) -> None:
        self.remove_conda_package("python")
        self._spec["dependencies"].insert(0, f"python={version}")

    def add_channel(self, channel: str) -> None:
        if channel not in self._spec["channels"]:
            self._spec["channels"].append(channel)

    def remove_channel(self, channel: str) -> None:
        if channel in self._spec["channels"]:
            self._spec["channels"].remove(channel)

    def add_conda_package(self, conda_package: str) -> None:
        """Add ``conda_package`` unless that exact entry is there; a ``python`` entry sets the version (v1)."""
        if package_name(conda_package) == "python" and "=" in conda_package:
            self.set_python_version(conda_package.split("=", 1)[1].lstrip("="))
            return
        deps = self._spec["dependencies"]
        if conda_package in deps:
            return
        pip_at = next((i for i, item in enumerate(deps) if isinstance(item, dict)), len(deps))
        deps.insert(pip_at, conda_package)

    def remove_conda_package(self, conda_package: str) -> None:
        name = package_name(conda_package)
        self._spec["dependencies"] = [
            item for item in self._spec["dependencies"] if not (isinstance(item, str) and package_name(item) == name)
        ]

    def add_pip_package(self, pip_package: str) -> None:
        """Add ``pip_package``, replacing an entry for the same package (so a pin can be changed)."""
        pip_list = self._pip_list(create=True)
        assert pip_list is not None
        name = package_name(pip_package)
        for index, item in enumerate(pip_list):
            if not str(item).startswith("-") and package_name(str(item)) == name:
                pip_list[index] = pip_package
                return
        pip_list.append(pip_package)

    def remove_pip_package(self, pip_package: str) -> None:
        pip_list = self._pip_list()
        if pip_list is None:
            return
        name = package_name(pip_package)
        pip_list[:] = [item for item in pip_list if str(item).startswith("-") or package_name(str(item)) != name]

    def set_pip_option(self, pip_option: str) -> None:
        """Add a pip option (``--index-url URL``) unless one with the same flag is there (v1)."""
        if not pip_option.startswith("-"):
            raise UserErrorException(
                f"Invalid pip option {pip_option!r}: options start with '-' (e.g. '--index-url URL')."
            )
        pip_list = self._pip_list(create=True)
        assert pip_list is not None
        if pip_option.split()[0] not in [str(item).split()[0] for item in pip_list if str(item).startswith("-")]:
            pip_list.append(pip_option)

    def remove_pip_option(self, pip_option: str) -> None:
        pip_list = self._pip_list()
        if pip_list is not None:
            flag = pip_option.split()[0]
            pip_list[:] = [item for item in pip_list if str(item).split()[0] != flag]

    def set_pip_index_url(self, index_url: str) -> None:
        """v1 passes the text on as a pip option: give ``'--index-url https://...'``."""
        self.set_pip_option(index_url)

    def set_pip_requirements(self, pip_requirements: Iterable[str]) -> None:
        pip_list = self._pip_list(create=True)
        assert pip_list is not None
        pip_list[:] = [*self.pip_options, *pip_requirements]

    # -- output -------------------------------------------------------------------------------
    def as_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self._spec)

    def serialize_to_string(self) -> str:
        """The specification as conda environment YAML."""
        return conda_yaml.dump_environment(self._spec)

    def save(self, path: str | None = None) -> str:
        """Write the YAML to ``path`` (default ``conda_dependencies.yml``); returns the path."""
        path = path or "conda_dependencies.yml"
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(self.serialize_to_string())
        return os.path.abspath(path)

    def save_to_file(self, base_directory: str, conda_file_path: str | None = None) -> str:
        return self.save(os.path.join(base_directory, conda_file_path or "conda_dependencies.yml"))

    def __repr__(self) -> str:
        return f"CondaDependencies(conda={self.conda_packages!r}, pip={self.pip_packages!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CondaDependencies):
            return NotImplemented
        return self._spec == other._spec


class ContainerRegistry:
    """Where a private base image comes from (v1 ``azureml.core.container_registry``)."""

    def __init__(self) -> None:
        self.address: str | None = None
        self.username: str | None = None
        self.password: str | None = None
        self.registry_identity: Any = None

    def __repr__(self) -> str:
        return f"ContainerRegistry(address={self.address!r}, username={self.username!r})"


def _apply_kwargs(section: object, kwargs: Mapping[str, Any], allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    for key, value in kwargs.items():
        if key not in allowed:
            raise TypeError(
                f"{type(section).__name__}() got an unexpected keyword argument {key!r}; accepted: {sorted(allowed)}"
            )
        setattr(section, key, value)


class PythonSection:
    """The Python part of an Environment."""

    def __init__(self, **kwargs: Any) -> None:
        self.user_managed_dependencies = False
        self.interpreter_path = "python"
        self.conda_dependencies = CondaDependencies()
        self._conda_dependencies_file: str | None = None
        self._base_conda_environment: str | None = None
        _apply_kwargs(
            self,
            kwargs,
            ("user_managed_dependencies", "interpreter_path", "conda_dependencies", "base_conda_environment"),
        )

    @property
    def conda_dependencies_file(self) -> str | None:
        return self._conda_dependencies_file

    @conda_dependencies_file.setter
    def conda_dependencies_file(self, value: str | None) -> None:
        warn_deprecated(
            "PythonSection.conda_dependencies_file is deprecated; use "
            "Environment.from_conda_specification(name, file_path) instead."
        )
        self._conda_dependencies_file = value
        if value is not None:
            self.conda_dependencies = CondaDependencies(value)

    @property
    def base_conda_environment(self) -> str | None:
        return self._base_conda_environment

    @base_conda_environment.setter
    def base_conda_environment(self, value: str | None) -> None:
        self._base_conda_environment = value


class DockerSection:
    """The container part of an Environment: base image, registry and GPU need.

    ``gpu_support`` was a no-op in late v1; here it tells the cluster to request GPUs and start the
    container with GPU support. ``enabled``/``shm_size``/``shared_volumes``/``arguments`` moved to
    ``DockerConfiguration`` in v1 and setting them warns, but they are still honoured.
    """

    def __init__(self, **kwargs: Any) -> None:
        self._base_image: str | None = DEFAULT_CPU_IMAGE
        self._base_dockerfile: str | None = None
        self._build_context: Any = None
        self.base_image_registry = ContainerRegistry()
        self.platform: Any = None
        self._gpu_support = False
        self._enabled = False
        # Set once ``enabled`` is assigned: an Environment that never said whether to use Docker
        # leaves the choice to the target (see RunConfiguration.docker_given).
        self._enabled_given = False
        self._shared_volumes = True
        self._shm_size: str | None = _DEFAULT_SHM_SIZE
        self._arguments: list[str] = []
        _apply_kwargs(
            self,
            kwargs,
            ("base_image", "base_dockerfile", "build_context", "base_image_registry", "platform", "gpu_support"),
        )

    @property
    def base_image(self) -> str | None:
        return self._base_image

    @base_image.setter
    def base_image(self, value: str | None) -> None:
        self._base_image = value

    @property
    def base_dockerfile(self) -> str | None:
        return self._base_dockerfile

    @base_dockerfile.setter
    def base_dockerfile(self, value: str | None) -> None:
        self._base_dockerfile = value

    @property
    def build_context(self) -> Any:
        return self._build_context

    @build_context.setter
    def build_context(self, value: Any) -> None:
        self._build_context = value

    @property
    def gpu_support(self) -> bool:
        return self._gpu_support

    @gpu_support.setter
    def gpu_support(self, value: bool) -> None:
        self._gpu_support = bool(value)

    @property
    def enabled(self) -> bool:
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        warn_deprecated(
            "DockerSection.enabled is deprecated; pass "
            "docker_runtime_config=DockerConfiguration(use_docker=...) to ScriptRunConfig."
        )
        self._enabled = bool(value)
        self._enabled_given = True

    @property
    def shared_volumes(self) -> bool:
        return self._shared_volumes

    @shared_volumes.setter
    def shared_volumes(self, value: bool) -> None:
        warn_deprecated("DockerSection.shared_volumes is deprecated; use DockerConfiguration(shared_volumes=...).")
        self._shared_volumes = bool(value)

    @property
    def arguments(self) -> list[str]:
        return self._arguments

    @arguments.setter
    def arguments(self, value: list[str]) -> None:
        warn_deprecated("DockerSection.arguments is deprecated; use DockerConfiguration(arguments=...).")
        self._arguments = list(value)

    @property
    def shm_size(self) -> str | None:
        return self._shm_size

    @shm_size.setter
    def shm_size(self, value: str | None) -> None:
        warn_deprecated("DockerSection.shm_size is deprecated; use DockerConfiguration(shm_size=...).")
        self._shm_size = value


class Environment:
    """Software for a run: ``Environment(name)`` with ``.python`` and ``.docker`` sections.

    ``framework_scenario`` is set on environments that stand for a v1 framework image (curated
    environments and framework estimators): a dict with ``framework``, ``version``, ``processor``
    and the pinned packages, so the cluster side can map it to one of its own images.
    """

    def __init__(self, name: str, **kwargs: Any) -> None:
        if not isinstance(name, str) or not name.strip():
            raise UserErrorException(f"Environment name must be a non-empty string, got {name!r}.")
        unexpected = [key for key in kwargs if not key.startswith("_")]
        if unexpected:
            raise TypeError(f"Environment() got unexpected keyword arguments {unexpected}; only name is public.")
        self.name = name
        self.version: str | None = None
        self.python = PythonSection()
        self.docker = DockerSection()
        self._environment_variables: dict[str, str] = {}
        self.spark: Any = None
        self.databricks: Any = None
        self.r: Any = None
        self.inferencing_stack_version: str | None = None
        self.asset_id: str | None = None
        self.framework_scenario: dict[str, Any] | None = None

    @property
    def environment_variables(self) -> dict[str, str]:
        return self._environment_variables

    @environment_variables.setter
    def environment_variables(self, value: Mapping[str, str]) -> None:
        warn_deprecated(
            "Environment.environment_variables is deprecated; set runtime variables on "
            "RunConfiguration.environment_variables (e.g. src.run_config.environment_variables)."
        )
        self._environment_variables = dict(value)

    def clone(self, new_name: str) -> Environment:
        """A deep copy under ``new_name`` (needed to modify a curated 'AzureML-' environment)."""
        cloned = copy.deepcopy(self)
        cloned.name = new_name
        cloned.version = None
        return cloned

    def register(self, workspace: Any) -> Environment:
        """Store the environment in ``workspace.environments`` (a name -> Environment mapping)."""
        registry = getattr(workspace, "environments", None)
        if registry is None or not hasattr(registry, "__setitem__"):
            raise UserErrorException(
                "Environment.register needs a workspace with an 'environments' mapping; "
                f"{type(workspace).__name__} has none. Pass the environment object directly instead."
            )
        if self.name.lower().startswith("azureml-"):
            raise UserErrorException(
                f"Environment name {self.name!r} uses the reserved 'AzureML' prefix; "
                f"register a clone under another name: env.clone('my-env').register(ws)."
            )
        previous = registry.get(self.name) if hasattr(registry, "get") else None
        registered = copy.deepcopy(self)
        registered.version = str(int(previous.version or 0) + 1) if previous is not None else "1"
        registry[self.name] = registered
        return registered

    @staticmethod
    def get(workspace: Any, name: str, version: str | None = None, label: str | None = None) -> Environment:
        """A registered environment from ``workspace.environments``, or a v1 curated environment.

        Curated names (``AzureML-PyTorch-1.6-GPU``, ``AzureML-TensorFlow-2.2-CPU``,
        ``AzureML-Chainer-5.1.0-CPU``, ``AzureML-Scikit-learn-0.20.3``) resolve offline to the
        framework scenario they mirrored, so migrated code keeps running.
        """
        registry = getattr(workspace, "environments", None)
        if registry is not None and hasattr(registry, "get"):
            found = registry.get(name)
            if found is not None:
                if version is not None and str(found.version) != str(version):
                    raise UserErrorException(
                        f"Environment {name!r} is registered as version {found.version}, not {version}. "
                        f"Omit version= to get the latest."
                    )
                return copy.deepcopy(found)
        curated = _curated_environment(name)
        if curated is not None:
            return curated
        raise UserErrorException(
            f"Environment {name!r} is neither registered in the workspace nor a known curated name. "
            f"Register it first (env.register(ws)) or use a curated name such as "
            f"'AzureML-PyTorch-1.6-GPU'; curated environments with newer names are not available offline."
        )

    @staticmethod
    def from_docker_image(
        name: str,
        image: str,
        container_registry: ContainerRegistry | None = None,
        conda_specification: str | None = None,
        pip_requirements: str | None = None,
    ) -> Environment:
        """An environment running ``image``; without a conda/pip file the image is used as-is."""
        if conda_specification and pip_requirements:
            raise UserErrorException(
                "Environment.from_docker_image takes conda_specification or pip_requirements, not both; "
                "put the pip packages into the conda file's 'pip:' list."
            )
        if conda_specification:
            env = Environment.from_conda_specification(name, conda_specification)
        elif pip_requirements:
            env = Environment.from_pip_requirements(name, pip_requirements)
        else:
            env = Environment(name)
            env.python.user_managed_dependencies = True
        env.docker.base_image = image
        if container_registry is not None:
            env.docker.base_image_registry = container_registry
        return env

    @staticmethod
    def from_conda_specification(name: str, file_path: str) -> Environment:
        env = Environment(name)
        env.python.conda_dependencies = CondaDependencies(conda_dependencies_file_path=file_path)
        return env

    @staticmethod
    def from_pip_requirements(name: str, file_path: str, pip_version: str | None = None) -> Environment:
        env = Environment(name)
        deps = CondaDependencies.create(pip_packages=read_requirements(file_path, "file_path"))
        if pip_version:
            deps.add_conda_package(f"pip={pip_version}")
        env.python.conda_dependencies = deps
        return env

    def __repr__(self) -> str:
        return (
            f"Environment(name={self.name!r}, base_image={self.docker.base_image!r}, "
            f"user_managed={self.python.user_managed_dependencies})"
        )


def scenario_environment(name: str, scenario: Mapping[str, Any]) -> Environment:
    """An Environment equivalent to one framework scenario (see ``frameworks.framework_scenario``)."""
    env = Environment(name)
    env.docker.base_image = scenario["base_image"]
    env.docker.gpu_support = scenario["processor"] == GPU
    deps = CondaDependencies(
        _underlying_structure={
            "name": "project_environment",
            "dependencies": [*scenario["conda_packages"], {"pip": list(scenario["pip_packages"])}],
            "channels": ["conda-forge"],
        }
    )
    env.python.conda_dependencies = deps
    env.framework_scenario = dict(scenario)
    return env


def _curated_environment(name: str) -> Environment | None:
    # Imported here: frameworks imports the estimator machinery, which imports this module.
    from .frameworks import curated_scenario

    scenario = curated_scenario(name)
    if scenario is None:
        return None
    return scenario_environment(name, scenario)
