"""``ws.models``: v1's ``{model.name: model for model in Model.list(ws, latest=True)}``.

Protects: each name maps to its highest version (what v1's service returned for latest=True), also
when an older version's registration time is the later one (a clock set back between two
registrations, another machine's clock); every registered name is there.
"""

from __future__ import annotations

from pathlib import Path

from hpc_estimator.runs.model import Model
from hpc_estimator.runs.workspace import Workspace


def test_each_name_maps_to_its_highest_version_whatever_the_clock_said(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", name="w")
    weights = tmp_path / "model.pkl"
    weights.write_text("weights")
    for name in ("a", "a", "a", "b"):
        Model.register(ws, str(weights), name)
    registry = ws.dataset_registry()
    with registry._write() as conn:  # version 1 of "a" seems registered last
        conn.execute("UPDATE models SET created_at = '2999-01-01T00:00:00Z' WHERE name = 'a' AND version = 1")
    models = ws.models
    assert sorted(models) == ["a", "b"]
    assert (models["a"].version, models["b"].version) == (3, 1)
