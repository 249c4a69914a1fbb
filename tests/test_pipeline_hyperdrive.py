"""A HyperDriveStep below the v1 room: resolution, the graph it lowers to, the finish job, refusals.

The graph script of a prepare -> sweep -> check pipeline is compared with a golden file
(``tests/golden/scripts/pipeline_hyperdrive_submit.sh``; regenerate with HPCEST_UPDATE_GOLDEN=1), and
its structure is checked: the array chunks (``--array=0-(n-1)%<max_concurrent>``, each after the
previous one ended), the controller, the finish job after all of them (afterany) and after the
upstream step (afterok), the next step after the finish job (afterok). The finish module runs for
real on a sweep directory laid out as the trials leave it.
"""

from __future__ import annotations

import json
import os
import subprocess
import warnings
from pathlib import Path
from typing import Any

import pytest

import hpc_estimator
from hpc_estimator import (
    BanditPolicy,
    GridParameterSampling,
    HyperDriveConfig,
    HyperDriveStep,
    Pipeline,
    PipelineData,
    PrimaryMetricGoal,
    PythonScriptStep,
    ScriptRunConfig,
    TrainingOutput,
    Workspace,
    choice,
)
from hpc_estimator.backends.slurm_graph import graph_jobs
from hpc_estimator.cluster.profile import ClusterProfile
from hpc_estimator.errors import HyperDriveScenarioNotSupportedException
from hpc_estimator.runs.pipeline_submission import dry_run_pipeline, graph_submission, submit_pipeline
from hpc_estimator.runs.sweep import prepare_sweep
from hpc_estimator.runtime.context import read_metrics
from hpc_estimator.slurm import graph_submit_script
from hpc_estimator.sweep import files
from hpc_estimator.sweep.finish import finish
from tests import pipeline_graphs as graphs
from tests.v1_reference.hyperdrive_cases import CASES

GOLDEN = Path(__file__).parent / "golden" / "scripts" / "pipeline_hyperdrive_submit.sh"
V1_HYPERDRIVE = json.loads((Path(__file__).parent / "data" / "v1_reference" / "hyperdrive.json").read_text())["cases"]


@pytest.fixture
def ws(tmp_path: Path):
    workspace = Workspace.create(tmp_path / "ws", name="hdstep")
    workspace.add_profile("c", {"transport": "ssh", "host": "login", "workdir": "/w", "container_runtime": "none",
                                "max_array_size": 2, "python": "/usr/bin/python3"})
    yield workspace
    workspace.close()


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return graphs.write_sweep_scripts(tmp_path / "src")


def _config(src: Path, target: str, policy: Any) -> HyperDriveConfig:
    trial = ScriptRunConfig(str(src), script="train.py", compute_target=target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return HyperDriveConfig(
            run_config=trial, hyperparameter_sampling=GridParameterSampling({"--lr": choice(0.1, 0.2, 0.4)}),
            policy=policy, primary_metric_name="accuracy", primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
            max_total_runs=3, max_concurrent_runs=2,
        )


def _pipeline(ws: Workspace, src: Path, target: str = "c", policy: Any = None, trial_target: str | None = None):
    prepared, metrics = PipelineData("prepared"), PipelineData("metrics")
    model = PipelineData("model", training_output=TrainingOutput("Model", model_file="outputs/model.pkl"))
    prepare = PythonScriptStep("produce.py", name="prepare", arguments=["--seed", 1, "--out", prepared],
                               outputs=[prepared], compute_target=target, source_directory=str(src),
                               runconfig=graphs.bare())
    config = _config(src, trial_target or target, policy)
    sweep = HyperDriveStep("sweep", config, estimator_entry_script_arguments=["--data", prepared], inputs=[prepared],
                           outputs=[model], metrics_output=metrics)
    check = PythonScriptStep("join.py", name="check", arguments=["--metrics", metrics, "--model", model],
                             inputs=[metrics, model], compute_target=target, source_directory=str(src),
                             runconfig=graphs.bare())
    return Pipeline(ws, [prepare, sweep, check])


def _plan(ws: Workspace, src: Path, **kwargs: Any):
    return dry_run_pipeline(ws, "x", _pipeline(ws, src, **kwargs), run_id="x_1_00000000")


def test_the_step_resolves_to_its_trial_and_sweep(ws, src) -> None:
    step = _pipeline(ws, src)._resolved_pipeline().steps[1]
    assert step.step_type == "HyperDriveStep" and step.sweep is not None
    assert step.run.arguments == ("--data", "$AZUREML_DATAREFERENCE_prepared")
    assert step.sweep.trial == step.run and step.sweep.max_concurrent_runs == 2
    assert [(o.name, o.training_output, o.model_file) for o in step.outputs] == [
        ("model", "model", "outputs/model.pkl"), ("metrics", "metrics", None)]
    assert [(i.name, i.producer) for i in step.inputs] == [("prepared", 0)]


def test_graph_script_matches_golden_and_orders_chunks_controller_finish(ws, src) -> None:
    plan = _plan(ws, src, policy=BanditPolicy(slack_factor=0.1))
    submission = graph_submission(plan)
    jobs = graph_jobs(submission)
    names = [j.name for j in jobs]
    step = plan.steps[1].run_id
    assert names == ["x_1_00000000_step0", f"{step}_a0", f"{step}_a1", f"{step}-controller", step,
                     "x_1_00000000_step2"]
    chunk0, chunk1, controller, finish_job, check = jobs[1:]
    # MaxArraySize 2: trials 0-1 then trial 2, each chunk %max_concurrent_runs, the second after the first.
    assert chunk0.sbatch_options[:2] == ("--array=0-1%2", "--export=ALL,HPCEST_TASK_OFFSET=0")
    assert chunk1.sbatch_options[:2] == ("--array=0%2", "--export=ALL,HPCEST_TASK_OFFSET=2")
    assert chunk1.after_any == (1,) and chunk0.after == chunk1.after == controller.after == (0,)
    assert finish_job.after == (0,) and finish_job.after_any == (1, 2, 3)
    assert check.after == (4,) and check.after_any == ()
    assert finish_job.script.endswith("/finish.sbatch") and chunk0.script.endswith("/job.sbatch")
    script = graph_submit_script(jobs)
    subprocess.run(["sh", "-n"], input=script, text=True, check=True)
    assert script.count("hpcest_record ") == 3  # the function and one call per chunk
    if os.environ.get("HPCEST_UPDATE_GOLDEN"):
        GOLDEN.write_text(script)
    assert script == GOLDEN.read_text()


@pytest.mark.parametrize(
    "case", [None, "no_termination", "truncation_ok", "truncation_99", "median_values", "bandit_positional"]
)
def test_the_step_records_v1s_policy_config_as_a_standalone_sweep_does(ws, src, case: str | None) -> None:
    """The policy_config a HyperDriveStep's record keeps is v1's, as measured (tests/data/v1_reference):
    no properties for the default policy, TruncationSelection's exclude_finished_jobs kept."""
    if case is None:  # no policy given: v1's HyperDriveConfig records the default one
        policy, v1_config = None, V1_HYPERDRIVE["hd_estimator"]["result"]["policy_config"]
    else:
        namespace = dict(vars(hpc_estimator))
        exec(CASES[case], namespace)
        policy, v1_config = namespace["result"], V1_HYPERDRIVE[case]["result"]["json"]
    step = _plan(ws, src, policy=policy).steps[1]
    assert step.sweep is not None
    assert step.sweep.properties()["hyperdrive"]["policy_config"] == v1_config
    # A standalone sweep of the same configuration (submit_sweep's path) records the same.
    profile = ClusterProfile.from_mapping("c", {"workdir": "/w", "container_runtime": "none"})
    standalone = prepare_sweep(_config(src, "c", policy)._resolved_sweep(), profile, sweep_id="s",
                               sweep_dir="/w/s", experiment="x")
    assert standalone.properties["policy_config"] == v1_config


def test_the_finish_job_and_the_step_files(ws, src) -> None:
    plan = _plan(ws, src)
    sweep = plan.steps[1]
    assert sweep.sweep is not None and not sweep.sweep.prepared.controller  # no policy, no deadline
    written = {path for path, _, _ in sweep.sweep.files}
    assert {files.SWEEP_FILE, files.ARGS_FILE, files.TRIALS_FILE, files.SCRIPT, "graph/array-0/trials.in"} <= written
    assert any(p.startswith(files.CONTROLLER_LIB + "/hpc_estimator/sweep/finish.py") for p in written)
    script = sweep.script or ""
    data = f"{plan.pipeline_dir}/data"
    assert (f"/usr/bin/python3 -m hpc_estimator.sweep.finish {sweep.run_dir} --model {data}/model outputs/model.pkl "
            f"--metrics {data}/metrics") in script
    assert "#SBATCH --cpus-per-task=1" in script and "> exit_code" in script
    plan_file = json.loads(next(t for p, t, _ in sweep.sweep.files if p == files.SWEEP_FILE))
    assert plan_file["deadline"] is None  # set when the controller starts, not at submission
    # Every trial reads the prepared data; the finish job, not the trials, writes the outputs.
    assert sweep.compiled is not None and not sweep.compiled.spec.outputs
    assert [i.source for i in sweep.compiled.spec.inputs] == [f"{data}/prepared"]


def test_local_is_refused_before_anything_is_recorded(ws, src) -> None:
    with pytest.raises(HyperDriveScenarioNotSupportedException, match=r"not supported for types DatabricksCompute "
                       r"and local.*HyperDriveStep.*compute_target='local'"):
        submit_pipeline(ws, "x", _pipeline(ws, src, target="local"))
    with pytest.raises(HyperDriveScenarioNotSupportedException, match=r"'sweep'.*compute_target='local'"):
        submit_pipeline(ws, "x", _pipeline(ws, src), target="local")
    assert ws.run_store.count() == 0


def _trial(sweep_dir: Path, index: int, values: list[float], exit_code: int | None, model: str | None) -> None:
    run_dir = Path(files.trial_dir(str(sweep_dir), index))
    (run_dir / "metrics").mkdir(parents=True)
    lines = [json.dumps({"t": n, "rank": 0, "seq": n, "kind": "metric", "type": "scalar", "name": "accuracy",
                         "value": v}) for n, v in enumerate(values)]
    (run_dir / "metrics" / "rank-0.jsonl").write_text("\n".join(lines) + "\n")
    if exit_code is not None:
        (run_dir / "exit_code").write_text(f"{exit_code}\n")
    if model is not None:
        (run_dir / "outputs").mkdir()
        (run_dir / "outputs" / "model.pkl").write_text(model)


def _sweep_dir(tmp_path: Path) -> Path:
    sweep_dir = tmp_path / "sweep"
    sweep_dir.mkdir()
    plan = {"sweep_id": "p_step1", "primary_metric_name": "accuracy", "primary_metric_goal": "maximize"}
    (sweep_dir / files.SWEEP_FILE).write_text(json.dumps(plan))
    (sweep_dir / files.TRIALS_FILE).write_text("".join(files.trial_record(i, f"9_{i}", {}, []) for i in range(3)))
    return sweep_dir


def test_finish_writes_all_metrics_and_copies_the_best_completed_trials_model(tmp_path: Path) -> None:
    sweep_dir = _sweep_dir(tmp_path)
    _trial(sweep_dir, 0, [0.5, 0.7], 0, "zero")
    _trial(sweep_dir, 1, [0.9, 0.6], 0, "one")  # the best value over its loggings counts
    _trial(sweep_dir, 2, [0.99], 1, "two")  # failed: not passed on
    metrics_dir, model_dir = tmp_path / "metrics", tmp_path / "model"
    assert finish(sweep_dir, [str(metrics_dir)], [(str(model_dir), "outputs/model.pkl")]) == 0
    written = json.loads((metrics_dir / "metrics.json").read_text())
    assert written == {f"p_step1_{i}": read_metrics(files.trial_dir(str(sweep_dir), i)) for i in range(3)}
    assert written["p_step1_0"] == {"accuracy": [0.5, 0.7]} and written["p_step1_2"] == {"accuracy": 0.99}
    assert (model_dir / "outputs" / "model.pkl").read_text() == "one"
    assert json.loads((sweep_dir / "best.json").read_text())["run_id"] == "p_step1_1"


def test_finish_fails_when_no_trial_completed_or_the_best_wrote_no_model(tmp_path: Path, capsys) -> None:
    sweep_dir = _sweep_dir(tmp_path)
    for i in range(3):
        _trial(sweep_dir, i, [0.1 * i], 1 if i else None, None)
    assert finish(sweep_dir, [str(tmp_path / "m")], []) == 1
    assert (tmp_path / "m" / "metrics.json").exists()  # the metrics are written all the same
    (Path(files.trial_dir(str(sweep_dir), 2)) / "exit_code").write_text("0\n")
    assert finish(sweep_dir, [], [(str(tmp_path / "model"), "outputs/model.pkl")]) == 1
    # A model_file leading out of the trial's directory is refused even when its target exists (it
    # would be copied out of the sweep, and into a path outside the output directory).
    (sweep_dir / "etc").mkdir()
    (sweep_dir / "etc" / "passwd").write_text("not a model\n")
    capsys.readouterr()
    model_dir = tmp_path / "a" / "b" / "model"
    assert finish(sweep_dir, [], [(str(model_dir), "../../etc/passwd")]) == 1
    assert "model_file '../../etc/passwd' must be a path inside the trial's run directory" in capsys.readouterr().err
    assert not (tmp_path / "a" / "etc").exists()


def test_dry_run_prints_the_trials_array_script_and_the_finish_job(ws, src, capsys) -> None:
    from hpc_estimator.cli import pipeline as pipeline_cli

    pipeline_cli.dry_run(ws, _pipeline(ws, src), "x", target=None, parameters={}, regenerate_outputs=False,
                         run_id="x_1_00000000", as_json=False)
    out = capsys.readouterr().out
    step_dir = "/w/runs/x_1_00000000/steps/x_1_00000000_step1"
    assert f"{step_dir}/job.sbatch (every trial)" in out and f"{step_dir}/finish.sbatch (its outputs)" in out
    assert "--array=0-1%2" in out and "hpc_estimator.sweep.finish" in out
    assert ws.run_store.count() == 0
