"""``azureml.core.Workspace`` inside ``hpcest run``: every way v1 named an Azure workspace finds the hpcest one.

``Workspace.from_config()``, ``Workspace(subscription_id, resource_group, workspace_name)``,
``Workspace.get(name, ...)`` and ``Workspace.create(..., exist_ok=True)`` all load the
``hpcest.toml`` workspace that ``runs.workspace.Workspace.from_config()`` finds (``$HPCEST_WORKSPACE``
or the current directory and its parents). A ``config.json`` (v1's pointer to the Azure
workspace) is accepted and ignored, with one line saying so. The rest of the workspace is the
runs' Workspace, plus ``compute_targets`` as v1 AmlCompute objects.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ..runs.workspace import Workspace as _Workspace
from ..v1.amlcompute import ComputeTargets
from ..v1.exceptions import AzureOnlyError

AZURE_CONFIG = "config.json"
_NOTED: set[str] = set()


def _note(message: str) -> None:
    """One line on stderr, once per message in the process (notebooks call from_config in every cell)."""
    if message not in _NOTED:
        _NOTED.add(message)
        print(f"hpcest run: {message}", file=sys.stderr, flush=True)


def _azure_config(start: Path) -> Path | None:
    """v1's config.json (or .azureml/config.json) in ``start`` or a parent, if any."""
    if start.is_file():
        return start if start.suffix == ".json" else None
    for directory in (start, *start.parents):
        for candidate in (directory / AZURE_CONFIG, directory / ".azureml" / AZURE_CONFIG):
            if candidate.is_file():
                return candidate
    return None


def _azure_name(config: Path) -> str:
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
        return str(data.get("workspace_name") or data.get("workspaceName") or "?")
    except (OSError, ValueError, AttributeError):
        return "?"


def _load_into(ws: Workspace, path: str | Path | None, named: str | None) -> None:
    """Make ``ws`` the hpcest workspace (its hpcest.toml read once), noting what Azure workspace the
    code asked for."""
    start = Path(path).expanduser() if path is not None else Path.cwd()
    config = _azure_config(start.resolve()) if start.exists() else None
    if path is not None and (config is not None or not start.exists()):
        # v1's path pointed at config.json; hpcest.toml is found from the current directory.
        path = None
    _Workspace.__init__(ws, _Workspace._find_config_file(path))
    if config is not None:
        _note(f"{config} (Azure workspace {_azure_name(config)!r}) accepted and ignored; "
              f"using the hpcest workspace {ws.name!r} at {ws.path}")
    elif named is not None:
        _note(f"{named} stands for the hpcest workspace {ws.name!r} at {ws.path}")


def _load(path: str | Path | None, named: str | None) -> Workspace:
    ws = Workspace.__new__(Workspace)
    _load_into(ws, path, named)
    return ws


class Workspace(_Workspace):
    """v1's Workspace signature over the hpcest workspace (see the module docstring)."""

    def __init__(
        self,
        subscription_id: str,
        resource_group: str,
        workspace_name: str,
        auth: Any = None,
        _location: str | None = None,
        _disable_service_check: bool = False,
        _workspace_id: str | None = None,
        sku: str = "basic",
        tags: dict[str, str] | None = None,
        _cloud: str = "AzureCloud",
    ) -> None:
        _load_into(self, None, f"Workspace({subscription_id!r}, {resource_group!r}, {workspace_name!r})")

    @staticmethod
    def from_config(
        path: str | Path | None = None, auth: Any = None, _logger: Any = None, _file_name: str | None = None
    ) -> Workspace:
        """The hpcest workspace; a v1 ``config.json`` on the way is accepted and ignored (one line says so)."""
        return _load(path, None)

    @staticmethod
    def get(
        name: str,
        auth: Any = None,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        location: str | None = None,
        cloud: str = "AzureCloud",
        id: str | None = None,
    ) -> Workspace:
        return _load(None, f"Workspace.get({name!r})")

    @staticmethod  # v1's create(name, ...) is a staticmethod with another signature than hpcest's create(path)
    def create(  # type: ignore[override]
        name: str, auth: Any = None, subscription_id: str | None = None, *args: Any, **kwargs: Any) -> Workspace:
        """v1 created an Azure workspace; here the hpcest workspace must exist (``hpcest init``) and is returned."""
        return _load(None, f"Workspace.create({name!r})")

    @staticmethod
    def list(subscription_id: str, auth: Any = None, resource_group: str | None = None) -> dict[str, list[Workspace]]:
        ws = _load(None, "Workspace.list(...)")
        return {ws.name: [ws]}

    @property
    def compute_targets(self) -> ComputeTargets:  # type: ignore[override]
        """The cluster profiles as v1 AmlCompute objects (with ``--target``, any name means that profile)."""
        return ComputeTargets(self)

    @property
    def subscription_id(self) -> str:
        return "hpcest"

    @property
    def resource_group(self) -> str:
        return "hpcest"

    @property
    def location(self) -> str:
        return str(self.path)

    def get_details(self) -> dict[str, Any]:
        return {"name": self.name, "path": str(self.path), "config_file": str(self.config_file),
                "default_target": self.default_target, "clusters": sorted(self.profiles)}

    def write_config(self, path: str | None = None, file_name: str | None = None) -> None:
        _note(f"ws.write_config(): nothing written; the workspace is {self.config_file}")

    def get_default_keyvault(self) -> Any:
        raise AzureOnlyError(
            "ws.get_default_keyvault()", "the workspace's Azure Key Vault",
            "read secrets from a file only you can read on the cluster, or from the job's environment variables",
        )

    def delete(self, delete_dependent_resources: bool = False, no_wait: bool = False) -> None:
        raise AzureOnlyError(
            "ws.delete()", "deleting the Azure workspace and its resources",
            f"nothing to do on the cluster; the hpcest workspace is the directory {self.path}",
        )

    def __repr__(self) -> str:
        return f"Workspace.create(name='{self.name}', path='{self.path}')"
