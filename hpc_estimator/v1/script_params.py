"""script_params -> argv, with v1's exact rules, and the data bindings that arguments imply.

v1 rules (behaviour reference §2):
1. keys in dict order, each key followed by its value;
2. a non-string iterable value is expanded into consecutive items; items that are themselves
   iterable are ``str()``-ed; a dict value contributes its keys;
3. afterwards every ``None`` or ``""`` item is dropped (so ``{"--flag": ""}`` is a bare flag),
   while ``0`` and ``False`` stay; scalars are not stringified;
4. data objects become tokens that the job replaces with a local path, and are registered on the
   run configuration: a DataReference (or Datastore / DataPath, as their default mount reference)
   -> ``$AZUREML_DATAREFERENCE_<name>`` in ``data_references``; a DatasetConsumptionConfig ->
   ``DatasetConsumptionConfig:<name>`` in ``data`` ("direct" mode is consumed as a mount);
   raw Data/OutputData are refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import UserErrorException
from .data import Data, DataPath, DataReference, DatasetConsumptionConfig, Datastore, FileDataset

RESUME_FROM_FLAG = "--resume-from"
MODEL_LOCATION = "MODEL_LOCATION"


def _register(registry: dict[str, Any], name: str, value: Any, what: str) -> None:
    existing = registry.get(name)
    if existing is not None and existing is not value and repr(existing) != repr(value):
        raise UserErrorException(
            f"Two different {what} are both named {name!r} ({existing!r} and {value!r}). "
            f"Give one of them another name (data_reference_name= / as_named_input(...))."
        )
    registry[name] = value


def register_data(value: Any, run_config: Any) -> Any:
    """Register a data object on ``run_config`` and return its argv token; other values pass through."""
    if isinstance(value, Data):
        raise UserErrorException(
            f"Raw {type(value).__name__} objects are not accepted in script_params, arguments or inputs. "
            f"Use a DataReference (datastore.path('dir').as_mount()) or a dataset "
            f"(Dataset.File.from_files(path).as_named_input('name').as_mount())."
        )
    if isinstance(value, (Datastore, DataPath)):
        value = value.as_mount()
    elif isinstance(value, FileDataset):
        # A bare dataset is consumed as a mount under a generated name (v1 "direct" has no
        # meaning for files on a shared filesystem).
        value = value.as_mount()
    if isinstance(value, DataReference):
        _register(run_config.data_references, value.data_reference_name, value, "data references")
        return str(value)
    if isinstance(value, DatasetConsumptionConfig):
        if value.mode == "direct":
            # v1 "direct" handed the script a dataset object to open itself; on a shared
            # filesystem the equivalent is the mounted directory, so the job gets a path.
            value = value.as_mount(value.path_on_compute)
        _register(run_config.data, value.name, value, "dataset inputs")
        return str(value)
    return value


def _is_expandable(value: Any) -> bool:
    if isinstance(value, (str, bytes, bytearray)):
        return False
    if isinstance(value, (Datastore, DataPath, DataReference, DatasetConsumptionConfig, FileDataset, Data)):
        return False
    return isinstance(value, Iterable)


def script_params_to_arguments(script_params: Mapping[Any, Any] | None, run_config: Any) -> list[Any]:
    """The argv items for ``script_params`` (v1 rules above); data objects are registered on ``run_config``."""
    if script_params is None:
        return []
    if not isinstance(script_params, Mapping):
        raise UserErrorException(
            f"script_params must be a dict such as {{'--epochs': 10}}, got {type(script_params).__name__}. "
            f"For a list of arguments use ScriptRunConfig(arguments=[...])."
        )
    items: list[Any] = []
    for key, value in script_params.items():
        items.append(register_data(key, run_config))
        if _is_expandable(value):
            for element in value:
                if _is_expandable(element) or isinstance(element, (bytes, bytearray)):
                    items.append(str(element))
                else:
                    items.append(register_data(element, run_config))
        else:
            items.append(register_data(value, run_config))
    return [item for item in items if not (item is None or (isinstance(item, str) and item == ""))]


def arguments_to_argv(arguments: Iterable[Any] | None, run_config: Any) -> list[Any]:
    """ScriptRunConfig ``arguments``: kept as given, except data objects become registered tokens."""
    if arguments is None:
        return []
    if isinstance(arguments, (str, bytes)) or not isinstance(arguments, Iterable):
        raise UserErrorException(
            f"arguments must be a list such as ['--epochs', 10], got {type(arguments).__name__} "
            f"{arguments!r}. Wrap a single argument in a list."
        )
    return [register_data(item, run_config) for item in arguments]


def check_resume_from(resume_from: Any) -> None:
    if resume_from is not None and not isinstance(resume_from, DataPath):
        raise UserErrorException(
            f"resume_from must be a DataPath pointing at the checkpoint directory, got "
            f"{type(resume_from).__name__}. Use datastore.path('outputs/checkpoints') or "
            f"DataPath(datastore, 'path')."
        )


def add_resume_from(resume_from: Any, run_config: Any) -> None:
    """Append ``--resume-from $AZUREML_DATAREFERENCE_MODEL_LOCATION`` and mount the checkpoint path."""
    if resume_from is None:
        return
    check_resume_from(resume_from)
    reference = DataReference(resume_from.datastore, MODEL_LOCATION, resume_from.path_on_datastore, mode="mount")
    run_config.arguments.extend([RESUME_FROM_FLAG, register_data(reference, run_config)])


def register_inputs(inputs: Iterable[Any] | None, run_config: Any) -> None:
    """Register estimator ``inputs``: only DataReference, Datastore and DatasetConsumptionConfig (v1)."""
    if inputs is None:
        return
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Iterable):
        raise UserErrorException(f"inputs must be a list of data objects, got {type(inputs).__name__}.")
    for item in inputs:
        if isinstance(item, Data):
            register_data(item, run_config)  # raises the raw-Data error
        if not isinstance(item, (DataReference, Datastore, DatasetConsumptionConfig)):
            raise UserErrorException(
                f"inputs accepts DataReference, Datastore or DatasetConsumptionConfig objects, got "
                f"{type(item).__name__} {item!r}. Wrap paths as datastore.path('dir').as_mount() or "
                f"Dataset.File.from_files(path).as_named_input('name').as_mount()."
            )
        register_data(item, run_config)
