"""Record what the real Azure ML SDK v1 does for the pipeline cases and pipeline class signatures.

Runs under the real SDK's interpreter only (never a project dependency, never in CI)::

    /work/v1sdk/bin/python -m tests.v1_reference.record_pipeline      # from the worktree root

writes ``tests/data/v1_reference/pipeline_rules.json`` (per case of ``pipeline_cases``: the facts it
observed and the exception it raised, if any) and ``tests/data/azureml_v1_pipeline_signatures.json``
(constructor and method signatures, by ``inspect.signature`` on the installed wheels, of the pipeline
classes ``azureml_v1_signatures.json`` does not have: StepSequence, PipelineRun, StepRun). The venv
holds azureml-pipeline-core/steps 1.62.0 next to azureml-core 1.61.0.post4.

No Azure service is contacted: the workspace, its default datastore and the compute target are
stand-ins built without a connection (v1 reads only their names and types while it builds and
validates a graph), and the graph's workflow provider is a stub; nothing is submitted.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import tempfile
from importlib import metadata
from typing import Any
from unittest import mock

from .pipeline_cases import CASES, normalise
from .recording import quiet, record_cases, recorded, write_json

HERE = os.path.dirname(__file__)
RULES_OUT = os.path.join(HERE, "..", "data", "v1_reference", "pipeline_rules.json")
SIGNATURES_OUT = os.path.join(HERE, "..", "data", "azureml_v1_pipeline_signatures.json")
class V1:
    """The v1 side of ``pipeline_cases.Lib``."""

    def __init__(self, src: str) -> None:
        from azureml.core import Dataset, RunConfiguration, ScriptRunConfig, Workspace
        from azureml.core.runconfig import MpiConfiguration
        from azureml.data.azure_storage_datastore import AzureBlobDatastore
        from azureml.data.data_reference import DataReference
        from azureml.pipeline.core import Pipeline, PipelineData, PipelineParameter, StepSequence
        from azureml.pipeline.steps import CommandStep, EstimatorStep, MpiStep, PythonScriptStep
        from azureml.train.estimator import Estimator

        self.Pipeline = self._with_provider(Pipeline)
        self.PipelineData, self.PipelineParameter, self.StepSequence = PipelineData, PipelineParameter, StepSequence
        self.PythonScriptStep, self.CommandStep, self.EstimatorStep, self.MpiStep = (
            PythonScriptStep, CommandStep, EstimatorStep, MpiStep,
        )
        self.Estimator, self.ScriptRunConfig, self.RunConfiguration = Estimator, ScriptRunConfig, RunConfiguration
        self.MpiConfiguration, self.DataReference, self.Dataset = MpiConfiguration, DataReference, Dataset
        self._Workspace, self._Blob = Workspace, AzureBlobDatastore
        self.src = src

    @staticmethod
    def _with_provider(pipeline_class: Any) -> Any:
        def make(workspace: Any, steps: Any, *args: Any, **kwargs: Any) -> Any:
            provider = mock.MagicMock()
            provider._service_caller._service_endpoint = "https://service.invalid"
            return pipeline_class(workspace, steps, *args, _workflow_provider=provider, **kwargs)

        return make

    def workspace(self) -> Any:
        ws = object.__new__(self._Workspace)
        for key, value in {"_subscription_id": "0" * 8, "_resource_group": "rg", "_workspace_name": "ws",
                           "_auth": mock.MagicMock(), "_service_context": mock.MagicMock()}.items():
            with contextlib.suppress(AttributeError):  # read-only properties keep their defaults
                setattr(ws, key, value)
        default = self.datastore("workspaceblobstore")
        ws.get_default_datastore = lambda: default
        return ws

    def target(self, name: str) -> Any:
        from azureml.core.compute import AmlCompute

        target = object.__new__(AmlCompute)
        target.name, target.type = name, "AmlCompute"
        target.location = target.cluster_location = "eastus"
        target.vm_size = "STANDARD_D2"
        return target

    def datastore(self, name: str) -> Any:
        return self._Blob(None, name, "container", "account")

    def file_dataset(self) -> Any:
        from azureml.data.file_dataset import FileDataset

        dataset = object.__new__(FileDataset)
        dataset._definition = None
        dataset._registration = None
        dataset._properties = {}
        dataset._telemetry_info = None
        return dataset

    # -- observers ------------------------------------------------------------------------------

    def predecessors(self, pipeline: Any) -> list[list[Any]]:
        rows = []
        for node in pipeline.graph.module_nodes:
            before = sorted(
                {i.incoming_edge.source_port.node.name for i in node.inputs
                 if i.incoming_edge.source_port.node in pipeline.graph.module_nodes}
            )
            rows.append([node.name, before])
        return sorted(rows)

    def validate(self, pipeline: Any) -> list[str]:
        return [normalise(e, self.src) for e in pipeline.validate()]

    def check_parameters(self, pipeline: Any, values: dict[str, Any]) -> None:
        pipeline.graph._validate_pipeline_params(values)

    def parameters(self, pipeline: Any) -> dict[str, Any]:
        return {name: param.default_value for name, param in sorted(pipeline.graph.params.items())}

    def argv(self, step: Any) -> list[str]:
        head = [step._script_name] if step._script_name else [step._command]
        rendered = []
        for argument in step._annotated_arguments:
            kind = type(argument).__name__
            if kind in ("_InputArgument", "_OutputArgument"):
                rendered.append(f"$AZUREML_DATAREFERENCE_{argument.name}")
            elif kind == "_ParameterArgument":
                rendered.append(f"$AML_PARAMETER_{argument.name}")
            else:
                rendered.append(argument.text if hasattr(argument, "text") else str(argument))
        return head + rendered

    def env_parameters(self, step: Any) -> dict[str, str]:
        from azureml.pipeline.core.graph import ParamDef

        out = {}
        for name, value in step._params.items():
            value = getattr(value, "default_value", value)
            out[ParamDef._param_name_to_env_variable(name)] = str(value)
        return dict(sorted(out.items()))

    def input_names(self, step: Any) -> list[list[str]]:
        from azureml.pipeline.core import PipelineStep

        rows = []
        for item in step._inputs:
            mode = getattr(item, "bind_mode", None) or getattr(item, "mode", None) or "mount"
            rows.append([PipelineStep._get_input_port_name(item), mode])
        return rows

    def counts(self, step: Any) -> dict[str, Any]:
        rc = step._runconfig
        params = {k: v.default_value for k, v in (step._runconfig_pipeline_params or {}).items()}
        return {
            "node_count": params.get("NodeCount", rc.node_count),
            "process_count_per_node": params.get("MpiProcessCountPerNode", rc.mpi.process_count_per_node),
            "communicator": rc.communicator,
        }


def run_cases(lib: Any) -> dict[str, Any]:
    return record_cases(CASES, lib, lambda exc: {"type": type(exc).__name__, "message": normalise(str(exc), lib.src)})


def _param_rows(signature: inspect.Signature) -> list[dict[str, Any]]:
    rows = []
    for param in signature.parameters.values():
        if param.name in ("self", "cls"):
            continue
        required = param.default is inspect.Parameter.empty and param.kind not in (
            inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        row: dict[str, Any] = {"name": param.name, "kind": param.kind.name,
                               "default": None if param.default is inspect.Parameter.empty else repr(param.default)}
        if param.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            row["required"] = required
        rows.append(row)
    return rows


SIGNATURE_CLASSES = {
    "azureml.pipeline.core.StepSequence": ("azureml.pipeline.core", "StepSequence",
                                           ["__iter__"]),
    "azureml.pipeline.core.PipelineRun": ("azureml.pipeline.core", "PipelineRun",
                                          ["get_steps", "find_step_run", "wait_for_completion", "get_status",
                                           "get_details", "cancel", "get_graph", "get_pipeline_output"]),
    "azureml.pipeline.core.StepRun": ("azureml.pipeline.core", "StepRun",
                                      ["get_output_data", "get_outputs", "get_output", "wait_for_completion",
                                       "get_status", "get_job_log", "get_stdout_log", "get_stderr_log"]),
    "azureml.pipeline.core.PipelineStep": ("azureml.pipeline.core", "PipelineStep", ["run_after"]),
    "azureml.pipeline.core.graph.InputPortBinding": ("azureml.pipeline.core.graph", "InputPortBinding", []),
    "azureml.pipeline.core.TrainingOutput": ("azureml.pipeline.core", "TrainingOutput", []),
}


def signatures() -> dict[str, Any]:
    import importlib

    classes: dict[str, Any] = {}
    for qualified, (module, name, methods) in SIGNATURE_CLASSES.items():
        cls = getattr(importlib.import_module(module), name)
        entry: dict[str, Any] = {
            "bases": [b.__name__ for b in cls.__bases__],
            "params": _param_rows(inspect.signature(cls.__init__)),
            "methods": {},
        }
        for method in methods:
            raw = inspect.getattr_static(cls, method)
            decorators = ["staticmethod"] if isinstance(raw, staticmethod) else []
            entry["methods"][method] = {"params": _param_rows(inspect.signature(getattr(cls, method))),
                                        "decorators": decorators}
        classes[qualified] = entry
    return {
        "generated_by": "tests/v1_reference/record_pipeline.py (inspect.signature on the installed wheels)",
        "sdk_versions": {p: metadata.version(p) for p in ("azureml-core", "azureml-pipeline-core",
                                                            "azureml-pipeline-steps")},
        "classes": classes,
    }


PACKAGES = ("azureml-core", "azureml-pipeline-core", "azureml-pipeline-steps", "azureml-train-core")


def main() -> None:
    quiet()
    with tempfile.TemporaryDirectory(prefix="hpcest-v1-pipeline-") as tmp:
        src = os.path.join(tmp, "src")
        os.makedirs(src)
        with open(os.path.join(src, "train.py"), "w") as f:
            f.write("print('train')\n")
        old = os.getcwd()
        os.chdir(tmp)
        try:
            results = run_cases(V1(src))
        finally:
            os.chdir(old)
    rules = recorded("tests/v1_reference/record_pipeline.py", PACKAGES, cases=results)
    write_json(RULES_OUT, rules)
    write_json(SIGNATURES_OUT, signatures())


if __name__ == "__main__":
    main()
