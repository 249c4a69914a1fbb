"""Registered datasets: v1's rules for ``register`` / ``get_by_name``, over the workspace's registry.

The registry itself (versions, ids, storage) is the workspace's (``runs/registry.py``); this module
decides what v1 decided: a name already taken needs ``create_new_version=True`` (registering the
same definition again then returns the existing version), ``version`` is a number or ``"latest"``,
and an unknown name is a ``UserErrorException`` naming the registered ones.
"""

from __future__ import annotations

from typing import Any

from ..errors import UserErrorException
from .data import FileDataset, TabularDataset
from .workspace_protocol import DataWorkspace


def _registry(workspace: Any, call: str) -> Any:
    if not isinstance(workspace, DataWorkspace):
        raise UserErrorException(
            f"{call} needs a Workspace (Workspace.from_config()), got {type(workspace).__name__}."
        )
    return workspace.dataset_registry()


def _from_record(workspace: Any, record: dict[str, Any]) -> FileDataset:
    definition = record["definition"]
    dataset: FileDataset
    if definition.get("kind") == "tabular":
        dataset = TabularDataset(
            definition["path"],
            workspace,
            separator=definition.get("separator", ","),
            header=bool(definition.get("header", True)),
            encoding=definition.get("encoding", "utf8"),
        )
    else:
        dataset = FileDataset(definition["path"], workspace)
    dataset.name = record["name"]
    dataset.version = record["version"]
    dataset.id = record["id"]
    dataset.description = record.get("description")
    dataset.tags = dict(record.get("tags") or {})
    return dataset


def register(
    dataset: FileDataset,
    workspace: Any,
    name: str,
    description: str | None,
    tags: dict[str, Any] | None,
    create_new_version: bool,
) -> FileDataset:
    if not isinstance(name, str) or not name.strip():
        raise UserErrorException(f"dataset name must be a non-empty string, got {name!r}")
    registry = _registry(workspace, "dataset.register(workspace, name)")
    latest = registry.get_dataset(name, None)
    definition = dataset._definition()
    if latest is not None and not create_new_version:
        raise UserErrorException(
            f'There is already a dataset registered under name "{name}". Specify `create_new_version=True` '
            "to register the dataset as a new version. Use `update`, `add_tags`, or `remove_tags` to change only "
            "the description or tags."
        )
    if latest is not None and latest["definition"] == definition:
        # v1's service kept one version per definition: registering it again returns that version.
        return _from_record(workspace, latest)
    record = registry.add_dataset(name, definition, description=description, tags=dict(tags or {}))
    return _from_record(workspace, record)


def _version(version: Any) -> int | None:
    if version is None or version == "latest":
        return None
    try:
        return int(version)
    except (TypeError, ValueError):
        raise UserErrorException(
            f'Invalid value {version} for version. Version value must be number or "latest".'
        ) from None


def get_by_name(workspace: Any, name: str, version: Any = "latest") -> FileDataset:
    registry = _registry(workspace, "Dataset.get_by_name(workspace, name)")
    number = _version(version)
    record = registry.get_dataset(name, number)
    if record is None:
        known = ", ".join(registry.dataset_names()) or "none yet"
        which = "" if number is None else f" (version: {number})"
        raise UserErrorException(
            f'Cannot find dataset registered with name "{name}"{which} in the workspace (registered: {known}); '
            "register it first: dataset.register(workspace=ws, name=...)"
        )
    return _from_record(workspace, record)


def get_by_id(workspace: Any, id: str) -> FileDataset:
    record = _registry(workspace, "Dataset.get_by_id(workspace, id)").get_dataset_by_id(id)
    if record is None:
        raise UserErrorException(f'Cannot find dataset with id "{id}" in the workspace.')
    return _from_record(workspace, record)


def get_all(workspace: Any) -> dict[str, FileDataset]:
    """The latest version of every registered dataset, by name."""
    registry = _registry(workspace, "Dataset.get_all(workspace)")
    return {name: _from_record(workspace, registry.get_dataset(name, None)) for name in registry.dataset_names()}
