"""What the v1 classes need of a workspace, as protocols (the Workspace itself lives in runs/, a higher room).

The v1 room may not import the workspace, and must not guess by attribute names or class names
what it was given; ``isinstance(value, ProfileSource)`` / ``isinstance(value, DataWorkspace)`` is
the one test. ``runs.workspace.Workspace`` provides both (tests/test_hpcest_run.py checks it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from ..cluster.profile import ClusterProfile


@runtime_checkable
class ProfileSource(Protocol):
    """A compute-target lookup: the workspace's cluster profiles."""

    @property
    def profiles(self) -> Mapping[str, ClusterProfile]: ...

    def get_profile(self, name: str) -> ClusterProfile: ...


@runtime_checkable
class DataWorkspace(Protocol):
    """Datastores, dataset files and the registry of datasets and models."""

    @property
    def datastores(self) -> Mapping[str, Any]: ...

    def get_default_datastore(self) -> Any: ...

    def set_default_datastore(self, name: str) -> None: ...

    def datastore_files(self, datastore: Any) -> Any: ...

    def cluster_files(self) -> Any: ...

    @property
    def dataset_registry(self) -> Any: ...
