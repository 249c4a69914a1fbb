"""Pipeline rules as small cases run by both SDKs: the real v1 one (recorded) and hpcest (tested).

Each case is a function ``case(lib, facts)`` that builds v1 pipeline objects through ``lib`` (one
side's classes by their v1 names plus a few adapters, see ``Lib``) and writes what it observes into
``facts``. The recorder (``record_pipeline.py``, run under the real SDK's interpreter) stores per
case the facts and, when the case raised, the exception's class and message; the test
(``tests/test_pipeline_rules.py``) runs the same case on hpcest and compares. The facts written
before an exception say *when* it was raised (``step_built`` before a Pipeline is constructed).

Only v1's public surface is used in the cases; what can only be seen through internals (which
steps a step runs after, the argument list a step resolved to) goes through ``Lib`` observers, one
implementation per side.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any, Protocol

Facts = dict[str, Any]
_NODE_ID = re.compile(r"\b[0-9a-f]{8}\b")
_CLASS = re.compile(r"<class '(?:[\w.]+\.)?(\w+)'>")


def normalise(text: str, src: str) -> str:
    """An exception message without what differs by nature: graph node ids, module paths, the temp
    dirs (``src`` and the working directory the cases run in, its parent)."""
    text = text.replace(src, "<src>").replace(os.path.dirname(src), "<cwd>")
    return _CLASS.sub(r"<class '\1'>", _NODE_ID.sub("<id>", text))


class Lib(Protocol):
    """One side. Classes by v1 name, plus adapters for what differs by nature."""

    Pipeline: Any
    PipelineData: Any
    PipelineParameter: Any
    StepSequence: Any
    PythonScriptStep: Any
    CommandStep: Any
    EstimatorStep: Any
    MpiStep: Any
    Estimator: Any
    ScriptRunConfig: Any
    RunConfiguration: Any
    MpiConfiguration: Any
    DataReference: Any
    Dataset: Any
    src: str  # a source directory holding train.py

    def workspace(self) -> Any: ...

    def target(self, name: str) -> Any: ...

    def datastore(self, name: str) -> Any: ...

    def file_dataset(self) -> Any: ...

    # observers
    def predecessors(self, pipeline: Any) -> dict[str, list[str]]: ...

    def validate(self, pipeline: Any) -> list[str]: ...

    def check_parameters(self, pipeline: Any, values: dict[str, Any]) -> None: ...

    def parameters(self, pipeline: Any) -> dict[str, Any]: ...

    def argv(self, step: Any) -> list[str]: ...

    def env_parameters(self, step: Any) -> dict[str, str]: ...

    def input_names(self, step: Any) -> list[list[str]]: ...

    def counts(self, step: Any) -> dict[str, Any]: ...


CASES: dict[str, Callable[[Any, Facts], None]] = {}


def case(func: Callable[[Any, Facts], None]) -> Callable[[Any, Facts], None]:
    CASES[func.__name__] = func
    return func


def _script(lib: Any, name: str, **kwargs: Any) -> Any:
    kwargs.setdefault("compute_target", lib.target("cpu"))
    kwargs.setdefault("source_directory", lib.src)
    return lib.PythonScriptStep("train.py", name=name, **kwargs)


# -- PipelineData ---------------------------------------------------------------------------------


@case
def data_empty_name(lib: Any, facts: Facts) -> None:
    lib.PipelineData("")


@case
def data_name_with_dash(lib: Any, facts: Facts) -> None:
    lib.PipelineData("prepared-data")


@case
def data_output_name_with_space(lib: Any, facts: Facts) -> None:
    lib.PipelineData("prepared", output_name="out put")


@case
def data_output_mode_download(lib: Any, facts: Facts) -> None:
    lib.PipelineData("prepared", output_mode="download")


@case
def data_tokens(lib: Any, facts: Facts) -> None:
    data = lib.PipelineData("prepared")
    facts["str"] = str(data)
    facts["env"] = data.get_env_variable_name()
    facts["name"] = data.name
    facts["datastore_none"] = data.datastore is None


@case
def data_bindings(lib: Any, facts: Facts) -> None:
    data = lib.PipelineData("prepared")
    mount = data.as_mount()
    facts["mount"] = [mount.name, mount.bind_mode]
    named = data.as_mount("features")
    facts["named_mount"] = [named.name, named.bind_mode]
    download = data.as_download(input_name="copy", path_on_compute="here")
    facts["download"] = [download.name, download.bind_mode, download.path_on_compute]
    facts["as_input"] = [data.as_input("x").name, data.as_input("x").bind_mode]


@case
def data_binding_mode_upload(lib: Any, facts: Facts) -> None:
    lib.PipelineData("prepared").create_input_binding(mode="upload")


# -- PipelineParameter ------------------------------------------------------------------------------


@case
def parameter_list_default(lib: Any, facts: Facts) -> None:
    lib.PipelineParameter("layers", [1, 2])


@case
def parameter_none_default(lib: Any, facts: Facts) -> None:
    lib.PipelineParameter("layers", None)


@case
def parameter_str(lib: Any, facts: Facts) -> None:
    param = lib.PipelineParameter("epochs", 3)
    facts["str"] = str(param)
    facts["fields"] = [param.name, param.default_value]


# -- step construction ----------------------------------------------------------------------------


@case
def script_step_without_script(lib: Any, facts: Facts) -> None:
    lib.PythonScriptStep(None, compute_target=lib.target("cpu"), source_directory=lib.src)


@case
def script_step_script_not_str(lib: Any, facts: Facts) -> None:
    lib.PythonScriptStep(3, compute_target=lib.target("cpu"), source_directory=lib.src)


@case
def script_step_default_name(lib: Any, facts: Facts) -> None:
    step = lib.PythonScriptStep("train.py", compute_target=lib.target("cpu"), source_directory=lib.src)
    facts["name"] = step.name


@case
def step_input_not_data(lib: Any, facts: Facts) -> None:
    _script(lib, "s", inputs=["/some/path"])


@case
def step_output_not_data(lib: Any, facts: Facts) -> None:
    _script(lib, "s", outputs=[lib.datastore("store").path("x").as_mount()])


@case
def step_input_names_repeated(lib: Any, facts: Facts) -> None:
    a = lib.PipelineData("same")
    b = lib.PipelineData("same")
    _script(lib, "s", inputs=[a, b])


@case
def step_input_name_invalid(lib: Any, facts: Facts) -> None:
    data = lib.PipelineData("prepared")
    _script(lib, "s", inputs=[data.as_input("bad name")])


@case
def step_output_names_repeated(lib: Any, facts: Facts) -> None:
    _script(lib, "s", outputs=[lib.PipelineData("same"), lib.PipelineData("same")])


@case
def step_input_and_output_share_a_name(lib: Any, facts: Facts) -> None:
    source = lib.PipelineData("model")
    producer = _script(lib, "produce", arguments=["--out", source], outputs=[source])
    result = lib.PipelineData("model")
    step = _script(lib, "refine", arguments=["--in", source, "--out", result], inputs=[source], outputs=[result])
    facts["inputs"] = lib.input_names(step)
    pipeline = lib.Pipeline(lib.workspace(), [producer, step])
    facts["argv"] = lib.argv(step)
    facts["predecessors"] = lib.predecessors(pipeline)


@case
def step_argument_not_in_inputs(lib: Any, facts: Facts) -> None:
    _script(lib, "s", arguments=["--data", lib.PipelineData("prepared")])


@case
def step_binding_argument_not_in_inputs(lib: Any, facts: Facts) -> None:
    _script(lib, "s", arguments=["--data", lib.PipelineData("prepared").as_mount()])


@case
def step_datareference_argument_not_in_inputs(lib: Any, facts: Facts) -> None:
    reference = lib.DataReference(lib.datastore("store"), data_reference_name="raw", path_on_datastore="raw")
    _script(lib, "s", arguments=["--data", reference])


@case
def step_params_and_runconfig_params_share_a_name(lib: Any, facts: Facts) -> None:
    _script(
        lib, "s", params={"NodeCount": 1},
        runconfig_pipeline_params={"NodeCount": lib.PipelineParameter("nodes", 1)},
    )


@case
def runconfig_params_value_not_a_parameter(lib: Any, facts: Facts) -> None:
    _script(lib, "s", runconfig_pipeline_params={"NodeCount": 2})


@case
def runconfig_params_unknown_property(lib: Any, facts: Facts) -> None:
    step = _script(lib, "s", runconfig_pipeline_params={"NodeCnt": lib.PipelineParameter("nodes", 2)})
    facts["step_built"] = True
    lib.Pipeline(lib.workspace(), [step])


@case
def runconfig_params_not_parameterizable(lib: Any, facts: Facts) -> None:
    step = _script(lib, "s", runconfig_pipeline_params={"Script": lib.PipelineParameter("script", "a.py")})
    facts["step_built"] = True
    lib.Pipeline(lib.workspace(), [step])


@case
def parameter_name_used_by_params(lib: Any, facts: Facts) -> None:
    _script(lib, "s", params={"epochs": 1}, arguments=["--epochs", lib.PipelineParameter("epochs", 2)])


@case
def parameter_same_name_other_default_in_one_step(lib: Any, facts: Facts) -> None:
    _script(lib, "s", arguments=[lib.PipelineParameter("lr", 0.1), lib.PipelineParameter("lr", 0.2)])


@case
def parameter_same_name_other_default_in_two_steps(lib: Any, facts: Facts) -> None:
    a = _script(lib, "a", arguments=["--lr", lib.PipelineParameter("lr", 0.1)])
    b = _script(lib, "b", arguments=["--lr", lib.PipelineParameter("lr", 0.2)])
    facts["steps_built"] = True
    lib.Pipeline(lib.workspace(), [a, b])


@case
def parameter_in_arguments(lib: Any, facts: Facts) -> None:
    step = _script(lib, "s", arguments=["--epochs", lib.PipelineParameter("epochs", 3), "--lr", 0.1])
    pipeline = lib.Pipeline(lib.workspace(), [step])
    facts["argv"] = lib.argv(step)
    facts["env"] = lib.env_parameters(step)
    facts["parameters"] = lib.parameters(pipeline)


@case
def parameter_string_reference_in_arguments(lib: Any, facts: Facts) -> None:
    step = _script(lib, "s", arguments=["--mode", "parameter:mode", "--other", "parameter:nothing"],
                   params={"mode": "fast"})
    lib.Pipeline(lib.workspace(), [step])
    facts["argv"] = lib.argv(step)
    facts["env"] = lib.env_parameters(step)


@case
def params_become_environment(lib: Any, facts: Facts) -> None:
    step = _script(lib, "s", params={"alpha": 1, "beta-x": "b", "gamma": lib.PipelineParameter("gamma", 0.5)})
    pipeline = lib.Pipeline(lib.workspace(), [step])
    facts["env"] = lib.env_parameters(step)
    facts["parameters"] = lib.parameters(pipeline)


@case
def output_argument_with_output_name(lib: Any, facts: Facts) -> None:
    data = lib.PipelineData("prepared", output_name="prepared_out")
    step = _script(lib, "s", arguments=["--out", data], outputs=[data])
    lib.Pipeline(lib.workspace(), [step])
    facts["argv"] = lib.argv(step)


# -- pipelines ------------------------------------------------------------------------------------


@case
def pipeline_unknown_keyword(lib: Any, facts: Facts) -> None:
    lib.Pipeline(lib.workspace(), [_script(lib, "s")], colour="blue")


@case
def pipeline_input_without_producer(lib: Any, facts: Facts) -> None:
    data = lib.PipelineData("prepared")
    step = _script(lib, "train", arguments=["--data", data], inputs=[data])
    facts["step_built"] = True
    lib.Pipeline(lib.workspace(), [step])


@case
def pipeline_output_of_two_steps(lib: Any, facts: Facts) -> None:
    data = lib.PipelineData("prepared")
    first = _script(lib, "first", outputs=[data])
    second = _script(lib, "second", outputs=[data])
    facts["steps_built"] = True
    lib.Pipeline(lib.workspace(), [first, second])


@case
def pipeline_data_cycle(lib: Any, facts: Facts) -> None:
    a, b = lib.PipelineData("a"), lib.PipelineData("b")
    one = _script(lib, "one", arguments=["--in", b, "--out", a], inputs=[b], outputs=[a])
    two = _script(lib, "two", arguments=["--in", a, "--out", b], inputs=[a], outputs=[b])
    pipeline = lib.Pipeline(lib.workspace(), [one, two])
    facts["pipeline_built"] = True
    facts["validate"] = lib.validate(pipeline)


@case
def pipeline_run_after_cycle(lib: Any, facts: Facts) -> None:
    one, two = _script(lib, "one"), _script(lib, "two")
    one.run_after(two)
    two.run_after(one)
    pipeline = lib.Pipeline(lib.workspace(), [one, two])
    facts["pipeline_built"] = True
    facts["validate"] = lib.validate(pipeline)


@case
def pipeline_valid_validates_empty(lib: Any, facts: Facts) -> None:
    data = lib.PipelineData("prepared")
    one = _script(lib, "one", arguments=["--out", data], outputs=[data])
    two = _script(lib, "two", arguments=["--in", data], inputs=[data])
    facts["validate"] = lib.validate(lib.Pipeline(lib.workspace(), [one, two]))


@case
def pipeline_closure_brings_in_producers(lib: Any, facts: Facts) -> None:
    data = lib.PipelineData("prepared")
    first = _script(lib, "first")
    producer = _script(lib, "produce", arguments=["--out", data], outputs=[data])
    producer.run_after(first)
    consumer = _script(lib, "consume", arguments=["--in", data], inputs=[data])
    facts["predecessors"] = lib.predecessors(lib.Pipeline(lib.workspace(), [consumer]))


@case
def pipeline_without_closure(lib: Any, facts: Facts) -> None:
    data = lib.PipelineData("prepared")
    _script(lib, "produce", arguments=["--out", data], outputs=[data])
    consumer = _script(lib, "consume", arguments=["--in", data], inputs=[data])
    facts["step_built"] = True
    lib.Pipeline(lib.workspace(), [consumer], resolve_closure=False)


@case
def pipeline_same_step_twice(lib: Any, facts: Facts) -> None:
    step = _script(lib, "only")
    facts["predecessors"] = lib.predecessors(lib.Pipeline(lib.workspace(), [step, step]))


@case
def pipeline_steps_with_one_name(lib: Any, facts: Facts) -> None:
    pipeline = lib.Pipeline(lib.workspace(), [_script(lib, "same"), _script(lib, "same")])
    facts["predecessors"] = lib.predecessors(pipeline)


@case
def pipeline_two_outputs_with_one_name(lib: Any, facts: Facts) -> None:
    a, b = lib.PipelineData("out"), lib.PipelineData("out")
    one = _script(lib, "one", arguments=["--out", a], outputs=[a])
    two = _script(lib, "two", arguments=["--out", b], outputs=[b])
    three = _script(lib, "three", arguments=["--a", a, "--b", b], inputs=[a.as_input("a"), b.as_input("b")])
    pipeline = lib.Pipeline(lib.workspace(), [one, two, three])
    facts["predecessors"] = lib.predecessors(pipeline)
    facts["argv"] = lib.argv(three)


@case
def pipeline_run_after_and_data(lib: Any, facts: Facts) -> None:
    data = lib.PipelineData("prepared")
    prepare = _script(lib, "prepare", arguments=["--out", data], outputs=[data])
    check = _script(lib, "check")
    copied = data.as_download()
    train = _script(lib, "train", arguments=["--in", copied], inputs=[copied])
    train.run_after(check)
    pipeline = lib.Pipeline(lib.workspace(), [prepare, check, train])
    facts["predecessors"] = lib.predecessors(pipeline)
    facts["inputs"] = lib.input_names(train)
    facts["argv"] = lib.argv(train)


@case
def step_bindings_compare_by_identity(lib: Any, facts: Facts) -> None:
    data = lib.PipelineData("prepared")
    _script(lib, "train", arguments=["--in", data.as_download()], inputs=[data.as_download()])


@case
def step_runconfig_is_a_script_run_config(lib: Any, facts: Facts) -> None:
    config = lib.ScriptRunConfig(source_directory=lib.src, script="train.py")
    step = lib.PythonScriptStep("train.py", name="s", runconfig=config, compute_target=lib.target("cpu"),
                                source_directory=lib.src)
    facts["step_built"] = True
    lib.Pipeline(lib.workspace(), [step])


@case
def pipeline_example_graph(lib: Any, facts: Facts) -> None:
    raw = lib.DataReference(lib.datastore("store"), data_reference_name="raw", path_on_datastore="raw")
    prepared = lib.PipelineData("prepared")
    model = lib.PipelineData("model")
    prepare = _script(lib, "prepare", arguments=["--raw", raw, "--out", prepared], inputs=[raw], outputs=[prepared])
    est = _estimator(lib, node_count=2, distributed_training=lib.MpiConfiguration(), process_count_per_node=2)
    train = lib.EstimatorStep(name="train", estimator=est, compute_target=lib.target("cpu"),
                              estimator_entry_script_arguments=["--data", prepared, "--model", model],
                              inputs=[prepared], outputs=[model])
    copy = prepared.as_download("copy")
    evaluate = lib.CommandStep(["python evaluate.py --model", model, "--data", copy],
                               name="evaluate", inputs=[model, copy],
                               compute_target=lib.target("cpu"), source_directory=lib.src)
    facts["steps_built"] = True
    pipeline = lib.Pipeline(lib.workspace(), [evaluate])
    facts["predecessors"] = lib.predecessors(pipeline)
    facts["argv"] = {s.name: lib.argv(s) for s in (prepare, train, evaluate)}
    facts["inputs"] = {s.name: lib.input_names(s) for s in (prepare, train, evaluate)}
    facts["counts"] = lib.counts(train)


@case
def pipeline_example_graph_one_binding(lib: Any, facts: Facts) -> None:
    prepared = lib.PipelineData("prepared")
    prepare = _script(lib, "prepare", arguments=["--out", prepared], outputs=[prepared])
    copy = prepared.as_download("copy")
    evaluate = lib.CommandStep(["python evaluate.py --data", copy], name="evaluate", inputs=[copy],
                               compute_target=lib.target("cpu"), source_directory=lib.src)
    pipeline = lib.Pipeline(lib.workspace(), [evaluate, prepare])
    facts["predecessors"] = lib.predecessors(pipeline)
    facts["argv"] = lib.argv(evaluate)
    facts["inputs"] = lib.input_names(evaluate)


@case
def estimator_step_leaves_estimator(lib: Any, facts: Facts) -> None:
    reference = lib.DataReference(lib.datastore("store"), data_reference_name="raw", path_on_datastore="raw")
    est = _estimator(lib, inputs=[reference])
    lib.EstimatorStep(name="train", estimator=est, estimator_entry_script_arguments=[],
                      compute_target=lib.target("cpu"))
    facts["estimator_target_cleared"] = est.run_config.target is None
    facts["estimator_data_references_cleared"] = not est.run_config.data_references


@case
def step_sequence_orders_steps(lib: Any, facts: Facts) -> None:
    a, b, c, d = (_script(lib, n) for n in "abcd")
    sequence = lib.StepSequence(steps=[a, [b, c], d])
    facts["predecessors"] = lib.predecessors(lib.Pipeline(lib.workspace(), sequence))


@case
def step_sequence_inside_a_list(lib: Any, facts: Facts) -> None:
    a, b, c = (_script(lib, n) for n in "abc")
    facts["predecessors"] = lib.predecessors(lib.Pipeline(lib.workspace(), [lib.StepSequence([a, b]), c]))


@case
def pipeline_parameter_unknown_at_submit(lib: Any, facts: Facts) -> None:
    step = _script(lib, "s", arguments=["--epochs", lib.PipelineParameter("epochs", 3)])
    pipeline = lib.Pipeline(lib.workspace(), [step])
    facts["pipeline_built"] = True
    lib.check_parameters(pipeline, {"epochs": 5})
    facts["known_accepted"] = True
    lib.check_parameters(pipeline, {"epoch": 5})


@case
def pipeline_parameter_dataset_value_for_scalar(lib: Any, facts: Facts) -> None:
    step = _script(lib, "s", arguments=["--epochs", lib.PipelineParameter("epochs", 3)])
    pipeline = lib.Pipeline(lib.workspace(), [step])
    facts["pipeline_built"] = True
    lib.check_parameters(pipeline, {"epochs": lib.file_dataset()})


# -- EstimatorStep --------------------------------------------------------------------------------


def _estimator(lib: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("compute_target", lib.target("cpu"))
    return lib.Estimator(source_directory=lib.src, entry_script="train.py", **kwargs)


@case
def estimator_step_without_estimator(lib: Any, facts: Facts) -> None:
    lib.EstimatorStep(name="train", estimator_entry_script_arguments=[], compute_target=lib.target("cpu"))


@case
def estimator_step_without_target(lib: Any, facts: Facts) -> None:
    lib.EstimatorStep(name="train", estimator=_estimator(lib), estimator_entry_script_arguments=[])


@case
def estimator_step_estimator_with_script_params(lib: Any, facts: Facts) -> None:
    est = _estimator(lib, script_params={"--epochs": 3})
    lib.EstimatorStep(name="train", estimator=est, estimator_entry_script_arguments=[],
                      compute_target=lib.target("cpu"))


@case
def estimator_step_without_arguments(lib: Any, facts: Facts) -> None:
    lib.EstimatorStep(name="train", estimator=_estimator(lib), compute_target=lib.target("cpu"))


@case
def estimator_step_estimator_with_dataset_input(lib: Any, facts: Facts) -> None:
    est = _estimator(lib, inputs=[lib.file_dataset().as_named_input("images").as_mount()])
    lib.EstimatorStep(name="train", estimator=est, estimator_entry_script_arguments=[],
                      compute_target=lib.target("cpu"))


@case
def estimator_step_not_an_estimator(lib: Any, facts: Facts) -> None:
    config = lib.ScriptRunConfig(source_directory=lib.src, script="train.py")
    lib.EstimatorStep(name="train", estimator=config, estimator_entry_script_arguments=[],
                      compute_target=lib.target("cpu"))


@case
def estimator_step_default_name(lib: Any, facts: Facts) -> None:
    step = lib.EstimatorStep(estimator=_estimator(lib), estimator_entry_script_arguments=[],
                             compute_target=lib.target("cpu"))
    facts["name"] = step.name


@case
def estimator_step_drops_estimator_data_references(lib: Any, facts: Facts) -> None:
    reference = lib.DataReference(lib.datastore("store"), data_reference_name="raw", path_on_datastore="raw")
    est = _estimator(lib, inputs=[reference])
    step = lib.EstimatorStep(name="train", estimator=est, estimator_entry_script_arguments=["--n", 1],
                             compute_target=lib.target("cpu"))
    lib.Pipeline(lib.workspace(), [step])
    facts["inputs"] = lib.input_names(step)
    facts["argv"] = lib.argv(step)


@case
def estimator_step_mpi_counts(lib: Any, facts: Facts) -> None:
    est = _estimator(lib, node_count=2, distributed_training=lib.MpiConfiguration(), process_count_per_node=1)
    nodes = lib.PipelineParameter("nodes", 3)
    step = lib.EstimatorStep(name="train", estimator=est, estimator_entry_script_arguments=[],
                             runconfig_pipeline_params={"NodeCount": nodes}, compute_target=lib.target("cpu"))
    pipeline = lib.Pipeline(lib.workspace(), [step])
    facts["counts"] = lib.counts(step)
    facts["parameters"] = lib.parameters(pipeline)


# -- CommandStep ----------------------------------------------------------------------------------


@case
def command_step_without_command(lib: Any, facts: Facts) -> None:
    lib.CommandStep(compute_target=lib.target("cpu"))


@case
def command_step_script_run_config_with_script(lib: Any, facts: Facts) -> None:
    config = lib.ScriptRunConfig(source_directory=lib.src, script="train.py")
    lib.CommandStep(runconfig=config, compute_target=lib.target("cpu"))


@case
def command_step_default_name_from_string(lib: Any, facts: Facts) -> None:
    step = lib.CommandStep("python train.py --epochs 3", compute_target=lib.target("cpu"), source_directory=lib.src)
    facts["name"] = step.name


@case
def command_step_default_name_from_list(lib: Any, facts: Facts) -> None:
    step = lib.CommandStep(["python -u train.py", "--epochs", 3], compute_target=lib.target("cpu"),
                           source_directory=lib.src)
    facts["name"] = step.name


@case
def command_step_missing_source_directory(lib: Any, facts: Facts) -> None:
    lib.CommandStep("python train.py", compute_target=lib.target("cpu"), source_directory="no-such-directory")


@case
def command_step_string_is_split(lib: Any, facts: Facts) -> None:
    step = lib.CommandStep("python train.py --title 'a b' --n 3", name="c", compute_target=lib.target("cpu"),
                           source_directory=lib.src)
    lib.Pipeline(lib.workspace(), [step])
    facts["argv"] = lib.argv(step)


@case
def command_step_list_first_item_is_split(lib: Any, facts: Facts) -> None:
    data = lib.PipelineData("prepared")
    step = lib.CommandStep(["python -u train.py", "--title", "a b", "--out", data, "--n", 3], name="c",
                           outputs=[data], compute_target=lib.target("cpu"), source_directory=lib.src)
    lib.Pipeline(lib.workspace(), [step])
    facts["argv"] = lib.argv(step)


@case
def command_step_from_script_run_config(lib: Any, facts: Facts) -> None:
    config = lib.ScriptRunConfig(source_directory=lib.src, command=["python", "train.py", "--n", 2])
    step = lib.CommandStep(name="c", runconfig=config, compute_target=lib.target("cpu"))
    lib.Pipeline(lib.workspace(), [step])
    facts["argv"] = lib.argv(step)


@case
def command_step_from_run_configuration_command(lib: Any, facts: Facts) -> None:
    rc = lib.RunConfiguration(command="python train.py --from-rc")
    step = lib.CommandStep(name="c", runconfig=rc, compute_target=lib.target("cpu"), source_directory=lib.src)
    lib.Pipeline(lib.workspace(), [step])
    facts["argv"] = lib.argv(step)


# -- MpiStep --------------------------------------------------------------------------------------


@case
def mpi_step_missing_parameter(lib: Any, facts: Facts) -> None:
    lib.MpiStep(name="m", source_directory=lib.src, script_name="train.py", arguments=[],
                compute_target=lib.target("cpu"), node_count=2)


@case
def mpi_step_counts(lib: Any, facts: Facts) -> None:
    step = lib.MpiStep(name="m", source_directory=lib.src, script_name="train.py", arguments=["--x", 1],
                       compute_target=lib.target("cpu"), node_count=lib.PipelineParameter("nodes", 2),
                       process_count_per_node=2, environment_variables={"MODE": "fast"})
    pipeline = lib.Pipeline(lib.workspace(), [step])
    facts["counts"] = lib.counts(step)
    facts["parameters"] = lib.parameters(pipeline)
    facts["env"] = lib.env_parameters(step)
    facts["argv"] = lib.argv(step)


@case
def script_step_script_missing(lib: Any, facts: Facts) -> None:
    step = lib.PythonScriptStep("missing.py", name="s", compute_target=lib.target("cpu"), source_directory=lib.src)
    facts["step_built"] = True
    lib.Pipeline(lib.workspace(), [step])


@case
def script_step_uses_default_source_directory(lib: Any, facts: Facts) -> None:
    step = lib.PythonScriptStep("train.py", name="s", compute_target=lib.target("cpu"))
    facts["step_built"] = True
    lib.Pipeline(lib.workspace(), [step], default_source_directory=lib.src)
    facts["pipeline_built"] = True
    lib.Pipeline(lib.workspace(), [lib.PythonScriptStep("train.py", name="t", compute_target=lib.target("cpu"))])


@case
def pipeline_steps_as_a_tuple(lib: Any, facts: Facts) -> None:
    lib.Pipeline(lib.workspace(), (_script(lib, "a"), _script(lib, "b")))
