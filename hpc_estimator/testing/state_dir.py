"""Creating and removing state directories for throw-away local clusters."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def new_state_dir(prefix: str = "hpcest-cluster-") -> Path:
    """A fresh, empty directory for one cluster.

    Directly under the system temp dir (world-traversable), not under pytest's 0700 basetemp: jobs of
    non-root users must reach the munge socket, and unix socket paths must stay short.
    """
    return Path(tempfile.mkdtemp(prefix=prefix))


def remove_state_dir(path: Path) -> None:
    """Delete a stopped cluster's directory, unless HPCEST_KEEP_CLUSTER_DIR=1 asks to keep its logs."""
    if os.environ.get("HPCEST_KEEP_CLUSTER_DIR") == "1":
        return
    shutil.rmtree(path, ignore_errors=True)
