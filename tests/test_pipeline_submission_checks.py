"""What a pipeline is told before anything is sent: the cluster-fit checks a single run or a sweep gets.

Protects: what ``hpcest cluster check`` learned warns about a step the cluster can never start (as
for a single run); a HyperDriveStep's controller and finish job are fitted into the partition's time
limit as a standalone sweep's controller is (v1's default max_duration_minutes of 7 days would leave
the controller pending for ever, PartitionTimeLimit, and the pipeline would never end), or refused
with the fix when the partition is too short; without cached facts nothing changes. No cluster: the
profile's SSH host does not exist, so a check that reached for it would fail differently. (The
steps' scripts and folders are refused when the graph is built, with v1's messages:
the recorded v1 cases tests/test_pipeline_rules.py replays.)
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from hpc_estimator import (
    BanditPolicy,
    GridParameterSampling,
    HyperDriveConfig,
    HyperDriveStep,
    Pipeline,
    PrimaryMetricGoal,
    PythonScriptStep,
    ScriptRunConfig,
    Workspace,
    choice,
)
from hpc_estimator.errors import ConfigError
from hpc_estimator.job.sbatch_options import format_time_limit
from hpc_estimator.runs.cluster_facts import ClusterFacts, PartitionFacts, save_facts
from hpc_estimator.runs.pipeline_submission import dry_run_pipeline, submit_pipeline
from hpc_estimator.runs.sweep import CONTROLLER_SLACK_S
from hpc_estimator.sweep import files
from tests import pipeline_graphs as graphs


@pytest.fixture
def ws(tmp_path: Path):
    workspace = Workspace.create(tmp_path / "ws", name="pipechecks")
    workspace.add_profile("c", {"transport": "ssh", "host": "login", "workdir": "/w", "container_runtime": "none",
                                "python": "/usr/bin/python3"})
    yield workspace
    workspace.close()


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return graphs.write_sweep_scripts(tmp_path / "src")


def _checked(ws: Workspace, time_limit: str) -> None:
    """What `hpcest cluster check c` would have cached: one default partition with ``time_limit``."""
    save_facts(ws.history_dir, ClusterFacts(cluster="c", checked_at="2026-11-30T10:00:00Z",
                                            partitions={"short": PartitionFacts("short", True, 4, 64, 0, time_limit)}))


def _step(script: str, src: Path, name: str = "train", target: str = "c") -> PythonScriptStep:
    return PythonScriptStep(script, name=name, compute_target=target, source_directory=str(src),
                            runconfig=graphs.bare())


def _sweep_pipeline(ws: Workspace, src: Path) -> Pipeline:
    trial = ScriptRunConfig(str(src), script="train.py", compute_target="c")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = HyperDriveConfig(
            run_config=trial, hyperparameter_sampling=GridParameterSampling({"--lr": choice(0.1, 0.2)}),
            policy=BanditPolicy(slack_factor=0.1), primary_metric_name="accuracy",
            primary_metric_goal=PrimaryMetricGoal.MAXIMIZE, max_total_runs=2,
        )  # max_duration_minutes left at v1's default: 10080 (7 days)
    return Pipeline(ws, [HyperDriveStep("sweep", config)])


def test_a_step_the_cluster_can_never_start_is_warned_about(ws, src) -> None:
    ws.add_profile("g", {"transport": "ssh", "host": "login", "workdir": "/w", "container_runtime": "none",
                         "partition": "gpu"})
    save_facts(ws.history_dir, ClusterFacts(cluster="g", checked_at="2026-11-30T10:00:00Z",
                                            partitions={"short": PartitionFacts("short", True, 4, 64, 0, "1:00:00")}))
    plan = dry_run_pipeline(ws, "x", Pipeline(ws, [_step("train.py", src, target="g")]))
    assert any(w.startswith("step 'train': partition 'gpu' does not exist on cluster 'g'") for w in plan.warnings), (
        plan.warnings
    )


def test_a_hyperdrive_step_s_controller_is_fitted_into_the_partition_s_time_limit(ws, src) -> None:
    _checked(ws, "1:00:00")
    plan = dry_run_pipeline(ws, "x", _sweep_pipeline(ws, src))
    minutes = (3600 - CONTROLLER_SLACK_S) // 60
    (note,) = [w for w in plan.warnings if "max_duration_minutes" in w]
    assert note.startswith(f"step 'sweep': max_duration_minutes=10080 is shortened to {minutes}")
    sweep = plan.steps[0].sweep
    assert sweep is not None and sweep.prepared.properties["max_duration_minutes"] == minutes
    controller = sweep.prepared.files[files.CONTROLLER_SCRIPT][0]
    assert f"#SBATCH --time={format_time_limit(3600)}\n" in controller
    assert f"#SBATCH --time={format_time_limit(1800)}\n" in sweep.finish_script  # its own 30 minutes fit


def test_a_partition_too_short_for_a_hyperdrive_step_s_controller_is_refused_before_anything_is_recorded(
    ws, src
) -> None:
    _checked(ws, "5:00")
    with pytest.raises(ConfigError, match="too short for the sweep's controller"):
        submit_pipeline(ws, "x", _sweep_pipeline(ws, src))
    assert ws.run_store.count() == 0


def test_a_hyperdrive_step_s_finish_job_gets_no_more_than_the_partition_allows(ws, src) -> None:
    _checked(ws, "20:00")  # a debug partition: 20 minutes
    trial = ScriptRunConfig(str(src), script="train.py", compute_target="c")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = HyperDriveConfig(
            run_config=trial, hyperparameter_sampling=GridParameterSampling({"--lr": choice(0.1, 0.2)}),
            primary_metric_name="accuracy", primary_metric_goal=PrimaryMetricGoal.MAXIMIZE, max_total_runs=2,
        )  # no policy, no Bayesian sampling: no controller, only the finish job
    plan = dry_run_pipeline(ws, "x", Pipeline(ws, [HyperDriveStep("sweep", config)]))
    sweep = plan.steps[0].sweep
    assert sweep is not None and f"#SBATCH --time={format_time_limit(1200)}\n" in sweep.finish_script


def test_without_cluster_facts_nothing_is_fitted(ws, src) -> None:
    plan = dry_run_pipeline(ws, "x", _sweep_pipeline(ws, src))
    sweep = plan.steps[0].sweep
    assert sweep is not None and sweep.prepared.properties["max_duration_minutes"] == 10080
    assert not [w for w in plan.warnings if "max_duration_minutes" in w]
    assert f"#SBATCH --time={format_time_limit(1800)}\n" in sweep.finish_script
