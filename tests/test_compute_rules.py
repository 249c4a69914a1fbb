"""v1's ``AmlCompute.provisioning_configuration`` and ``ComputeTarget.create`` name rules, one test per recorded case.

Each case of ``tests/v1_reference/compute_cases.py`` runs on hpcest and is compared with what the
real v1 SDK did (``tests/data/v1_reference/compute_rules.json``, re-recorded with
``/work/v1sdk/bin/python -m tests.v1_reference.record_compute``): a case v1 refused must be refused
with an exception of v1's class name and base classes and v1's message; the facts (every attribute
of the configuration) must be equal. What v1 left to the service is tested at the end.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import hpc_estimator as hpc
from hpc_estimator.errors import ComputeTargetException
from hpc_estimator.runs.workspace import Workspace
from hpc_estimator.v1.amlcompute import AmlCompute, AmlComputeProvisioningConfiguration, ScaleSettings
from tests.v1_reference.compute_cases import CASES
from tests.v1_reference.replay import assert_raised_as_v1, run_case

RECORDED = json.loads((Path(__file__).parent / "data" / "v1_reference" / "compute_rules.json").read_text())["cases"]


class Hpcest:
    AmlCompute = AmlCompute
    ComputeTarget = hpc.ComputeTarget
    AmlComputeProvisioningConfiguration = AmlComputeProvisioningConfiguration


def test_every_recorded_case_is_a_case() -> None:
    assert set(RECORDED) == set(CASES), "re-record: /work/v1sdk/bin/python -m tests.v1_reference.record_compute"


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_matches_v1(name: str) -> None:
    expected = RECORDED[name]
    facts, error = run_case(CASES[name], Hpcest())
    if "error" in expected:
        assert_raised_as_v1(error, expected["error"])
    else:
        assert error is None, f"v1 accepted this; hpcest raised {type(error).__name__}: {error}"
    assert json.loads(json.dumps(facts)) == expected["facts"]


def test_served_under_v1_names() -> None:
    """A notebook's ``from azureml.core.compute.amlcompute import ScaleSettings`` gets hpcest's."""
    import importlib

    from hpc_estimator.compat import importer

    importer.activate()
    try:
        served = importlib.import_module("azureml.core.compute.amlcompute")
        assert served.ScaleSettings is ScaleSettings
        assert served.AmlComputeProvisioningConfiguration is AmlComputeProvisioningConfiguration
    finally:
        importer.deactivate()


def test_scale_settings_round_trip() -> None:
    settings = ScaleSettings(1, 4, 1800)
    again = ScaleSettings.deserialize(settings.serialize())
    assert again is not None and vars(again) == vars(settings)
    assert ScaleSettings.deserialize({}) is None
    parsed = ScaleSettings.deserialize({"minNodeCount": 0, "maxNodeCount": 2, "nodeIdleTimeBeforeScaleDown": "PT2M"})
    assert parsed is not None and parsed.idle_seconds_before_scaledown == 120
    with pytest.raises(ComputeTargetException, match="missing \"maxNodeCount\""):
        ScaleSettings.deserialize({"minNodeCount": 0})


# -- ComputeTarget.create: what v1's service decided -------------------------------------------


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    (tmp_path / "hpcest.toml").write_text('[workspace]\nname = "w"\n\n[clusters.cpu]\ntransport = "local"\n')
    return Workspace.from_config(tmp_path)


def test_create_accepts_a_notebook_configuration(workspace: Workspace) -> None:
    config = AmlCompute.provisioning_configuration(vm_size="STANDARD_D2_V2", max_nodes=0)
    target = hpc.ComputeTarget.create(workspace, "cpu", config)
    assert isinstance(target, AmlCompute) and target.name == "cpu" and target.vm_size == "STANDARD_D2_V2"


@pytest.mark.parametrize("priority", ["dedicated", "lowpriority", "LowPriority", None])
def test_create_accepts_the_priorities_v1_provisioned(workspace: Workspace, priority: str | None) -> None:
    config = AmlCompute.provisioning_configuration(max_nodes=2, vm_priority=priority)  # type: ignore[arg-type]
    assert hpc.ComputeTarget.create(workspace, "cpu", config).name == "cpu"


def test_create_refuses_an_unknown_vm_priority(workspace: Workspace) -> None:
    """Accepted by provisioning_configuration as in v1; refused at create, as v1's service refused it."""
    config = AmlCompute.provisioning_configuration(max_nodes=2, vm_priority="bogus")
    assert config.vm_priority == "bogus"
    with pytest.raises(ComputeTargetException, match="vm_priority must be 'dedicated' or 'lowpriority', got 'bogus'"):
        hpc.ComputeTarget.create(workspace, "cpu", config)


def test_create_validates_again(workspace: Workspace) -> None:
    config = AmlCompute.provisioning_configuration(max_nodes=2)
    config.scale_settings.minimum_node_count = 3
    with pytest.raises(ComputeTargetException, match="max nodes count must be greater than or equal to min nodes"):
        hpc.ComputeTarget.create(workspace, "cpu", config)


def test_create_refuses_a_reserved_name_even_when_a_profile_has_it(tmp_path: Path) -> None:
    """hpcest's "local" profile is a target to run on, never a name to create (v1 reserved it)."""
    (tmp_path / "hpcest.toml").write_text('[workspace]\nname = "w"\n\n[clusters.local]\ncontainer_runtime = "none"\n')
    workspace = Workspace.from_config(tmp_path)
    assert hpc.ComputeTarget(workspace, "local").name == "local"
    config = AmlCompute.provisioning_configuration(max_nodes=2)
    with pytest.raises(hpc.UserErrorException, match=r"^Please specify a different target name\. local is a reserved"):
        hpc.ComputeTarget.create(workspace, "local", config)
