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
import math
import re
import string
from collections.abc import Iterator, Mapping
from typing import Any

from ..cluster.profile import ClusterProfile
from ..errors import ComputeTargetException, UserErrorException
from .compute import LOCAL_TARGET, ComputeTarget, check_target_exists, is_workspace, target_override

AMLCOMPUTE_TYPE = "AmlCompute"


class ScaleSettings:
    """A cluster's node counts and idle time (v1 name; ``config.scale_settings``)."""

    def __init__(self, minimum_node_count: Any, maximum_node_count: Any, idle_seconds_before_scaledown: Any) -> None:
        self.minimum_node_count = minimum_node_count
        self.maximum_node_count = maximum_node_count
        self.idle_seconds_before_scaledown = idle_seconds_before_scaledown

    def serialize(self) -> dict[str, Any]:
        duration = ""
        if self.idle_seconds_before_scaledown:
            duration = _seconds_to_duration(self.idle_seconds_before_scaledown)
        return {"minNodeCount": self.minimum_node_count, "maxNodeCount": self.maximum_node_count,
                "nodeIdleTimeBeforeScaleDown": duration}

    @staticmethod
    def deserialize(object_dict: Any) -> ScaleSettings | None:
        if not object_dict:
            return None
        for key in ["minNodeCount", "maxNodeCount", "nodeIdleTimeBeforeScaleDown"]:
            if key not in object_dict:
                raise ComputeTargetException(f'Invalid scale settings payload, missing "{key}":\n{object_dict}')
        return ScaleSettings(object_dict["minNodeCount"], object_dict["maxNodeCount"],
                             _duration_to_seconds(object_dict["nodeIdleTimeBeforeScaleDown"]))


def _seconds_to_duration(seconds: Any) -> str:
    """v1's ISO-8601 idle time: ``PT<seconds>S``."""
    try:
        value = int(seconds)
    except Exception:
        raise UserErrorException("Invalid input, provide an integer duration in seconds") from None
    if value < 0:
        raise UserErrorException("Invalid input, provide duration in seconds")
    return f"PT{value}S"


_DURATION = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?")


def _duration_to_seconds(text: Any) -> Any:
    if not text or text.isspace():
        return text
    match = _DURATION.fullmatch(text)
    if match is None or not any(match.groups()):
        raise UserErrorException("Invalid input, provide ISO-8601 formatted duration string")
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return math.floor(((days * 24 + hours) * 60 + minutes) * 60 + seconds)


# The characters v1 counts as special in an admin password.
_PASSWORD_SPECIALS = set("`~!@#$%^&*()=+_[]{}|;:./'\",<>?")


class AmlComputeProvisioningConfiguration:
    """What v1 would have provisioned; kept so the notebook can read it back.

    The attributes are v1's: ``location`` (always None here, as in v1), ``compute_location`` (the
    ``location=`` given to ``provisioning_configuration``) and the node counts in ``scale_settings``.
    The constructor runs ``validate_configuration`` (v1's rules, messages and exception type).
    """

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
        self._compute_type = AmlCompute
        self.location: str | None = None
        self.vm_size = vm_size
        self.vm_priority = vm_priority
        self.scale_settings = ScaleSettings(min_nodes or 0, max_nodes, idle_seconds_before_scaledown)
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
        self.compute_location = compute_location
        self.enable_node_public_ip = enable_node_public_ip
        self.validate_configuration()

    def validate_configuration(self) -> None:
        """v1's client-side checks, in v1's order and words (``ComputeTargetException``).

        ``vm_priority`` is not checked here (v1 left it to the service): ``ComputeTarget.create``
        refuses a value other than dedicated/lowpriority.
        """
        if any([self.admin_username, self.admin_user_password, self.admin_user_ssh_key]) and not self.admin_username:
            raise ComputeTargetException("Invalid user credentials, admin username must be provided along "
                                         "with either a password or SSH key information.")
        if self.admin_username:
            if not self.admin_user_password and not self.admin_user_ssh_key:
                raise ComputeTargetException("Invalid user credentials, no password or key information provided. "
                                             "Please provide either a password or SSH key information.")
            elif self.admin_user_password and not self._is_valid_password():
                raise ComputeTargetException("Invalid admin user password provided. The admin user password must "
                                             "have 3 of the following: 1 lowercase character, 1 uppercase "
                                             "character, 1 number, and 1 special character "
                                             "`~!@#$%^&*()=+_[]{}|;:./'\",<>?")
        vnet = [self.vnet_name, self.vnet_resourcegroup_name, self.subnet_name]
        if any(vnet) and not all(vnet):
            raise ComputeTargetException("Invalid configuration, not all virtual net information provided. "
                                         "To use a custom virtual net, please provide vnet name, vnet resource "
                                         "group and subnet name")
        scale = self.scale_settings
        if scale.maximum_node_count is None:
            raise ComputeTargetException("Invalid provisioning configuration, max nodes count is mandatory")
        elif scale.maximum_node_count < 0:
            raise ComputeTargetException("Invalid provisioning configuration, max nodes count must be greater "
                                         "than or equal to 0")
        elif scale.maximum_node_count < scale.minimum_node_count:
            raise ComputeTargetException("Invalid provisioning configuration, max nodes count must be greater than "
                                         "or equal to min nodes count")
        if self.identity_type:
            AmlCompute._validate_identity(self.identity_type, self.identity_id)
        elif self.identity_id:
            raise ComputeTargetException("Invalid configuration, identity_id cannot be set when "
                                         "identity type is not user assigned.")

    def _is_valid_password(self) -> bool:
        """v1's password policy: three of lowercase, uppercase, digit, special character."""
        if self.admin_user_password is None:
            return False
        chars = set(self.admin_user_password)
        classes = [set(string.ascii_lowercase), set(string.ascii_uppercase), set(string.digits), _PASSWORD_SPECIALS]
        return sum(1 for c in classes if chars & c) >= 3


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
        # v1 sent vm_priority to the service (none: its default), which refused an unknown one when
        # creating the cluster; nothing is created or queued with it here either.
        priority = provisioning_configuration.vm_priority
        if priority and str(priority).lower() not in ("dedicated", "lowpriority"):
            raise ComputeTargetException(
                f"ComputeTarget.create(workspace, {name!r}, provisioning_configuration): vm_priority must be "
                f"'dedicated' or 'lowpriority', got {provisioning_configuration.vm_priority!r}"
            )
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
        return config

    @staticmethod
    def _validate_identity(identity_type: Any, identity_id: Any) -> None:
        """v1's identity rules (the identity itself has no meaning on Slurm)."""
        if identity_type not in ["UserAssigned", "SystemAssigned"]:
            raise ComputeTargetException("Invalid configuration, identity_type must be set to "
                                         "'UserAssigned' or 'SystemAssigned'.")
        elif identity_type == "UserAssigned" and (type(identity_id) is not builtins.list or not identity_id):
            raise ComputeTargetException("Invalid configuration, please pass the identity_id of the user assigned "
                                         "identity as a list (eg. ['resource_ID1','resourceID2',...])")
        elif identity_type != "UserAssigned" and identity_id:
            raise ComputeTargetException("Invalid configuration, identity_id cannot be set when "
                                         "identity type is not user assigned.")

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
