"""What a sweep is told before anything is sent: warnings and refusals at submission (no cluster)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from hpc_estimator import (
    BanditPolicy,
    Experiment,
    HyperDriveConfig,
    PrimaryMetricGoal,
    RandomParameterSampling,
    Run,
    ScriptRunConfig,
    Workspace,
    choice,
)
from hpc_estimator.cluster.profile import ClusterProfile
from hpc_estimator.errors import AzureMLException, ConfigError
from hpc_estimator.job.sbatch_options import format_time_limit
from hpc_estimator.runs.cluster_facts import ClusterFacts, PartitionFacts
from hpc_estimator.runs.sweep import CONTROLLER_SLACK_S, prepare_sweep
from hpc_estimator.sweep import files


def _config(src: ScriptRunConfig, **kwargs: object) -> HyperDriveConfig:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        space = RandomParameterSampling({"lr": choice(0.1, 0.2)})
        return HyperDriveConfig(run_config=src, hyperparameter_sampling=space, primary_metric_name="acc",
                                primary_metric_goal=PrimaryMetricGoal.MAXIMIZE, max_total_runs=2,
                                **kwargs)  # type: ignore[arg-type]


def test_resume_from_and_resume_child_runs_warn_at_submission_that_they_are_not_acted_on(tmp_path: Path) -> None:
    """v1's checks stay, but nothing warm-starts or resumes yet: the sweep says so when submitted
    (its notes are the warnings both submit_sweep and a HyperDriveStep's pipeline give)."""
    (tmp_path / "train.py").write_text("print('hi')\n")
    src = ScriptRunConfig(source_directory=str(tmp_path), script="train.py", compute_target="cpu")

    class Parent:
        id, _runtype = "old_sweep", "hyperdrive"

        def __init__(self) -> None:
            self.hyperdrive_config = _config(src)

        def get_status(self) -> str:
            return "Completed"

    class Child(Run):
        id = "old_sweep_0"  # type: ignore[assignment]
        parent = Parent()  # type: ignore[assignment]

        def __init__(self) -> None:
            pass

        def get_status(self) -> str:
            return "Completed"

    assert _config(src)._resolved_sweep().notes == ()
    notes = _config(src, resume_from=[Parent()], resume_child_runs=[Child()])._resolved_sweep().notes
    assert len(notes) == 2
    assert notes[0].startswith("resume_from is not implemented by hpcest: the trials of old_sweep are not given")
    assert notes[1].startswith("resume_child_runs is not implemented by hpcest: old_sweep_0 are not resumed")


# -- the shared checks -----------------------------------------------------------------------------

@pytest.fixture
def ws(tmp_path: Path):
    workspace = Workspace.create(tmp_path / "ws", name="hdsubmit")
    workspace.add_profile(
        "cluster", {"transport": "ssh", "host": "login", "workdir": "/w", "container_runtime": "none"}
    )
    yield workspace
    workspace.close()


def _misspelt(tmp_path: Path) -> ScriptRunConfig:
    (tmp_path / "train.py").write_text("print('hi')\n")
    return ScriptRunConfig(source_directory=str(tmp_path), script="trian.py", compute_target="cluster")


def test_a_sweep_with_a_misspelt_entry_script_is_refused_before_anything_is_sent(ws: Workspace, tmp_path: Path) -> None:
    # The ssh host "login" does not exist: reaching for the cluster would fail differently.
    with pytest.raises(AzureMLException, match=r"trian\.py.*did you mean 'train\.py'"):
        Experiment(ws, "e").submit(_config(_misspelt(tmp_path)))
    assert ws.run_store.count() == 0


def _facts(time_limit: str, cpus: int = 64) -> ClusterFacts:
    return ClusterFacts(cluster="cluster", checked_at="2026-11-30T10:00:00Z",
                        partitions={"short": PartitionFacts("short", True, 4, cpus, 0, time_limit)})


def _prepare(tmp_path: Path, facts: ClusterFacts, partition: str | None = None):
    (tmp_path / "train.py").write_text("print('hi')\n")
    src = ScriptRunConfig(source_directory=str(tmp_path), script="train.py", compute_target="cluster")
    sweep = _config(src, policy=BanditPolicy(slack_factor=0.1))._resolved_sweep()
    profile = ClusterProfile.from_mapping("cluster", {"workdir": "/w", "container_runtime": "none",
                                                      **({"partition": partition} if partition else {})})
    return prepare_sweep(sweep, profile, sweep_id="s", sweep_dir="/w/s", experiment="e", facts=facts)


def test_the_controller_is_fitted_into_the_partitions_time_limit(tmp_path: Path) -> None:
    """v1's default max_duration_minutes (7 days) would make the controller pend forever on a
    partition with a 1 h limit; the deadline is shortened so the controller fits, and it says so."""
    prepared = _prepare(tmp_path, _facts("1:00:00"))
    minutes = (3600 - CONTROLLER_SLACK_S) // 60
    assert prepared.properties["max_duration_minutes"] == minutes
    script = prepared.files[files.CONTROLLER_SCRIPT][0]
    assert f"#SBATCH --time={format_time_limit(3600)}\n" in script
    (note,) = [w for w in prepared.warnings if "max_duration_minutes" in w]
    assert note.startswith(f"max_duration_minutes=10080 is shortened to {minutes}")
    assert "partition 'short' allows jobs of at most 1:00:00" in note
    # Unknown limits change nothing.
    assert _prepare(tmp_path, _facts("infinite")).properties["max_duration_minutes"] == 10080


def test_a_partition_too_short_for_the_controller_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="too short for the sweep's controller"):
        _prepare(tmp_path, _facts("5:00"))


def test_trials_the_cluster_can_never_start_are_warned_about(tmp_path: Path) -> None:
    prepared = _prepare(tmp_path, _facts("infinite"), partition="gpu")
    assert any("partition 'gpu' does not exist on cluster 'cluster'" in w for w in prepared.warnings), prepared.warnings
