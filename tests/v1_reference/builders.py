"""Spec -> object builders and the normalised view of v1-shaped objects, shared by both sides.

Each side passes a ``Side``: its classes by v1 name plus a few hooks for what differs by nature
(a v1 AmlCompute object vs hpcest's cluster name; an Azure blob datastore vs a directory on the
cluster). Everything else (``$obj`` resolution, the Environment recipe, reading the resulting
objects) is the same code on both sides, so a difference in the output is a difference in the SDKs.

Duck-typed on purpose: only v1 attribute names are used, which both SDKs expose.
"""

from __future__ import annotations

import copy
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Side:
    """One SDK: ``classes`` maps v1 names to callables; ``hooks`` override building by ``$obj`` name."""

    name: str
    classes: Mapping[str, Callable[..., Any]]
    hooks: Mapping[str, Callable[[dict[str, Any], dict[str, Any]], Any]] = field(default_factory=dict)


# -- resolution ---------------------------------------------------------------------------------


def resolve(value: Any, side: Side, spec: dict[str, Any]) -> Any:
    """Turn spec data into arguments: ``$obj`` -> object, ``$pairs`` -> ordered dict, fresh lists."""
    if isinstance(value, list):
        return [resolve(item, side, spec) for item in value]
    if not isinstance(value, dict):
        return value
    if "$pairs" in value:
        return {resolve(k, side, spec): resolve(v, side, spec) for k, v in value["$pairs"]}
    if "$obj" not in value:
        return {k: resolve(v, side, spec) for k, v in value.items()}
    name = value["$obj"]
    args = {k: v for k, v in value.items() if k != "$obj"}
    if name == "Environment":
        return build_environment(args, side, spec)
    if name == "ContainerRegistry":
        registry = side.classes["ContainerRegistry"]()
        for key, item in args.items():
            setattr(registry, key, item)
        return registry
    args = {k: resolve(v, side, spec) for k, v in args.items()}
    if name in side.hooks:
        return side.hooks[name](args, spec)
    return side.classes[name](**args)


def build_environment(recipe: dict[str, Any], side: Side, spec: dict[str, Any]) -> Any:
    """The small Environment recipe, through the public v1 API only."""
    env = side.classes["Environment"](recipe["name"])
    if recipe.get("base_image"):
        env.docker.base_image = recipe["base_image"]
    conda = recipe.get("conda")
    if conda is not None:
        deps_cls = side.classes["CondaDependencies"]
        if conda["mode"] == "create":
            kwargs: dict[str, Any] = {}
            for key in ("pip_packages", "conda_packages", "python_version", "pip_indexurl"):
                if key in conda:
                    kwargs[key] = copy.deepcopy(conda[key])
            deps = deps_cls.create(**kwargs)
        else:
            deps = deps_cls()
            for channel in conda.get("channels") or []:
                deps.add_channel(channel)
            for package in conda.get("conda_packages") or []:
                deps.add_conda_package(package)
            for package in conda.get("pip_packages") or []:
                deps.add_pip_package(package)
        env.python.conda_dependencies = deps
    if recipe.get("user_managed"):
        env.python.user_managed_dependencies = True
    if recipe.get("docker_enabled") is not None:
        env.docker.enabled = recipe["docker_enabled"]
    if recipe.get("docker_shm_size"):
        env.docker.shm_size = recipe["docker_shm_size"]
    if recipe.get("environment_variables") is not None:
        env.environment_variables = dict(recipe["environment_variables"])
    if recipe.get("registry"):
        env.docker.base_image_registry = resolve(recipe["registry"], side, spec)
    return env


def build(spec: dict[str, Any], side: Side) -> Any:
    """The configuration object for ``spec`` (raises what the constructor raises)."""
    kwargs = resolve(spec["kwargs"], side, spec)
    return side.classes[spec["cls"]](**kwargs)


def error_record(exc: BaseException) -> dict[str, str]:
    message = getattr(exc, "message", None)
    if not isinstance(message, str):
        message = str(exc)
    return {"type": type(exc).__name__, "message": message}


# -- the normalised view ------------------------------------------------------------------------


def token(value: Any) -> Any:
    """An argument as the run's command line shows it (v1 serialises scalars with str())."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value)
    if hasattr(value, "data_reference_name"):
        return str(value)
    return f"<{type(value).__name__}>"


def _name_of(target: Any) -> Any:
    if target is None or isinstance(target, str):
        return target
    return getattr(target, "name", f"<{type(target).__name__}>")


def conda_view(deps: Any) -> dict[str, Any] | None:
    if deps is None:
        return None
    spec = deps.as_dict()
    conda_packages: list[str] = []
    pip: list[str] = []
    for item in spec.get("dependencies") or []:
        if isinstance(item, dict) and "pip" in item:
            pip = [str(p) for p in item["pip"] or []]
        elif isinstance(item, str):
            conda_packages.append(item)
    return {
        "name": spec.get("name"),
        "channels": [str(c) for c in spec.get("channels") or []],
        "conda_packages": conda_packages,
        "pip_packages": [p for p in pip if not p.startswith("-")],
        "pip_options": [p for p in pip if p.startswith("-")],
    }


def _data_references(rc: Any) -> dict[str, Any]:
    out = {}
    for name, ref in (getattr(rc, "data_references", None) or {}).items():
        datastore = getattr(ref, "data_store_name", None)
        if datastore is None and getattr(ref, "datastore", None) is not None:
            datastore = ref.datastore.name
        path = getattr(ref, "path_on_data_store", getattr(ref, "path_on_datastore", None))
        out[str(name)] = {
            "datastore": datastore,
            "path_on_datastore": path,
            "mode": str(getattr(ref, "mode", None)).lower(),
            "path_on_compute": getattr(ref, "path_on_compute", None),
            "overwrite": bool(getattr(ref, "overwrite", False)),
        }
    return out


def view(config: Any, cls: str) -> dict[str, Any]:
    """The v1-visible state of a built configuration, as plain JSON data."""
    rc = config.run_config
    if cls == "ScriptRunConfig":
        # v1 keeps script/arguments/command on the ScriptRunConfig and copies them into the
        # run configuration at submission (get_run_config_from_script_run).
        script, arguments, command = config.script, config.arguments, config.command
    else:
        script, arguments, command = rc.script, rc.arguments, rc.command
    if isinstance(command, (list, tuple)):
        command = [token(c) for c in command]
    env = rc.environment
    docker = rc.docker
    amlcompute = getattr(rc, "amlcompute", None)
    out = {
        "script": script,
        "arguments": [token(a) for a in arguments or []],
        "command": command or None,
        "target": _name_of(rc.target),
        "framework": rc.framework,
        "communicator": rc.communicator,
        "node_count": rc.node_count,
        "mpi": {"process_count_per_node": rc.mpi.process_count_per_node},
        "pytorch": {
            "process_count": rc.pytorch.process_count,
            "node_count": rc.pytorch.node_count,
            "communication_backend": rc.pytorch.communication_backend,
        },
        "tensorflow": {
            "worker_count": rc.tensorflow.worker_count,
            "parameter_server_count": rc.tensorflow.parameter_server_count,
        },
        "docker": None if docker is None else {"use_docker": docker.use_docker, "shm_size": docker.shm_size},
        # v1 estimators store None when no variables are given; an empty mapping means the same.
        "environment_variables": dict(rc.environment_variables or {}),
        "environment": {
            "environment_variables": dict(env.environment_variables or {}),
            "base_image": env.docker.base_image,
            "registry_address": getattr(env.docker.base_image_registry, "address", None),
            "user_managed_dependencies": bool(env.python.user_managed_dependencies),
            "interpreter_path": env.python.interpreter_path,
            "conda": conda_view(env.python.conda_dependencies),
        },
        "max_run_duration_seconds": rc.max_run_duration_seconds,
        "data_references": _data_references(rc),
        "data": {str(k): str(getattr(v, "mode", None)) for k, v in (getattr(rc, "data", None) or {}).items()},
        "amlcompute": {
            "vm_size": getattr(amlcompute, "vm_size", None),
            "vm_priority": getattr(amlcompute, "vm_priority", None),
        },
    }
    if hasattr(config, "framework_version"):
        out["framework_version"] = config.framework_version
    return out


def command_tokens(command: Any) -> list[str]:
    """A v1 ``command`` as argv: a string is shell-split; a list's first item is split, the rest kept."""
    if isinstance(command, str):
        return shlex.split(command)
    items = list(command)
    return [*shlex.split(str(items[0])), *(str(i) for i in items[1:])] if items else []
