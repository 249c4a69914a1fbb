"""What the v1 classes need of a workspace, as protocols (the Workspace itself lives in runs/, a higher room).

The v1 room may not import the workspace, and must not guess by attribute names or class names
what it was given; ``isinstance(value, ProfileSource)`` / ``isinstance(value, DataWorkspace)`` is
the one test. ``runs.workspace.Workspace`` provides both (tests/test_hpcest_run.py checks it).

``DataWorkspace`` has methods only: for such a protocol ``isinstance`` looks at the class, while a
property member would be evaluated on the instance (Python 3.10/3.11 call ``hasattr``), and the
workspace's properties may open the registry or connect to the cluster. The v1 property
``ws.datastores`` is therefore not a member, though ``Datastore(ws, name)`` reads it.
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
    """Datastores, dataset files and the registry of datasets and models (methods only, see above)."""

    def get_default_datastore(self) -> Any: ...

    def set_default_datastore(self, name: str) -> None: ...

    def datastore_files(self, datastore: Any) -> Any: ...

    def cluster_files(self) -> Any: ...

    def dataset_registry(self) -> Any: ...
