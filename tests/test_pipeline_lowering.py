"""Pipelines below the v1 room: the graph order, step lowering (data paths, parameters), the submit
script builder and its parser, content keys, and what a submission refuses before recording anything.

No cluster here: the lowering and the plan are pure; the submit script is checked by ``sh -n`` and,
for the part that runs before any Slurm command (the reused-data check), by running it.
"""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path

import pytest

from hpc_estimator import (
    CommandStep,
    DataReference,
    Datastore,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PythonScriptStep,
    Workspace,
)
from hpc_estimator.cluster.profile import ClusterProfile
from hpc_estimator.compile.command import IMAGE_PYTHON
from hpc_estimator.compile.pipeline import bound_run, compile_step, output_directories
from hpc_estimator.errors import SchedulerError, UserErrorException
from hpc_estimator.runs.pipeline_submission import dry_run_pipeline, submit_pipeline
from hpc_estimator.slurm import GraphJob, graph_submit_script, parse_graph_submit
from tests import pipeline_graphs as graphs

PROFILE = ClusterProfile(name="c", transport="local", workdir="/w", container_runtime="apptainer",
                         image_cache="/w/images")


@pytest.fixture
def ws(tmp_path: Path):
    workspace = Workspace.create(tmp_path / "ws", name="lowering")
    workspace.add_profile("c", {"transport": "ssh", "host": "login", "workdir": "/w", "container_runtime": "none"})
    workspace.add_profile("d", {"transport": "ssh", "host": "login2", "workdir": "/w2"})
    yield workspace
    workspace.close()


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return graphs.write_scripts(tmp_path / "src")


def _three(ws: Workspace, src: Path, target: str = "c") -> Pipeline:
    raw, model = PipelineData("raw"), PipelineData("model")
    epochs = PipelineParameter("epochs", 3)
    store = Datastore("store", "/data/store")
    ref = DataReference(store, "labels", "labels", mode="mount")
    prepare = PythonScriptStep("produce.py", name="prepare", arguments=["--seed", 1, "--out", raw], outputs=[raw],
                               compute_target=target, source_directory=str(src), runconfig=graphs.bare())
    train = PythonScriptStep("transform.py", name="train",
                             arguments=["--in", raw, "--out", model, "--epochs", epochs, "--labels", ref,
                                        "--lr=$AML_PARAMETER_epochs"],
                             inputs=[raw, ref], outputs=[model], compute_target=target, source_directory=str(src))
    copy = model.as_download("copy")
    evaluate = CommandStep(["python join.py", copy], name="evaluate", inputs=[copy], compute_target=target,
                           source_directory=str(src), runconfig=graphs.bare())
    return Pipeline(ws, [evaluate, train, prepare])


# -- graph order --------------------------------------------------------------------------------


def test_order_puts_every_step_after_its_producers_and_finds_downstream(ws, src) -> None:
    resolved = _three(ws, src)._resolved_pipeline()
    names = [resolved.steps[i].name for i in resolved.order()]
    assert names == ["prepare", "train", "evaluate"]
    prepare = next(s for s in resolved.steps if s.name == "prepare")
    assert {resolved.steps[i].name for i in resolved.downstream(prepare.index)} == {"train", "evaluate"}


def test_order_refuses_a_cycle_with_v1s_message(ws, src) -> None:
    resolved = graphs.cycle(ws, src, "c")._resolved_pipeline()
    with pytest.raises(ValueError, match=r"Cycle detected including node two\([0-9a-f]{8}\)"):
        resolved.order()


# -- lowering a step ----------------------------------------------------------------------------


def test_a_step_reads_its_producers_directories_and_writes_its_own(ws, src) -> None:
    resolved = _three(ws, src)._resolved_pipeline({"epochs": 5})
    dirs = output_directories("/w/runs/p1", resolved.steps)
    train = next(s for s in resolved.steps if s.name == "train")
    prepare = next(s for s in resolved.steps if s.name == "prepare")
    run = bound_run(train, dirs)
    assert [(d.name, d.source, d.mode) for d in run.inputs] == [
        ("labels", "/data/store/labels", "mount"), ("raw", "/w/runs/p1/data/raw", "mount"),
    ]
    assert [(o.name, o.path) for o in run.outputs] == [("model", "/w/runs/p1/data/model")]
    assert run.arguments == (
        "--in", "$AZUREML_DATAREFERENCE_raw", "--out", "$AZUREML_DATAREFERENCE_model", "--epochs", "5",
        "--labels", "$AZUREML_DATAREFERENCE_labels", "--lr=5",
    )
    assert ("AML_PARAMETER_epochs", "5") in run.environment_variables
    assert dirs[(prepare.index, "raw")] == "/w/runs/p1/data/raw"


def test_a_compiled_step_binds_inputs_read_only_and_outputs_writable(ws, src) -> None:
    resolved = _three(ws, src)._resolved_pipeline()
    dirs = output_directories("/w/runs/p1", resolved.steps)
    train = next(s for s in resolved.steps if s.name == "train")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        job = compile_step(train, dirs, profile=PROFILE, run_id="p1_step1", run_dir="/w/runs/p1/steps/p1_step1").spec
    # After the image's own python and the script: the data paths as the container sees them.
    assert job.argv[len(IMAGE_PYTHON) + 1:][:4] == ("--in", "/hpcest/run/inputs/raw", "--out",
                                                     "/hpcest/run/pipeline-data/model")
    binds = {(b.source, b.target, b.read_only) for b in job.container.binds}
    assert ("/w/runs/p1/data/raw", "/hpcest/run/inputs/raw", True) in binds
    assert ("/w/runs/p1/data/model", "/hpcest/run/pipeline-data/model", False) in binds
    assert [(o.name, o.path) for o in job.outputs] == [("model", "/w/runs/p1/data/model")]
    env = job.env_dict
    assert env["AZUREML_DATAREFERENCE_raw"] == "/hpcest/run/inputs/raw"
    assert env["AZUREML_DATAREFERENCE_model"] == "/hpcest/run/pipeline-data/model"
    evaluate = next(s for s in resolved.steps if s.name == "evaluate")
    job = compile_step(evaluate, dirs, profile=PROFILE, run_id="p1_step2", run_dir="/w/runs/p1/steps/p1_step2").spec
    assert [(i.name, i.source, i.mode) for i in job.inputs] == [("copy", "/w/runs/p1/data/model", "download")]
    assert job.argv == ("python", "join.py", "/w/runs/p1/steps/p1_step2/inputs/copy")


def test_outputs_of_one_name_from_two_steps_get_their_own_directories(ws, src) -> None:
    a, b = PipelineData("out"), PipelineData("out")
    one = PythonScriptStep("produce.py", name="one", arguments=[a], outputs=[a], compute_target="c",
                           source_directory=str(src))
    two = PythonScriptStep("produce.py", name="two", arguments=[b], outputs=[b], compute_target="c",
                           source_directory=str(src))
    resolved = Pipeline(ws, [one, two])._resolved_pipeline()
    assert sorted(output_directories("/p", resolved.steps).values()) == ["/p/data/out-0", "/p/data/out-1"]


# -- the submit script --------------------------------------------------------------------------


def _jobs() -> list[GraphJob]:
    base = "/w/runs/p'1 x/steps"
    return [
        GraphJob("p_step0", f"{base}/p_step0", f"{base}/p_step0/job.sbatch"),
        GraphJob("p_step1", f"{base}/p_step1", f"{base}/p_step1/job.sbatch", after=(0,)),
        GraphJob("p_step2", f"{base}/p_step2", f"{base}/p_step2/job.sbatch", after=(0,)),
        GraphJob("p_step3", f"{base}/p_step3", f"{base}/p_step3/job.sbatch", after=(1, 2), dependency="afterany:77"),
    ]


def test_submit_script_submits_in_order_with_colon_joined_afterok_and_kill_on_invalid_dep() -> None:
    script = graph_submit_script(_jobs())
    subprocess.run(["sh", "-n"], input=script, text=True, check=True)  # POSIX sh syntax
    lines = script.splitlines()
    submits = [i for i, line in enumerate(lines) if line.startswith("hpcest_submit ")]
    assert [lines[i].split()[1] for i in submits] == ["p_step0", "p_step1", "p_step2", "p_step3"]
    # The fan-in job waits for both (one afterok, the ids colon-joined), plus its own static dependency.
    fan_in = lines[submits[3] - 2]
    assert fan_in == ("hpcest_after '/w/runs/p'\"'\"'1 x/steps/p_step1' \"$hpcest_j1\" "
                      "'/w/runs/p'\"'\"'1 x/steps/p_step2' \"$hpcest_j2\"")
    assert lines[submits[3] - 1] == "hpcest_dep=\"${hpcest_dep:+$hpcest_dep,}\"afterany:77"
    assert lines[submits[0] - 1] == "hpcest_dep="
    assert 'hpcest_dep="$hpcest_dep:$2"' in script and 'hpcest_dep="afterok$hpcest_dep"' in script
    assert '--dependency="$4" --kill-on-invalid-dep=yes' in script
    # squeue asked for all names up front (idempotent re-runs; NAMES_PER_SQUEUE names a call, see
    # tests/test_graph_submit_by_name.py), never once per job.
    calls = [i for i, line in enumerate(lines) if line.lstrip().startswith("squeue ")]
    assert len(calls) == 1 and calls[0] < lines.index("hpcest_submit() {")
    assert "hpcest_names=p_step0,p_step1,p_step2,p_step3" in script


def test_submit_script_refuses_what_it_could_not_submit_correctly() -> None:
    jobs = _jobs()
    with pytest.raises(ValueError, match="not submitted before it"):
        graph_submit_script([jobs[1], jobs[0]])
    with pytest.raises(ValueError, match="must be unique"):
        graph_submit_script([jobs[0], jobs[0]])
    with pytest.raises(ValueError, match="not a Slurm dependency"):
        graph_submit_script([GraphJob("x", "/a", "/a/s", dependency="afterok:1; rm -rf /")])
    with pytest.raises(ValueError, match="squeue --name"):
        graph_submit_script([GraphJob("a,b", "/a", "/a/s")])


def test_submit_script_submits_nothing_when_reused_data_is_gone(tmp_path: Path) -> None:
    present = tmp_path / "kept"
    present.mkdir()
    gone = tmp_path / "gone dir"
    script = graph_submit_script(_jobs(), require_dirs=[str(present), str(gone)])
    # Runs for real: the check comes before any squeue or sbatch (neither is on this PATH).
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 3
    assert parse_graph_submit(result.stdout).missing == (str(gone),)


def test_parse_graph_submit_reads_ids_and_how_they_were_found() -> None:
    out = "noise\nhpcest-job p_step0 17 submitted\nhpcest-job p_step1 18 recorded\nhpcest-job p_step2 19 found\n"
    parsed = parse_graph_submit(out)
    assert parsed.job_ids == {"p_step0": "17", "p_step1": "18", "p_step2": "19"}
    assert parsed.how == {"p_step0": "submitted", "p_step1": "recorded", "p_step2": "found"}
    with pytest.raises(SchedulerError, match="unexpected line"):
        parse_graph_submit("hpcest-job p_step0 x17 submitted\n")


# -- content keys -------------------------------------------------------------------------------


def _keys(ws: Workspace, src: Path, target: str = "c", **changes: object) -> dict[str, str]:
    """Each step's reuse key as submission computes it (the plan a submission follows)."""
    plan = dry_run_pipeline(ws, "x", _three(ws, src, target), pipeline_parameters=changes or None)
    return {s.name: s.key for s in plan.steps}


def test_content_keys_are_stable_and_follow_content_parameters_and_target(ws, src) -> None:
    first = _keys(ws, src)
    assert first == _keys(ws, src)
    assert len(set(first.values())) == 3
    with_epochs = _keys(ws, src, epochs=4)
    assert with_epochs["prepare"] == first["prepare"]  # it does not use the parameter
    assert with_epochs["train"] != first["train"] and with_epochs["evaluate"] != first["evaluate"]
    assert _keys(ws, src, "d") != first
    (src / "produce.py").write_text((src / "produce.py").read_text() + "# edited\n")
    assert all(_keys(ws, src)[n] != first[n] for n in first)  # one shared directory: every snapshot


# -- refused before anything is recorded --------------------------------------------------------


def test_submission_refuses_a_cycle_unknown_parameters_and_mixed_targets_recording_nothing(ws, src) -> None:
    with pytest.raises(ValueError, match="Cycle detected including node two"):
        submit_pipeline(ws, "x", graphs.cycle(ws, src, "c"))
    with pytest.raises(UserErrorException, match=r"epoch does not exist.*epochs \(default 3\)"):
        submit_pipeline(ws, "x", _three(ws, src), pipeline_parameters={"epoch": 1})
    a = PythonScriptStep("produce.py", name="a", compute_target="c", source_directory=str(src))
    b = PythonScriptStep("produce.py", name="b", compute_target="d", source_directory=str(src))
    with pytest.raises(UserErrorException, match=r"different compute targets \(c: a; d: b\)"):
        submit_pipeline(ws, "x", Pipeline(ws, [a, b]))
    assert ws.run_store.count() == 0


def test_dry_run_plans_every_step_with_paths_and_scripts_and_records_nothing(ws, src) -> None:
    plan = dry_run_pipeline(ws, "x", _three(ws, src), pipeline_parameters={"epochs": 9}, run_id="x_1_00000000")
    assert [s.name for s in plan.steps] == ["prepare", "train", "evaluate"]
    assert all(s.reused is None and s.script for s in plan.steps)
    assert plan.pipeline_dir == "/w/runs/x_1_00000000"
    train = plan.steps[1]
    assert train.outputs == {"model": f"{plan.pipeline_dir}/data/model"}
    assert "--epochs 9" in (train.script or "")
    assert train.reason == "upstream step prepare runs"
    assert ws.run_store.count() == 0


def test_step_run_ids_stay_unique_job_names_for_long_experiment_names() -> None:
    from hpc_estimator.runs.pipeline_submission import step_run_id
    from hpc_estimator.runs.store import new_run_id

    run_id = new_run_id("e" * 255)
    ids = [step_run_id(run_id, i) for i in range(200)]
    assert len(set(ids)) == 200 and all(len(i) <= 128 for i in ids)
    graph_submit_script([GraphJob(i, f"/w/{i}", f"/w/{i}/job.sbatch") for i in ids])  # names accepted, unique
    assert step_run_id("short_1_abcd", 3) == "short_1_abcd_step3"


def test_parameter_tokens_are_replaced_like_data_tokens_longest_first() -> None:
    """One substitution for both kinds of token: a whole argument, or inside a larger one with the
    longest token first (so $AML_PARAMETER_ab is not eaten by a parameter named a)."""
    from hpc_estimator.compile.command import substitute

    values = {"$AML_PARAMETER_a": "1", "$AML_PARAMETER_ab": "2"}
    assert substitute("$AML_PARAMETER_a", values, prefix="$AML_PARAMETER_") == "1"
    assert substitute("--x=$AML_PARAMETER_ab,$AML_PARAMETER_a", values, prefix="$AML_PARAMETER_") == "--x=2,1"
    assert substitute("--x=$AML_PARAMETER_ab", values) == "--x=$AML_PARAMETER_ab"  # data tokens only by default


def test_the_v1_tokens_and_name_check_are_defined_once() -> None:
    """One definition of the data-reference token and of v1's name check, imported where used."""
    import re

    import hpc_estimator
    from hpc_estimator.v1.pipeline import data as pipeline_data
    from hpc_estimator.v1.pipeline import resolved

    sources = {p: p.read_text() for p in Path(hpc_estimator.__file__).parent.rglob("*.py")}
    for name in ("DATA_REFERENCE_TOKEN", "_NOT_A_NAME"):
        defined = [str(p) for p, text in sources.items() if re.search(rf"^{name} = ", text, re.MULTILINE)]
        assert len(defined) == 1, (name, defined)
    spelled = [str(p) for p, text in sources.items() if 'f"$AZUREML_DATAREFERENCE_{' in text]
    assert spelled == []
    assert resolved.StepInput("in1", "mount", 0, "out").token == "$AZUREML_DATAREFERENCE_in1"
    assert resolved.StepOutput("out1", "out1").token == "$AZUREML_DATAREFERENCE_out1"
    assert str(pipeline_data.PipelineData("raw").as_input("raw_in")) == "$AZUREML_DATAREFERENCE_raw_in"
