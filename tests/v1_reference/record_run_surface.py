"""Record the v1 surface ``hpcest run`` serves: module contents and the signatures of the classes it maps.

Runs under the real SDK's interpreter only (never a project dependency, never in CI)::

    /work/v1sdk/bin/python -m tests.v1_reference.record_run_surface [--widgets WHEEL]   # from the worktree root

writes ``tests/data/azureml_v1_run_surface.json``:

- ``modules``: for each ``azureml.*`` module the import hook serves, the public names the real module
  has (``__all__`` when it defines one, else its public non-module attributes), so a test can check
  that every name hpcest serves exists in v1 (nothing invented) and that the names notebooks use are
  served;
- ``classes``: constructor, method and property signatures (``inspect.signature`` on the installed
  wheels) of the classes ``azureml_v1_signatures.json`` does not cover: Workspace, ComputeTarget,
  AmlCompute, Datastore and the blob datastore's upload methods, Dataset and its factories,
  FileDataset, TabularDataset, Model, the authentication classes;
- ``RunDetails`` from the ``azureml-widgets`` wheel, read with ``ast`` (its import needs IPython and
  ipywidgets, which the reference venv does not have): pass the wheel with ``--widgets``
  (``pip download --no-deps azureml-widgets==1.62.0``).

Nothing is contacted: only classes are inspected, no object is built.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import json
import logging
import os
import types
import warnings
import zipfile
from importlib import metadata
from typing import Any

HERE = os.path.dirname(__file__)
OUT = os.path.join(HERE, "..", "data", "azureml_v1_run_surface.json")

MODULES = [
    "azureml.core", "azureml.core.runconfig", "azureml.core.conda_dependencies", "azureml.core.compute",
    "azureml.core.compute_target", "azureml.core.environment", "azureml.core.experiment", "azureml.core.run",
    "azureml.core.workspace", "azureml.core.datastore", "azureml.core.dataset", "azureml.core.model",
    "azureml.core.script_run_config", "azureml.core.authentication", "azureml.core.webservice",
    "azureml.core.keyvault", "azureml.core.image", "azureml.core.compute.amlcompute", "azureml.exceptions",
    "azureml.data", "azureml.data.datapath", "azureml.data.data_reference", "azureml.data.file_dataset",
    "azureml.data.tabular_dataset", "azureml.data.dataset_consumption_config",
    "azureml.data.azure_storage_datastore", "azureml.data.dataset_factory", "azureml.train.estimator",
    "azureml.train.dnn", "azureml.train.sklearn", "azureml.train.hyperdrive",
    "azureml.train.hyperdrive.parameter_expressions", "azureml.train.hyperdrive.sampling",
    "azureml.train.hyperdrive.policy", "azureml.train.hyperdrive.runconfig", "azureml.train.hyperdrive.run",
    "azureml.train.hyperdrive.exceptions",
    "azureml.pipeline.core", "azureml.pipeline.core.graph", "azureml.pipeline.core.run",
    "azureml.pipeline.steps", "azureml.train.automl",
]

# class path -> methods to record (constructor always)
CLASSES: dict[str, list[str]] = {
    "azureml.core.Workspace": [
        "from_config", "get", "create", "list", "get_default_datastore", "set_default_datastore",
        "get_details", "write_config", "get_default_keyvault", "get_run", "delete",
    ],
    "azureml.core.compute.ComputeTarget": [
        "create", "list", "attach", "wait_for_completion", "get_status", "delete", "detach", "refresh_state",
    ],
    "azureml.core.compute.AmlCompute": [
        "provisioning_configuration", "wait_for_completion", "get_status", "supported_vmsizes", "list_nodes",
        "update", "delete", "get", "refresh_state", "detach",
    ],
    "azureml.core.compute.amlcompute.AmlComputeProvisioningConfiguration": ["validate_configuration"],
    "azureml.core.Datastore": [
        "get", "get_default", "set_as_default", "unregister", "register_azure_blob_container",
        "register_azure_file_share", "register_azure_data_lake", "register_azure_data_lake_gen2",
        "register_azure_sql_database", "register_azure_postgre_sql", "register_azure_my_sql", "register_dbfs",
        "register_hdfs",
    ],
    "azureml.data.azure_storage_datastore.AzureBlobDatastore": [
        "upload", "upload_files", "download", "path", "as_mount", "as_download", "as_upload",
    ],
    "azureml.core.Dataset": ["get_by_name", "get_by_id", "get_all"],
    "azureml.data.dataset_factory.FileDatasetFactory": ["from_files", "upload_directory"],
    "azureml.data.dataset_factory.TabularDatasetFactory": ["from_delimited_files"],
    "azureml.data.FileDataset": [
        "as_named_input", "as_mount", "as_download", "download", "mount", "to_path", "register", "take",
    ],
    "azureml.data.TabularDataset": [
        "as_named_input", "to_pandas_dataframe", "register", "take", "keep_columns", "drop_columns",
    ],
    "azureml.core.Model": [
        "register", "list", "download", "get_model_path", "deploy", "package", "profile", "delete",
        "add_tags", "add_properties", "remove_tags", "serialize", "update",
    ],
    "azureml.core.authentication.InteractiveLoginAuthentication": [],
    "azureml.core.authentication.ServicePrincipalAuthentication": [],
    "azureml.core.authentication.AzureCliAuthentication": [],
    "azureml.core.authentication.MsiAuthentication": [],
}


def _param_rows(signature: inspect.Signature) -> list[dict[str, Any]]:
    rows = []
    for param in signature.parameters.values():
        row: dict[str, Any] = {"name": param.name, "kind": param.kind.name}
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            row["default"] = None
        elif param.default is inspect.Parameter.empty:
            row.update(default=None, required=True)
        else:
            row.update(default=repr(param.default), required=False)
        rows.append(row)
    return rows


def _resolve(path: str) -> Any:
    module, _, name = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except ModuleNotFoundError:
        outer, _, inner = module.rpartition(".")
        return getattr(getattr(importlib.import_module(outer), inner), name)


def _constructor(cls: type) -> tuple[str, inspect.Signature]:
    # Some v1 classes choose the returned type in __new__ (ComputeTarget, Datastore); their __init__
    # has the same parameters. The one defined lowest in the MRO is what a caller meets.
    for klass in cls.__mro__:
        if "__init__" in vars(klass) and klass is not object:
            signature = inspect.signature(vars(klass)["__init__"])
            return f"{klass.__module__}.{klass.__qualname__}.__init__", signature.replace(
                parameters=list(signature.parameters.values())[1:]
            )
    return "object.__init__", inspect.Signature()


def describe(cls: type, methods: list[str]) -> dict[str, Any]:
    defined_in, signature = _constructor(cls)
    entry: dict[str, Any] = {
        "defined_in": cls.__module__,
        "constructor_defined_in": defined_in,
        "params": _param_rows(signature),
        "methods": {},
        "properties": {},
    }
    for name in methods:
        if not hasattr(cls, name):
            entry["methods"][name] = {"missing": True}
            continue
        raw = inspect.getattr_static(cls, name)
        if isinstance(raw, property):
            entry["properties"][name] = {"settable": raw.fset is not None}
            continue
        decorators = []
        if isinstance(raw, staticmethod):
            decorators.append("staticmethod")
            signature = inspect.signature(getattr(cls, name))
        elif isinstance(raw, classmethod):
            decorators.append("classmethod")
            signature = inspect.signature(getattr(cls, name))
        else:
            function = inspect.unwrap(raw)
            full = inspect.signature(function)
            params = list(full.parameters.values())
            if params and params[0].name == "self":
                signature = full.replace(parameters=params[1:])
            else:
                # A module-level function stored on the class (v1: ``get_by_name = _Dataset.get_by_name``):
                # called on the class like a staticmethod.
                decorators.append("function_attribute")
                signature = full
        entry["methods"][name] = {"params": _param_rows(signature), "decorators": decorators}
    for name, value in vars(cls).items():
        if isinstance(value, property) and not name.startswith("_"):
            entry["properties"].setdefault(name, {"settable": value.fset is not None})
    return entry


def module_names(name: str) -> dict[str, Any]:
    try:
        module = importlib.import_module(name)
    except Exception as exc:
        return {"import_error": f"{type(exc).__name__}: {exc}"}
    declared = getattr(module, "__all__", None)
    if declared:
        names = sorted(set(declared))
        source = "__all__"
    else:
        names = sorted(
            n for n, v in vars(module).items()
            if not n.startswith("_") and not isinstance(v, types.ModuleType)
        )
        source = "dir"
    public_dir = sorted(
        n for n, v in vars(module).items() if not n.startswith("_") and not isinstance(v, types.ModuleType)
    )
    return {"source": source, "names": names, "attributes": public_dir}


def widgets_from_wheel(wheel: str) -> dict[str, Any]:
    """RunDetails' signatures from the wheel's source (importing it needs IPython/ipywidgets)."""
    with zipfile.ZipFile(wheel) as archive:
        source = archive.read("azureml/widgets/run_details.py").decode("utf-8")
        init = archive.read("azureml/widgets/__init__.py").decode("utf-8")
    tree = ast.parse(source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "RunDetails")
    entry: dict[str, Any] = {"defined_in": "azureml.widgets.run_details", "params": [], "methods": {}, "properties": {}}

    def rows(args: ast.arguments) -> list[dict[str, Any]]:
        positional = args.args[1:]
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        out = []
        for arg, default in zip(positional, defaults):
            if default is None:
                out.append({"name": arg.arg, "kind": "POSITIONAL_OR_KEYWORD", "default": None, "required": True})
            else:
                out.append({"name": arg.arg, "kind": "POSITIONAL_OR_KEYWORD",
                            "default": repr(ast.literal_eval(default)), "required": False})
        return out

    for node in cls.body:
        if isinstance(node, ast.FunctionDef):
            if node.name == "__init__":
                entry["params"] = rows(node.args)
            elif not node.name.startswith("_"):
                entry["methods"][node.name] = {"params": rows(node.args), "decorators": []}
    all_node = next(n for n in ast.parse(init).body if isinstance(n, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets))
    names = sorted(ast.literal_eval(all_node.value))
    return {"class": entry, "module": {"source": "__all__", "names": names, "attributes": names},
            "version": os.path.basename(wheel).split("-")[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widgets", help="the azureml-widgets wheel (pip download --no-deps azureml-widgets)")
    parser.add_argument("--out", default=OUT)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)
    data: dict[str, Any] = {
        "generated_by": "tests/v1_reference/record_run_surface.py (inspect.signature and module contents of the "
        "installed wheels)",
        "sdk_versions": {
            dist: metadata.version(dist)
            for dist in ("azureml-core", "azureml-train-core", "azureml-pipeline-core", "azureml-pipeline-steps",
                         "azureml-dataset-runtime", "azureml-train-automl-client")
        },
        "modules": {name: module_names(name) for name in MODULES},
        "classes": {path: describe(_resolve(path), methods) for path, methods in CLASSES.items()},
    }
    import azureml.core

    data["core_version"] = azureml.core.VERSION
    if args.widgets:
        widgets = widgets_from_wheel(args.widgets)
        data["modules"]["azureml.widgets"] = widgets["module"]
        data["classes"]["azureml.widgets.RunDetails"] = widgets["class"]
        data["sdk_versions"]["azureml-widgets"] = widgets["version"]
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {args.out}: {len(data['modules'])} modules, {len(data['classes'])} classes")


if __name__ == "__main__":
    main()
