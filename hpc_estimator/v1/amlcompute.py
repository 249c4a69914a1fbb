"""``AmlCompute``: v1's managed cluster, standing for a Slurm cluster profile of the workspace.

A 2020 notebook looks its cluster up, creates it when missing and waits for it::

    try:
        cluster = ComputeTarget(workspace=ws, name="gpu-cluster")
    except ComputeTargetException:
        config = AmlCompute.provisioning_configuration(vm_size="STANDARD_NC6", max_nodes=4)
        cluster = ComputeTarget.create(ws, "gpu-cluster", config)
    cluster.wait_for_completion(show_output=True)

On Slurm the cluster already exists: the lookup finds the profile of that name (or the
``hpcest run --target`` profile), creation checks that the profile exists and returns it, and the
waits return at once. Nothing is provisioned, so nothing is left half-done. No I/O here.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping
from typing import Any

from ..cluster.profile import ClusterProfile
from ..errors import ComputeTargetException
from .compute import LOCAL_TARGET, ComputeTarget, check_target_exists, is_workspace, target_override

AMLCOMPUTE_TYPE = "AmlCompute"


class AmlComputeProvisioningConfiguration:
    """What v1 would have provisioned; kept so the notebook can read it back, and compared with the profile."""

    def __init__(
        self,
        vm_size: str = "",
        vm_priority: str = "dedicated",
        min_nodes: int = 0,
        max_nodes: int | None = None,
        idle_seconds_before_scaledown: int | None = 1800,
        admin_username: str | None = None,
        admin_user_password: str | None = None,
        admin_user_ssh_key: str | None = None,
        vnet_resourcegroup_name: str | None = None,
        vnet_name: str | None = None,
        subnet_name: str | None = None,
        tags: dict[str, str] | None = None,
        description: str | None = None,
        remote_login_port_public_access: str = "NotSpecified",
        identity_type: str | None = None,
        identity_id: builtins.list[str] | None = None,
        compute_location: str | None = None,
        enable_node_public_ip: bool = True,
    ) -> None:
        self.type = AmlCompute
        self.vm_size = vm_size
        self.vm_priority = vm_priority
        self.min_nodes = min_nodes
        self.max_nodes = max_nodes
        self.idle_seconds_before_scaledown = idle_seconds_before_scaledown
        self.admin_username = admin_username
        self.admin_user_password = admin_user_password
        self.admin_user_ssh_key = admin_user_ssh_key
        self.vnet_resourcegroup_name = vnet_resourcegroup_name
        self.vnet_name = vnet_name
        self.subnet_name = subnet_name
        self.tags = tags
        self.description = description
        self.remote_login_port_public_access = remote_login_port_public_access
        self.identity_type = identity_type
        self.identity_id = identity_id
        self.location = compute_location
        self.enable_node_public_ip = enable_node_public_ip

    def validate_configuration(self) -> None:
        """v1's client-side checks that still mean something: node counts."""
        if self.max_nodes is not None and self.max_nodes < 1:
            raise ComputeTargetException(f"max_nodes must be a positive integer, got {self.max_nodes!r}")
        if self.max_nodes is not None and self.min_nodes > self.max_nodes:
            raise ComputeTargetException(
                f"min_nodes ({self.min_nodes}) must not exceed max_nodes ({self.max_nodes})"
            )
        if self.vm_priority not in ("dedicated", "lowpriority"):
            raise ComputeTargetException(
                f"vm_priority must be 'dedicated' or 'lowpriority', got {self.vm_priority!r}"
            )


class AmlComputeStatus:
    """What ``get_status()`` answers: a cluster profile is always ready (``.serialize()`` as v1)."""

    def __init__(self, name: str, profile: ClusterProfile | None) -> None:
        self.provisioning_state = "Succeeded"
        self.allocation_state = "Steady"
        self.current_node_count = 0
        self.target_node_count = 0
        self.vm_size = None
        self.vm_priority = "Dedicated"
        self.errors = None
        self._name = name
        self._profile = profile

    def serialize(self) -> dict[str, Any]:
        profile = self._profile
        return {
            "allocationState": self.allocation_state,
            "currentNodeCount": self.current_node_count,
            "errors": self.errors,
            "provisioningState": self.provisioning_state,
            "targetNodeCount": self.target_node_count,
            "vmPriority": self.vm_priority,
            "vmSize": self.vm_size,
            "hpcest": {
                "profile": profile.name if profile else self._name,
                "transport": profile.transport if profile else None,
                "host": profile.host if profile else None,
                "partition": profile.partition if profile else None,
            },
        }


class AmlCompute(ComputeTarget):
    """A Slurm cluster profile, as the AmlCompute cluster v1 code looks up, creates and waits for."""

    def __init__(self, workspace: Any, name: str) -> None:
        super().__init__(workspace, name)
        self.type = AMLCOMPUTE_TYPE
        self.provisioning_state = "Succeeded"
        self.location: str | None = None
        self.tags: dict[str, str] | None = None
        self.vm_size: str | None = None
        # Without a workspace only the name is known (as v1's ComputeTarget(None, name)).
        self.profile: ClusterProfile | None = (
            check_target_exists(workspace, name) if is_workspace(workspace) else None
        )

    @classmethod
    def _created(cls, workspace: Any, name: str, provisioning_configuration: Any) -> AmlCompute:
        if not isinstance(provisioning_configuration, AmlComputeProvisioningConfiguration):
            raise ComputeTargetException(
                f"ComputeTarget.create(workspace, {name!r}, provisioning_configuration): the configuration must come "
                f"from AmlCompute.provisioning_configuration(...), got {type(provisioning_configuration).__name__}"
            )
        provisioning_configuration.validate_configuration()
        target = cls(workspace, name)
        target.vm_size = provisioning_configuration.vm_size or None
        return target

    @staticmethod
    def provisioning_configuration(
        vm_size: str = "",
        vm_priority: str = "dedicated",
        min_nodes: int = 0,
        max_nodes: int | None = None,
        idle_seconds_before_scaledown: int = 1800,
        admin_username: str | None = None,
        admin_user_password: str | None = None,
        admin_user_ssh_key: str | None = None,
        vnet_resourcegroup_name: str | None = None,
        vnet_name: str | None = None,
        subnet_name: str | None = None,
        tags: dict[str, str] | None = None,
        description: str | None = None,
        remote_login_port_public_access: str = "NotSpecified",
        identity_type: str | None = None,
        identity_id: builtins.list[str] | None = None,
        location: str | None = None,
        enable_node_public_ip: bool = True,
    ) -> AmlComputeProvisioningConfiguration:
        config = AmlComputeProvisioningConfiguration(
            vm_size=vm_size,
            vm_priority=vm_priority,
            min_nodes=min_nodes,
            max_nodes=max_nodes,
            idle_seconds_before_scaledown=idle_seconds_before_scaledown,
            admin_username=admin_username,
            admin_user_password=admin_user_password,
            admin_user_ssh_key=admin_user_ssh_key,
            vnet_resourcegroup_name=vnet_resourcegroup_name,
            vnet_name=vnet_name,
            subnet_name=subnet_name,
            tags=tags,
            description=description,
            remote_login_port_public_access=remote_login_port_public_access,
            identity_type=identity_type,
            identity_id=identity_id,
            compute_location=location,
            enable_node_public_ip=enable_node_public_ip,
        )
        config.validate_configuration()
        return config

    @staticmethod
    def supported_vmsizes(workspace: Any, location: str | None = None) -> builtins.list[dict[str, Any]]:
        """The vm_size names the profiles define (what a v1 ``vm_size`` can mean here)."""
        sizes: builtins.list[dict[str, Any]] = []
        for profile in workspace.profiles.values():
            for size, spec in sorted(profile.vm_sizes.items()):
                sizes.append({"name": size, "gpus": spec.gpus, "vCPUs": spec.cpus, "profile": profile.name})
        return sizes

    # v1's AmlCompute.wait_for_completion has more parameters than ComputeTarget's (as here).
    def wait_for_completion(  # type: ignore[override]
        self,
        show_output: bool = False,
        min_node_count: int | None = None,
        timeout_in_minutes: int = 25,
        is_delete_operation: bool = False,
    ) -> None:
        if show_output:
            where = self._where()
            print(f"{self.name}: Succeeded{where} (a Slurm cluster profile needs no provisioning)", flush=True)

    def get_status(self) -> AmlComputeStatus:
        return AmlComputeStatus(self.name, self.profile)

    def get(self) -> dict[str, Any]:
        status = self.get_status().serialize()
        return {"name": self.name, "properties": {"computeType": AMLCOMPUTE_TYPE, "status": status}}

    def list_nodes(self) -> builtins.list[dict[str, Any]]:
        """Slurm allocates nodes per job: no node belongs to the target between runs."""
        return []

    def update(
        self,
        min_nodes: int | None = None,
        max_nodes: int | None = None,
        idle_seconds_before_scaledown: int | None = None,
    ) -> None:
        print(f"{self.name}: node counts are set per job on Slurm (node_count=...); nothing to update", flush=True)

    def _where(self) -> str:
        profile = self.profile
        if profile is None:
            return ""
        via = " (hpcest run --target)" if target_override() else ""
        if profile.name == LOCAL_TARGET:
            return f", runs on this machine{via}"
        host = f" on {profile.host}" if profile.host else ""
        return f", cluster profile {profile.name!r}{host}{via}"

    def __repr__(self) -> str:
        profile = self.profile.name if self.profile else None
        return (f"AmlCompute(name={self.name!r}, type={AMLCOMPUTE_TYPE!r}, provisioning_state='Succeeded', "
                f"profile={profile!r})")


class ComputeTargets(Mapping[str, AmlCompute]):
    """``ws.compute_targets``: the profiles as AmlCompute objects (v1 listed its clusters; "local" is none).

    With ``hpcest run --target NAME`` every name the notebook asks for is present and means NAME,
    so ``if name in ws.compute_targets`` takes the branch that uses the cluster.
    """

    def __init__(self, workspace: Any) -> None:
        self._workspace = workspace

    def _names(self) -> builtins.list[str]:
        return sorted(n for n in self._workspace.profiles if n != LOCAL_TARGET)

    def __getitem__(self, name: str) -> AmlCompute:
        if not isinstance(name, str) or (name not in self._workspace.profiles and target_override() is None):
            raise KeyError(name)
        return AmlCompute(self._workspace, name)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        return target_override() is not None or name in self._workspace.profiles

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())
