"""Compute targets: where a run goes.

In Azure ML v1 a compute target was a cloud resource object. Here it names a Slurm cluster
profile (or ``"local"`` for this machine). ``ComputeTarget(None, name)`` is a plain value; given a
workspace, ``ComputeTarget(workspace, name)`` looks the profile up as v1 looked the Azure resource
up, and returns an ``AmlCompute`` (``v1/amlcompute.py``), or raises ``ComputeTargetException`` when
the workspace has no such profile. Nothing here does I/O: the profiles are the workspace's.

``HPCEST_TARGET`` (set by ``hpcest run --target NAME``) sends every run to the profile NAME,
whatever compute target the code names: the same notebook runs on a cluster or on this machine.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..errors import UserErrorException
from .workspace_protocol import ProfileSource

if TYPE_CHECKING:
    from ..cluster.profile import ClusterProfile

LOCAL_TARGET = "local"
TARGET_ENV = "HPCEST_TARGET"
# The names v1's ComputeTarget.create refused (exactly these, case-sensitive).
RESERVED_NAMES = ("amlcompute", "local", "containerinstance")


def target_override() -> str | None:
    """The profile every run goes to (``$HPCEST_TARGET``), or None."""
    value = os.environ.get(TARGET_ENV, "").strip()
    return value or None


def is_workspace(value: Any) -> bool:
    """True for a workspace that holds cluster profiles (see ``ProfileSource``)."""
    return isinstance(value, ProfileSource)


class ComputeTarget:
    """A named compute target in a workspace: ``ComputeTarget(workspace, name)`` as in v1.

    ``name`` is a cluster profile name (or ``"local"``). With a workspace the profile is looked up
    and an ``AmlCompute`` comes back (v1 returned the subclass of the target's type); with
    ``None`` the object is just the name.
    """

    def __new__(cls, workspace: Any = None, name: Any = None, *args: Any, **kwargs: Any) -> Any:
        if cls is ComputeTarget and is_workspace(workspace):
            from .amlcompute import AmlCompute

            return super().__new__(AmlCompute)
        return super().__new__(cls)

    def __init__(self, workspace: Any, name: str) -> None:
        if not isinstance(name, str) or not name.strip():
            raise UserErrorException(
                f"ComputeTarget name must be a non-empty string (a cluster profile name or 'local'), got {name!r}."
            )
        self.workspace = workspace
        self.name = name

    def __repr__(self) -> str:
        return f"ComputeTarget(name={self.name!r})"

    # -- v1's provisioning calls: a Slurm cluster exists already, so they check and report --------

    @staticmethod
    def create(workspace: Any, name: str, provisioning_configuration: Any) -> Any:
        """v1 provisioned a cluster; here the cluster profile must exist, and that one is returned.

        As in v1 a reserved name (``amlcompute``, ``local``, ``containerinstance``) is refused
        first, before the configuration is looked at.
        """
        from .amlcompute import AmlCompute

        if name in RESERVED_NAMES:
            raise UserErrorException(f"Please specify a different target name. {name} is a reserved name.")

        return AmlCompute._created(workspace, name, provisioning_configuration)

    @staticmethod
    def list(workspace: Any) -> list[Any]:
        """The workspace's cluster profiles as compute targets (v1 listed its clusters; "local" is none)."""
        from .amlcompute import AmlCompute

        return [AmlCompute(workspace, name) for name in sorted(workspace.profiles) if name != LOCAL_TARGET]

    @staticmethod
    def attach(workspace: Any, name: str, attach_configuration: Any) -> Any:
        from .exceptions import AzureOnlyError

        raise AzureOnlyError(
            "ComputeTarget.attach(...)",
            "attaching an Azure resource (a VM, Databricks, HDInsight ...) as a compute target",
            f"describe the machine as a cluster profile: `hpcest cluster add {name} --host LOGIN_NODE`",
        )

    def wait_for_completion(self, show_output: bool = False, is_delete_operation: bool = False) -> None:
        if show_output:
            print(f"{self.name}: Succeeded (a cluster profile needs no provisioning)", flush=True)

    def refresh_state(self) -> None:
        """Nothing to refresh: the profile is read from hpcest.toml."""

    def delete(self) -> None:
        # Notebooks end by deleting their cluster to save money; on Slurm there is nothing to free.
        print(f"{self.name}: nothing to delete on Slurm (the cluster profile stays in hpcest.toml)", flush=True)

    def detach(self) -> None:
        print(f"{self.name}: nothing to detach on Slurm (the cluster profile stays in hpcest.toml)", flush=True)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ComputeTarget):
            return NotImplemented
        return self.name == other.name and self.workspace is other.workspace

    def __hash__(self) -> int:
        return hash(self.name)


def is_target(value: Any) -> bool:
    """True when ``value`` can name a target: a non-empty string or an object with a str ``name``."""
    if isinstance(value, str):
        return bool(value.strip())
    return isinstance(getattr(value, "name", None), str) and bool(value.name.strip())


def as_target_name(target: Any) -> str:
    """The profile name a target stands for: the string itself, or the object's ``.name``."""
    if isinstance(target, str) and target.strip():
        return target
    name = getattr(target, "name", None)
    if isinstance(name, str) and name.strip():
        return name
    raise UserErrorException(
        f"compute_target must be a cluster profile name (str), 'local', or a ComputeTarget; "
        f"got {target!r}. Pass compute_target='<profile name>' or ComputeTarget(workspace, '<name>')."
    )


def check_target_exists(workspace: ProfileSource, name: str) -> ClusterProfile:
    """The cluster profile ``name`` stands for in ``workspace`` (the override's, when one is set).

    A missing profile is v1's ``ComputeTargetException`` (what ``try: ComputeTarget(ws, name)
    except ComputeTargetException: create(...)`` expects), naming both fixes.
    """
    from ..errors import ComputeTargetException

    override = target_override()
    wanted = override or name
    if wanted not in workspace.profiles:
        known = ", ".join(sorted(workspace.profiles))
        via = f" ({TARGET_ENV}={override}, hpcest run --target)" if override else ""
        raise ComputeTargetException(
            f"ComputeTargetNotFound: Compute Target with name {wanted}{via} not found in provided workspace: "
            f"there is no cluster profile {wanted!r} (known: {known}). Add it with "
            f"`hpcest cluster add {wanted} --host LOGIN_NODE` (or a [clusters.{wanted}] table in hpcest.toml), "
            f"or run the notebook with `hpcest run --target NAME` to send its runs to profile NAME."
        )
    return workspace.get_profile(wanted)
