"""``PipelineData.as_dataset()``: a promoted step output is the PipelineData's own directory on Slurm.

The same three-step pipeline is written twice, once with PipelineData and once with the promoted
form v1 documents (``PipelineData(...).as_dataset()`` passed as the producer's output and the
consumer's input, ``as_named_input(...).as_download()`` for a download): both must plan identical
jobs (same order, paths, scripts).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hpc_estimator import CommandStep, Pipeline, PipelineData, PythonScriptStep, Workspace
from hpc_estimator.errors import UserErrorException
from hpc_estimator.runs.pipeline_submission import dry_run_pipeline
from hpc_estimator.v1.pipeline.output_dataset import PipelineOutputFileDataset
from tests import pipeline_graphs as graphs


@pytest.fixture
def ws(tmp_path: Path):
    workspace = Workspace.create(tmp_path / "ws", name="output-dataset")
    workspace.add_profile("c", {"transport": "ssh", "host": "login", "workdir": "/w", "container_runtime": "none"})
    yield workspace
    workspace.close()


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return graphs.write_scripts(tmp_path / "src")


def _pipeline(ws: Workspace, src: Path, *, promoted: bool) -> Pipeline:
    raw_data, model_data = PipelineData("raw"), PipelineData("model")
    raw: object = raw_data.as_dataset() if promoted else raw_data
    model: object = model_data.as_dataset() if promoted else model_data
    common = {"compute_target": "c", "source_directory": str(src), "runconfig": graphs.bare()}
    prepare = PythonScriptStep("produce.py", name="prepare", arguments=["--out", raw], outputs=[raw], **common)
    train = PythonScriptStep("transform.py", name="train", arguments=["--in", raw, "--out", model],
                             inputs=[raw], outputs=[model], **common)  # fmt: skip
    copy = model.as_named_input("copy").as_download() if promoted else model_data.as_download("copy")  # type: ignore[attr-defined]
    evaluate = CommandStep(["python join.py", copy], name="evaluate", inputs=[copy], **common)
    return Pipeline(ws, [evaluate, train, prepare])


def test_a_promoted_output_plans_the_same_jobs_as_its_pipeline_data(ws, src) -> None:
    plain = dry_run_pipeline(ws, "x", _pipeline(ws, src, promoted=False), run_id="x_1_00000000")
    promoted = dry_run_pipeline(ws, "x", _pipeline(ws, src, promoted=True), run_id="x_1_00000000")
    assert [s.name for s in promoted.steps] == ["prepare", "train", "evaluate"]
    for a, b in zip(plain.steps, promoted.steps):
        assert (a.name, a.outputs, a.reason) == (b.name, b.outputs, b.reason)
        assert a.script == b.script, a.name
    assert ws.run_store.count() == 0


def test_v1_names_of_a_promoted_output() -> None:
    # As recorded from azureml-pipeline-core 1.62.0: input_name is the output's name until as_named_input,
    # which keeps the name; every call returns a PipelineOutputFileDataset.
    promoted = PipelineData("x").as_dataset()
    assert isinstance(promoted, PipelineOutputFileDataset)
    assert (promoted.name, promoted.input_name) == ("x", "x")
    named = promoted.as_named_input("n")
    assert (named.name, named.input_name) == ("x", "n")
    assert isinstance(named.as_mount(), PipelineOutputFileDataset)
    # create_input_binding: a new InputPortBinding on every call, named after input_name.
    binding = named.create_input_binding()
    assert binding is not named.create_input_binding()
    assert (binding.name, binding.bind_mode, binding.path_on_compute, str(binding)) == (
        "n", "mount", None, "$AZUREML_DATAREFERENCE_n"
    )
    assert binding.bind_object is promoted._pipeline_data
    download = named.as_download("/p").create_input_binding()
    assert (download.name, download.bind_mode, download.path_on_compute) == ("n", "download", "/p")


def test_v1_refuses_an_argument_binding_made_apart_from_the_input(src) -> None:
    # As recorded from azureml-pipeline-core 1.62.0: the promoted output in inputs=, its own
    # create_input_binding() in arguments= is another object, not an input of the step.
    named = PipelineData("x").as_dataset().as_named_input("n")
    with pytest.raises(ValueError, match="Input n appears in arguments list but is not in the input list"):
        PythonScriptStep("produce.py", source_directory=str(src), compute_target="c", inputs=[named],
                         arguments=["--in", named.create_input_binding()])


def test_a_step_sees_one_binding_per_promoted_output() -> None:
    """hpcest's own: steps match the arguments they read to their inputs by identity, so a promoted
    output given in both inputs= and arguments= must be the same binding in both."""
    from hpc_estimator.v1.pipeline.output_dataset import as_port

    named = PipelineData("x").as_dataset().as_named_input("n")
    assert as_port(named) is as_port(named)
    assert as_port(named) is not named.create_input_binding()
    assert as_port(PipelineData("y").as_dataset()).__class__ is PipelineData  # v1's defaults: the PipelineData


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda d: d.parse_delimited_files(), "TabularDataset"),
        (lambda d: d.parse_parquet_files(), "TabularDataset"),
        (lambda d: d.register("name"), "get_output_data"),
        (lambda d: d.as_direct(), "as_mount()"),
    ],
    ids=["parse_delimited_files", "parse_parquet_files", "register", "as_direct"],
)
def test_what_needs_azures_dataset_service_is_refused_with_the_fix(call, words) -> None:
    with pytest.raises(UserErrorException, match=words.replace("(", r"\(").replace(")", r"\)")):
        call(PipelineData("x").as_dataset())
