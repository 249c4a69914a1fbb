"""HyperDriveStep and TrainingOutput rules as small cases run by both SDKs (recorded from v1, tested on hpcest).

Same scheme as ``pipeline_cases``: each ``case(lib, facts)`` builds objects through ``lib`` (one side's
classes by their v1 names) and writes what it observes into ``facts``; the recorder
(``record_hyperdrive_step.py``, run under the real SDK's interpreter) stores the facts and the
exception a case raised; ``tests/test_hyperdrive_step_rules.py`` runs the cases on hpcest and compares.
Only constructors are exercised: building a v1 Pipeline around a HyperDriveStep calls the service
(``create_node`` builds the HyperDrive experiment DTO through the workspace), so nothing here does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Facts = dict[str, Any]
CASES: dict[str, Callable[[Any, Facts], None]] = {}


def case(func: Callable[[Any, Facts], None]) -> Callable[[Any, Facts], None]:
    CASES[func.__name__] = func
    return func


def _estimator(lib: Any, **kwargs: Any) -> Any:
    return lib.Estimator(source_directory=lib.src, entry_script="train.py", compute_target=lib.target("cpu"),
                         **kwargs)


def _config(lib: Any, *, estimator: Any = None, run_config: Any = None) -> Any:
    if estimator is None and run_config is None:
        estimator = _estimator(lib)
    return lib.HyperDriveConfig(
        estimator=estimator, run_config=run_config,
        hyperparameter_sampling=lib.GridParameterSampling({"--lr": lib.choice(0.1, 0.2, 0.3)}),
        primary_metric_name="accuracy", primary_metric_goal=lib.PrimaryMetricGoal.MAXIMIZE, max_total_runs=3,
    )


def _src(lib: Any, arguments: Any = None) -> Any:
    return lib.ScriptRunConfig(source_directory=lib.src, script="train.py", arguments=arguments,
                               compute_target=lib.target("cpu"))


def _outputs(step: Any) -> list[list[Any]]:
    rows = []
    for output in step._outputs:
        training = output._training_output
        rows.append([output.name, None if training is None else training.type,
                     None if training is None else training.model_file])
    return rows


# -- TrainingOutput -------------------------------------------------------------------------------


@case
def training_output_metrics(lib: Any, facts: Facts) -> None:
    out = lib.TrainingOutput("Metrics")
    facts["fields"] = [out.type, out.iteration, out.metric, out.model_file]


@case
def training_output_metrics_with_iteration(lib: Any, facts: Facts) -> None:
    lib.TrainingOutput("Metrics", iteration=3)


@case
def training_output_metrics_with_metric(lib: Any, facts: Facts) -> None:
    lib.TrainingOutput("metrics", metric="accuracy")


@case
def training_output_model_file(lib: Any, facts: Facts) -> None:
    out = lib.TrainingOutput("Model", model_file="outputs/model.pkl")
    facts["fields"] = [out.type, out.iteration, out.metric, out.model_file]


@case
def training_output_model_lowercase(lib: Any, facts: Facts) -> None:
    out = lib.TrainingOutput("model", metric="accuracy")
    facts["fields"] = [out.type, out.iteration, out.metric, out.model_file]


@case
def training_output_model_iteration_and_metric(lib: Any, facts: Facts) -> None:
    lib.TrainingOutput("Model", iteration=1, metric="accuracy")


@case
def training_output_unknown_type(lib: Any, facts: Facts) -> None:
    lib.TrainingOutput("Best")


@case
def pipeline_data_carries_training_output(lib: Any, facts: Facts) -> None:
    data = lib.PipelineData("model", pipeline_output_name="best_model",
                            training_output=lib.TrainingOutput("Model", model_file="outputs/model.pkl"))
    facts["training_output"] = [data._training_output.type, data._training_output.model_file]


# -- HyperDriveStep: name and config --------------------------------------------------------------


@case
def step_name_none(lib: Any, facts: Facts) -> None:
    lib.HyperDriveStep(None, _config(lib), estimator_entry_script_arguments=[])


@case
def step_name_not_a_string(lib: Any, facts: Facts) -> None:
    lib.HyperDriveStep(7, _config(lib), estimator_entry_script_arguments=[])


@case
def step_config_none(lib: Any, facts: Facts) -> None:
    lib.HyperDriveStep("hd", None, estimator_entry_script_arguments=[])


@case
def step_config_wrong_type(lib: Any, facts: Facts) -> None:
    lib.HyperDriveStep("hd", _estimator(lib), estimator_entry_script_arguments=[])


# -- HyperDriveStep: arguments --------------------------------------------------------------------


@case
def step_estimator_arguments_missing(lib: Any, facts: Facts) -> None:
    lib.HyperDriveStep("hd", _config(lib))


@case
def step_estimator_arguments_tuple(lib: Any, facts: Facts) -> None:
    lib.HyperDriveStep("hd", _config(lib), estimator_entry_script_arguments=("--epochs", "3"))


@case
def step_estimator_arguments_list(lib: Any, facts: Facts) -> None:
    step = lib.HyperDriveStep("hd", _config(lib), estimator_entry_script_arguments=["--epochs", 3])
    facts["arguments"] = [str(a) for a in step._arguments]
    facts["name"] = step.name


@case
def step_estimator_with_script_params(lib: Any, facts: Facts) -> None:
    est = _estimator(lib, script_params={"--epochs": 3})
    lib.HyperDriveStep("hd", _config(lib, estimator=est), estimator_entry_script_arguments=[])


@case
def step_estimator_with_inputs(lib: Any, facts: Facts) -> None:
    ref = lib.DataReference(lib.datastore("blob"), data_reference_name="raw", path_on_datastore="raw")
    est = _estimator(lib, inputs=[ref])
    lib.HyperDriveStep("hd", _config(lib, estimator=est), estimator_entry_script_arguments=[])


@case
def step_script_run_config_arguments(lib: Any, facts: Facts) -> None:
    step = lib.HyperDriveStep("hd", _config(lib, run_config=_src(lib, ["--epochs", 3])))
    facts["arguments"] = [str(a) for a in step._arguments]


@case
def step_script_run_config_no_arguments(lib: Any, facts: Facts) -> None:
    step = lib.HyperDriveStep("hd", _config(lib, run_config=_src(lib)))
    facts["arguments"] = [str(a) for a in step._arguments]


@case
def step_script_run_config_and_step_arguments(lib: Any, facts: Facts) -> None:
    lib.HyperDriveStep("hd", _config(lib, run_config=_src(lib, ["--epochs", 3])),
                       estimator_entry_script_arguments=["--epochs", 4])


@case
def step_script_run_config_without_arguments_and_step_arguments(lib: Any, facts: Facts) -> None:
    step = lib.HyperDriveStep("hd", _config(lib, run_config=_src(lib)), estimator_entry_script_arguments=["--x", 1])
    facts["arguments"] = [str(a) for a in step._arguments]


@case
def step_argument_not_in_outputs(lib: Any, facts: Facts) -> None:
    data = lib.PipelineData("features")
    lib.HyperDriveStep("hd", _config(lib), estimator_entry_script_arguments=["--data", data])


@case
def step_argument_is_input(lib: Any, facts: Facts) -> None:
    data = lib.PipelineData("features")
    step = lib.HyperDriveStep("hd", _config(lib), estimator_entry_script_arguments=["--data", data], inputs=[data])
    facts["arguments"] = [str(a) for a in step._arguments]


# -- HyperDriveStep: outputs and metrics_output ---------------------------------------------------


@case
def step_metrics_output_pipeline_data(lib: Any, facts: Facts) -> None:
    metrics = lib.PipelineData("metrics")
    model = lib.PipelineData("model", training_output=lib.TrainingOutput("Model", model_file="outputs/model.pkl"))
    step = lib.HyperDriveStep("hd", _config(lib), estimator_entry_script_arguments=[], outputs=[model],
                              metrics_output=metrics)
    facts["outputs"] = _outputs(step)


@case
def step_metrics_output_replaces_training_output(lib: Any, facts: Facts) -> None:
    metrics = lib.PipelineData("metrics", training_output=lib.TrainingOutput("Model", model_file="m.pkl"))
    step = lib.HyperDriveStep("hd", _config(lib), estimator_entry_script_arguments=[], metrics_output=metrics)
    facts["outputs"] = _outputs(step)


@case
def step_metrics_output_string(lib: Any, facts: Facts) -> None:
    lib.HyperDriveStep("hd", _config(lib), estimator_entry_script_arguments=[], metrics_output="metrics")


@case
def step_metrics_output_also_in_outputs(lib: Any, facts: Facts) -> None:
    metrics = lib.PipelineData("metrics")
    lib.HyperDriveStep("hd", _config(lib), estimator_entry_script_arguments=[], outputs=[metrics],
                       metrics_output=metrics)


@case
def step_output_string(lib: Any, facts: Facts) -> None:
    lib.HyperDriveStep("hd", _config(lib), estimator_entry_script_arguments=[], outputs=["model"])


@case
def step_output_without_training_output(lib: Any, facts: Facts) -> None:
    step = lib.HyperDriveStep("hd", _config(lib), estimator_entry_script_arguments=[],
                              outputs=[lib.PipelineData("plain")])
    facts["outputs"] = _outputs(step)


@case
def step_output_bad_name(lib: Any, facts: Facts) -> None:
    data = lib.PipelineData("model", output_name="best model")
    lib.HyperDriveStep("hd", _config(lib), estimator_entry_script_arguments=[], outputs=[data])


@case
def step_input_string(lib: Any, facts: Facts) -> None:
    lib.HyperDriveStep("hd", _config(lib), estimator_entry_script_arguments=[], inputs=["raw"])


@case
def step_allow_reuse_not_bool(lib: Any, facts: Facts) -> None:
    step = lib.HyperDriveStep("hd", _config(lib), estimator_entry_script_arguments=[], allow_reuse="no",
                              version=2)
    facts["allow_reuse"] = step._allow_reuse
    facts["version"] = step._version


@case
def step_run_after(lib: Any, facts: Facts) -> None:
    first = lib.HyperDriveStep("hd1", _config(lib), estimator_entry_script_arguments=[])
    second = lib.HyperDriveStep("hd2", _config(lib), estimator_entry_script_arguments=[])
    second.run_after(first)
    facts["after"] = [s.name for s in second.run_after_steps]
