"""``AmlCompute.provisioning_configuration`` rules as small cases run by both SDKs.

Same scheme as ``pipeline_cases``: each ``case(lib, facts)`` builds objects through ``lib`` (one side's
``AmlCompute`` and ``AmlComputeProvisioningConfiguration``) and writes what it observes into ``facts``;
the recorder (``record_compute.py``, run under the real SDK's interpreter) stores the facts and the
exception a case raised; ``tests/test_compute_rules.py`` runs the cases on hpcest and compares.
Everything here is client-side in v1 (the configuration is built and validated offline, and
``ComputeTarget.create`` refuses a reserved name before anything else); what the service would have
done at ``ComputeTarget.create`` cannot be recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Facts = dict[str, Any]
CASES: dict[str, Callable[[Any, Facts], None]] = {}

STRONG_PASSWORD = "Passw0rd"  # lowercase, uppercase, digit: three classes


def case(func: Callable[[Any, Facts], None]) -> Callable[[Any, Facts], None]:
    CASES[func.__name__] = func
    return func


def view(config: Any) -> Facts:
    """Every attribute of a configuration, as plain data (the class of ``_compute_type`` by name)."""
    out: Facts = {}
    for key, value in sorted(vars(config).items()):
        if key == "_compute_type":
            out[key] = value.__name__
        elif key == "scale_settings":
            out[key] = dict(sorted(vars(value).items()))
        else:
            out[key] = value
    out["scale_settings_serialized"] = config.scale_settings.serialize()
    return out


def _config(lib: Any, **kwargs: Any) -> Any:
    return lib.AmlCompute.provisioning_configuration(**kwargs)


# -- node counts ----------------------------------------------------------------------------------


@case
def no_arguments(lib: Any, facts: Facts) -> None:
    _config(lib)


@case
def notebook_call(lib: Any, facts: Facts) -> None:
    facts["config"] = view(_config(lib, vm_size="STANDARD_D2_V2", max_nodes=4))


@case
def notebook_call_with_min_nodes(lib: Any, facts: Facts) -> None:
    facts["config"] = view(_config(lib, vm_size="STANDARD_D2_V2", min_nodes=1, max_nodes=4))


@case
def max_nodes_zero(lib: Any, facts: Facts) -> None:
    facts["config"] = view(_config(lib, max_nodes=0))


@case
def max_nodes_negative(lib: Any, facts: Facts) -> None:
    _config(lib, max_nodes=-1)


@case
def max_nodes_below_min_nodes(lib: Any, facts: Facts) -> None:
    _config(lib, min_nodes=3, max_nodes=2)


@case
def max_nodes_equal_min_nodes(lib: Any, facts: Facts) -> None:
    facts["config"] = view(_config(lib, min_nodes=2, max_nodes=2))


@case
def min_nodes_none(lib: Any, facts: Facts) -> None:
    facts["config"] = view(_config(lib, min_nodes=None, max_nodes=2))


@case
def min_nodes_negative(lib: Any, facts: Facts) -> None:
    facts["config"] = view(_config(lib, min_nodes=-2, max_nodes=2))


@case
def max_nodes_string(lib: Any, facts: Facts) -> None:
    _config(lib, max_nodes="4")


@case
def idle_seconds_none(lib: Any, facts: Facts) -> None:
    facts["config"] = view(_config(lib, max_nodes=2, idle_seconds_before_scaledown=None))


@case
def idle_seconds_given(lib: Any, facts: Facts) -> None:
    facts["config"] = view(_config(lib, max_nodes=2, idle_seconds_before_scaledown=120))


# -- what v1 left to the service ------------------------------------------------------------------


@case
def vm_priority_bogus(lib: Any, facts: Facts) -> None:
    facts["config"] = view(_config(lib, max_nodes=2, vm_priority="bogus"))


@case
def vm_priority_lowpriority(lib: Any, facts: Facts) -> None:
    facts["config"] = view(_config(lib, max_nodes=2, vm_priority="lowpriority"))


@case
def location_given(lib: Any, facts: Facts) -> None:
    facts["config"] = view(_config(lib, max_nodes=2, location="westeurope"))


@case
def everything_given(lib: Any, facts: Facts) -> None:
    facts["config"] = view(_config(
        lib, vm_size="STANDARD_NC6", vm_priority="lowpriority", min_nodes=1, max_nodes=8,
        idle_seconds_before_scaledown=600, admin_username="azureuser", admin_user_ssh_key="ssh-rsa AAAA",
        vnet_resourcegroup_name="rg", vnet_name="vnet", subnet_name="default", tags={"team": "ml"},
        description="gpu cluster", remote_login_port_public_access="Disabled", identity_type="UserAssigned",
        identity_id=["/subscriptions/0/id"], location="eastus", enable_node_public_ip=False,
    ))


# -- admin credentials ----------------------------------------------------------------------------


@case
def admin_password_without_username(lib: Any, facts: Facts) -> None:
    _config(lib, max_nodes=2, admin_user_password=STRONG_PASSWORD)


@case
def admin_ssh_key_without_username(lib: Any, facts: Facts) -> None:
    _config(lib, max_nodes=2, admin_user_ssh_key="ssh-rsa AAAA")


@case
def admin_username_alone(lib: Any, facts: Facts) -> None:
    _config(lib, max_nodes=2, admin_username="azureuser")


@case
def admin_username_with_weak_password(lib: Any, facts: Facts) -> None:
    _config(lib, max_nodes=2, admin_username="azureuser", admin_user_password="password1")


@case
def admin_username_with_special_password(lib: Any, facts: Facts) -> None:
    facts["config"] = view(_config(lib, max_nodes=2, admin_username="azureuser", admin_user_password="pass-word1!"))


@case
def admin_username_with_strong_password(lib: Any, facts: Facts) -> None:
    facts["config"] = view(_config(lib, max_nodes=2, admin_username="azureuser",
                                   admin_user_password=STRONG_PASSWORD))


@case
def admin_username_with_ssh_key(lib: Any, facts: Facts) -> None:
    facts["config"] = view(_config(lib, max_nodes=2, admin_username="azureuser", admin_user_ssh_key="ssh-rsa AAAA"))


@case
def admin_username_with_weak_password_and_ssh_key(lib: Any, facts: Facts) -> None:
    _config(lib, max_nodes=2, admin_username="azureuser", admin_user_password="weak",
            admin_user_ssh_key="ssh-rsa AAAA")


# -- virtual network ------------------------------------------------------------------------------


@case
def vnet_name_only(lib: Any, facts: Facts) -> None:
    _config(lib, max_nodes=2, vnet_name="vnet")


@case
def vnet_without_subnet(lib: Any, facts: Facts) -> None:
    _config(lib, max_nodes=2, vnet_name="vnet", vnet_resourcegroup_name="rg")


@case
def subnet_only(lib: Any, facts: Facts) -> None:
    _config(lib, max_nodes=2, subnet_name="default")


@case
def vnet_complete(lib: Any, facts: Facts) -> None:
    facts["config"] = view(_config(lib, max_nodes=2, vnet_name="vnet", vnet_resourcegroup_name="rg",
                                   subnet_name="default"))


# -- identity -------------------------------------------------------------------------------------


@case
def identity_id_without_type(lib: Any, facts: Facts) -> None:
    _config(lib, max_nodes=2, identity_id=["/subscriptions/0/id"])


@case
def identity_type_bogus(lib: Any, facts: Facts) -> None:
    _config(lib, max_nodes=2, identity_type="Bogus")


@case
def identity_user_assigned_without_id(lib: Any, facts: Facts) -> None:
    _config(lib, max_nodes=2, identity_type="UserAssigned")


@case
def identity_user_assigned_id_not_a_list(lib: Any, facts: Facts) -> None:
    _config(lib, max_nodes=2, identity_type="UserAssigned", identity_id="/subscriptions/0/id")


@case
def identity_user_assigned_empty_list(lib: Any, facts: Facts) -> None:
    _config(lib, max_nodes=2, identity_type="UserAssigned", identity_id=[])


@case
def identity_user_assigned_with_ids(lib: Any, facts: Facts) -> None:
    facts["config"] = view(_config(lib, max_nodes=2, identity_type="UserAssigned",
                                   identity_id=["/subscriptions/0/id"]))


@case
def identity_system_assigned(lib: Any, facts: Facts) -> None:
    facts["config"] = view(_config(lib, max_nodes=2, identity_type="SystemAssigned"))


@case
def identity_system_assigned_with_id(lib: Any, facts: Facts) -> None:
    _config(lib, max_nodes=2, identity_type="SystemAssigned", identity_id=["/subscriptions/0/id"])


# -- which rule v1 checks first -------------------------------------------------------------------


@case
def order_credentials_before_vnet(lib: Any, facts: Facts) -> None:
    _config(lib, admin_user_password=STRONG_PASSWORD, vnet_name="vnet")


@case
def order_vnet_before_node_counts(lib: Any, facts: Facts) -> None:
    _config(lib, vnet_name="vnet")


@case
def order_node_counts_before_identity(lib: Any, facts: Facts) -> None:
    _config(lib, max_nodes=-1, identity_type="Bogus")


# -- the configuration class itself ---------------------------------------------------------------


@case
def constructor_validates(lib: Any, facts: Facts) -> None:
    lib.AmlComputeProvisioningConfiguration(vm_size="STANDARD_D2_V2")


@case
def constructor_defaults(lib: Any, facts: Facts) -> None:
    facts["config"] = view(lib.AmlComputeProvisioningConfiguration(max_nodes=1))


@case
def constructor_compute_location(lib: Any, facts: Facts) -> None:
    facts["config"] = view(lib.AmlComputeProvisioningConfiguration(max_nodes=1, compute_location="eastus"))


@case
def validate_after_changing_scale_settings(lib: Any, facts: Facts) -> None:
    config = _config(lib, max_nodes=2)
    facts["built"] = True
    config.scale_settings.maximum_node_count = -1
    config.validate_configuration()


@case
def validate_after_removing_max_nodes(lib: Any, facts: Facts) -> None:
    config = _config(lib, max_nodes=2)
    facts["built"] = True
    config.scale_settings.maximum_node_count = None
    config.validate_configuration()


@case
def old_node_count_attributes_absent(lib: Any, facts: Facts) -> None:
    config = _config(lib, min_nodes=1, max_nodes=2)
    facts["has"] = {name: hasattr(config, name) for name in ("min_nodes", "max_nodes", "idle_seconds_before_scaledown",
                                                              "type", "location", "compute_location")}


# -- ComputeTarget.create: what v1 refused before asking its service ------------------------------
# (v1 checks the name first, before the configuration or the workspace: these run without either.)

RESERVED_LOOKALIKES = ("Local", "LOCAL", " local", "local ", "amlcompute-1", "AmlCompute", "containerInstance", "cpu")


@case
def create_reserved_local(lib: Any, facts: Facts) -> None:
    lib.ComputeTarget.create(None, "local", _config(lib, max_nodes=2))


@case
def create_reserved_amlcompute(lib: Any, facts: Facts) -> None:
    lib.ComputeTarget.create(None, "amlcompute", _config(lib, max_nodes=2))


@case
def create_reserved_containerinstance(lib: Any, facts: Facts) -> None:
    lib.ComputeTarget.create(None, "containerinstance", _config(lib, max_nodes=2))


@case
def create_reserved_name_before_configuration(lib: Any, facts: Facts) -> None:
    lib.ComputeTarget.create(None, "local", None)


@case
def create_reserved_name_through_amlcompute(lib: Any, facts: Facts) -> None:
    lib.AmlCompute.create(None, "amlcompute", _config(lib, max_nodes=2))


@case
def create_reserved_names_are_exact(lib: Any, facts: Facts) -> None:
    refused = {}
    for name in RESERVED_LOOKALIKES:
        try:
            lib.ComputeTarget.create(None, name, None)
            refused[name] = False
        except Exception as e:  # v1 went on to the configuration (and the service): any other error
            refused[name] = "is a reserved name" in str(e)
    facts["refused_as_reserved"] = refused
