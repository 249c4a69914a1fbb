"""v1's ``Model``: a versioned registry of model files in the workspace (``runs/registry.py``).

``Model.register(ws, model_path, model_name)`` copies a local file or folder into
``.hpcest/models/<name>/<version>/``; ``run.register_model(model_name, model_path)`` copies the
run's own files (``outputs/model.pt``) from the cluster. ``Model(ws, name)`` is the latest
version (or ``version=``; ``run_id=``, ``tags=``, ``properties=``, ``model_framework=`` narrow the
search as v1's service did; ``Model(None, ...)`` is v1's model with every attribute None),
``Model.list`` every version (``dataset_id=``: those registered with that dataset, kept from
``datasets=[(scenario, dataset)]`` as ``model.datasets``), ``model.download(target_dir)`` a copy,
``Model.get_model_path(name)`` v1's local cache ``./azureml-models/<name>/<version>/`` (filled from
the registry when a workspace is given). Deployment (``deploy``, ``package``, ``profile``) was an
Azure service: refused, with what to do.
"""

from __future__ import annotations

import builtins
import logging
import os
import posixpath
import shutil
from pathlib import Path
from typing import Any

from ..errors import UserErrorException
from ..transport.fetch_tree import fetch_tree
from ..v1.exceptions import ModelNotFoundException, WebserviceException, azure_only_call

logger = logging.getLogger(__name__)

# v1's cache of downloaded models (azureml.core.model.MODELS_DIR), fixed when the module is imported.
MODELS_DIR = os.path.join(os.environ.get("AML_APP_ROOT", ""), "azureml-models")

_DEPLOY_INSTEAD = (
    "download the model (Model(ws, name).download('model_dir')) and serve it with your own server on a "
    "node you control, or run batch scoring as a job (ScriptRunConfig/Estimator)"
)


def _no_model_at(source: Path) -> WebserviceException:
    return WebserviceException(f"model_path {str(source)!r} does not exist on this machine")


def _copy_local(source: Path, directory: Path) -> str:
    if source.is_dir():
        shutil.copytree(source, directory / source.name, symlinks=False)
    elif source.is_file():
        shutil.copy2(source, directory / source.name)
    else:
        raise _no_model_at(source)  # gone since it was checked
    return source.name


def _dataset_ids(workspace: Any, datasets: Any) -> list[tuple[str, str]]:
    """v1's ``datasets=[(scenario, dataset), ...]`` of a model registration as (scenario, id) pairs.

    As v1: a FileDataset or TabularDataset is referred to by its id; one never registered is saved
    in the workspace first (it then has an id, ``dataset.id``, as v1's saved datasets had); anything
    else is refused, before any file is copied.
    """
    from ..v1.data import FileDataset

    given = [(pair[0], pair[1]) for pair in datasets or ()]
    for _, dataset in given:  # every one checked before any is saved
        if not isinstance(dataset, FileDataset):
            raise WebserviceException(
                f"Invalid dataset of type {type(dataset)} passed, must be of type Dataset or DatasetSnapshot"
            )
    pairs: list[tuple[str, str]] = []
    for scenario, dataset in given:
        if dataset.id is None:
            dataset.id = workspace.dataset_registry().save_dataset(dataset._definition())
        pairs.append((scenario, dataset.id))
    return pairs


def _dataset_by_id(workspace: Any, dataset_id: str) -> Any:
    """``Dataset.get_by_id``, or None for a dataset no longer there (v1 left it out of ``model.datasets``)."""
    from ..v1.dataset_registration import get_by_id

    try:
        return get_by_id(workspace, dataset_id)
    except UserErrorException:
        return None


class Model:
    """A registered model version (v1 signature)."""

    def __init__(
        self,
        workspace: Any,
        name: str | None = None,
        id: str | None = None,
        tags: Any = None,
        properties: Any = None,
        version: int | None = None,
        run_id: str | None = None,
        model_framework: str | None = None,
        expand: bool = True,
        **kwargs: Any,
    ) -> None:
        # v1 set every attribute to None ({} for datasets) before it looked anything up, and looked
        # up only with a workspace: Model(None, ...) is a model with nothing filled in.
        self.created_by: Any = None
        self.created_time: Any = None
        self.description: str | None = None
        self.id: Any = None
        self.mime_type: Any = None
        self.name: Any = None
        self.model_framework: str | None = None
        self.tags: Any = None
        self.properties: Any = None
        self.unpack: Any = None
        self.url: Any = None
        self.version: Any = None
        self.workspace: Any = None
        self.experiment_name: str | None = None
        self.run_id: str | None = None
        self.run: Any = None
        self.datasets: dict[str, Any] = {}
        self.sample_input_dataset: Any = None
        self.sample_output_dataset: Any = None
        self.resource_configuration: Any = None
        self._record: dict[str, Any] | None = None
        record = kwargs.get("_record")
        if record is None and workspace:
            record = _lookup(workspace, name, id, tags, properties, version, run_id, model_framework, kwargs)
        if record is not None:
            self._fill(workspace, record)

    def _fill(self, workspace: Any, record: dict[str, Any]) -> None:
        self.workspace = workspace
        self._record = record
        self.name = record["name"]
        self.version = record["version"]
        self.id = f"{self.name}:{self.version}"
        self.tags = dict(record["tags"])
        self.properties = dict(record["properties"])
        self.description = record.get("description")
        self.run_id = record.get("run_id")
        self.experiment_name = record.get("experiment")
        self.model_framework = record.get("framework")
        self.model_framework_version = record.get("framework_version")
        self.created_time = record.get("created_at")
        # v1's url of the model in storage; here the registry directory that holds its files.
        self.url = os.path.join(record["files_dir"], record["entry"])
        # v1: scenario -> the datasets registered with it, each fetched by id (one gone is left out).
        self.datasets = {}
        for scenario, dataset_id in record.get("datasets", ()):
            dataset = _dataset_by_id(workspace, dataset_id)
            if dataset is not None:
                self.datasets.setdefault(scenario, []).append(dataset)

    # -- registering ------------------------------------------------------------------------

    @staticmethod
    def register(
        workspace: Any,
        model_path: str,
        model_name: str,
        tags: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        description: str | None = None,
        datasets: Any = None,
        model_framework: str | None = None,
        model_framework_version: str | None = None,
        child_paths: Any = None,
        sample_input_dataset: Any = None,
        sample_output_dataset: Any = None,
        resource_configuration: Any = None,
    ) -> Model:
        """Copy the local file or folder ``model_path`` into the registry as the next version of ``model_name``."""
        _check_name(model_name)
        source = Path(model_path).expanduser()
        if not source.exists():
            raise _no_model_at(source)
        dataset_ids = _dataset_ids(workspace, datasets)  # after the checks: it may save datasets
        print(f"Registering model {model_name}", flush=True)
        record = workspace.dataset_registry().add_model(
            model_name, lambda directory: _copy_local(source, directory), description=description,
            tags=tags, properties=properties, framework=model_framework, framework_version=model_framework_version,
            datasets=dataset_ids,
        )
        return Model(workspace, _record=record)

    @staticmethod
    def _register_run_files(
        run: Any, model_name: str, model_path: str | None, datasets: Any = None, **fields: Any
    ) -> Model:
        """``run.register_model``: the run's files at ``model_path`` (default ``outputs``) become a version."""
        _check_name(model_name)
        workspace = run.experiment.workspace
        wanted = (model_path or "outputs").strip("/")
        names = [n for n in run.get_file_names() if n == wanted or n.startswith(wanted + "/")]
        if not names:
            raise WebserviceException(
                f"run.register_model({model_name!r}, model_path={wanted!r}): the run {run.id} has no file or folder "
                f"{wanted!r}; its files: {', '.join(sorted(run.get_file_names())[:20]) or 'none'} "
                "(a training script saves its model under ./outputs)"
            )

        dataset_ids = _dataset_ids(workspace, datasets)  # after the checks: it may save datasets

        def fill(directory: Path) -> str:
            # The files keep their paths below model_path's parent; they come in one transfer.
            base = posixpath.dirname(wanted)
            relative = [name[len(base) + 1:] if base else name for name in names]
            root = posixpath.join(run.record.remote_dir or "", base)
            fetch_tree(run._backend().transport, root, relative, directory)
            return wanted.rpartition("/")[2]

        print(f"Registering model {model_name}", flush=True)
        record = workspace.dataset_registry().add_model(
            model_name, fill, run_id=run.id, experiment=run.experiment.name, datasets=dataset_ids, **fields
        )
        return Model(workspace, _record=record)

    # -- finding ----------------------------------------------------------------------------

    @staticmethod
    def list(
        workspace: Any,
        name: str | None = None,
        tags: Any = None,
        properties: Any = None,
        run_id: str | None = None,
        latest: bool = False,
        dataset_id: str | None = None,
        expand: bool = True,
        page_count: int = 255,
        model_framework: str | None = None,
    ) -> builtins.list[Model]:
        """Every registered version that matches, as v1's query found them.

        As in v1, ``page_count`` (the page size v1 fetched with; every page is read) must be 20 to
        255 when given and ``tags`` must be a list; ``tags`` and ``properties`` hold ``key`` or
        ``[key, value]`` items (a dict of properties filters by its keys, as in v1).
        """
        if page_count and (page_count < 20 or page_count > 255):
            raise UserErrorException(f"Expected page_count value is between 20 and 255. Provided: {page_count}")
        if tags is not None and type(tags) is not builtins.list:
            raise UserErrorException(
                f'Expected tags must be list type. Ex. ["key", ["key2", "key2 value"]]: provided {type(tags)}'
            )
        tags_query, properties_query = _query(tags), _query(properties)
        models = [
            Model(workspace, _record=r)
            for r in workspace.dataset_registry().list_models(name, run_id or None, dataset_id or None)
            if _matches(r["tags"], tags_query) and _matches(r["properties"], properties_query)
        ]
        if model_framework:
            models = [m for m in models if m.model_framework == model_framework]
        if latest:
            newest: dict[str, Model] = {}
            for model in models:
                if model.name not in newest or model.version > newest[model.name].version:
                    newest[model.name] = model
            models = builtins.list(newest.values())
        return models

    @staticmethod
    def get_model_path(model_name: str, version: int | None = None, _workspace: Any = None) -> str:
        """The path of a model's file or folder, found where v1 looked, in v1's order.

        With ``version``: the cache ``azureml-models/<name>/<version>/`` (``$AML_APP_ROOT/azureml-models``
        when that is set), else ``./<name>``, else the workspace's registry (copied into the cache).
        Without: the registry's latest version (copied into the cache) when a workspace is given;
        otherwise the cache's highest version, else ``./<name>``. The path is relative when the
        cache is, as in v1.
        """
        if version is not None and not isinstance(version, int):
            raise WebserviceException("version should be an int")
        if version is not None:
            try:
                return _model_path_local(model_name, version)
            except ModelNotFoundException as missing:
                if _workspace is not None:
                    return _model_path_remote(model_name, version, _workspace)
                raise WebserviceException(str(missing)) from None
        if _workspace is not None:
            return _model_path_remote(model_name, version, _workspace)
        return _model_path_local(model_name, version)

    def download(self, target_dir: str = ".", exist_ok: bool = False, exists_ok: bool | None = None) -> str:
        """Copy the model's files into ``target_dir``; returns the path of the model file or folder there."""
        if exists_ok is not None:
            exist_ok = exists_ok
        record = self._registered()
        source = Path(record["files_dir"])
        target = Path(target_dir)
        target.mkdir(parents=True, exist_ok=True)
        entry = target / record["entry"]
        if entry.exists() and not exist_ok:
            raise WebserviceException(f"File {entry} already exists. To overwrite, set exist_ok to True.")
        shutil.copytree(source, target, dirs_exist_ok=True)
        return str(entry)

    # -- tags ---------------------------------------------------------------------------------

    def add_tags(self, tags: dict[str, Any]) -> None:
        self.tags.update(tags)
        self._save()

    def remove_tags(self, tags: builtins.list[str]) -> None:
        for key in tags:
            self.tags.pop(key, None)
        self._save()

    def add_properties(self, properties: dict[str, Any]) -> None:
        for key, value in properties.items():
            if key in self.properties and self.properties[key] != value:
                raise WebserviceException(f"property {key!r} is already set; properties cannot be changed")
            self.properties[key] = value
        self._save()

    def update(
        self,
        tags: dict[str, Any] | None = None,
        description: str | None = None,
        sample_input_dataset: Any = None,
        sample_output_dataset: Any = None,
        resource_configuration: Any = None,
    ) -> None:
        if tags is not None:
            self.tags = dict(tags)
        self._save()

    def _save(self) -> None:
        self.workspace.dataset_registry().update_model_tags(self.name, self.version, self.tags, self.properties)

    def serialize(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "version": self.version, "tags": self.tags,
            "properties": self.properties, "description": self.description, "runId": self.run_id,
            "experimentName": self.experiment_name, "framework": self.model_framework,
            "frameworkVersion": self.model_framework_version, "createdTime": self.created_time, "url": self.url,
        }

    def delete(self) -> None:
        raise WebserviceException(
            f"model {self.id}: versions are kept (runs and other notebooks may name them); remove "
            f"{self._registered()['files_dir']} and its row yourself if you must"
        )

    def _registered(self) -> dict[str, Any]:
        """The registry's row of this version (none for ``Model(None, ...)``, which names no version)."""
        if self._record is None:
            raise WebserviceException(
                "this Model was made without a workspace (Model(None, ...)) and names no registered version; "
                "use Model(ws, name) or Model.list(ws)"
            )
        return self._record

    def __repr__(self) -> str:
        return f"Model(workspace={self.workspace!r}, name={self.name}, id={self.id}, version={self.version}, " \
               f"tags={self.tags}, properties={self.properties})"

    deploy = staticmethod(azure_only_call("Model.deploy(...)", "deploying a model as an Azure web service (AKS/ACI)",
                                          _DEPLOY_INSTEAD))
    package = staticmethod(azure_only_call("Model.package(...)", "building an Azure ML inference image",
                                           _DEPLOY_INSTEAD))
    profile = staticmethod(azure_only_call("Model.profile(...)", "profiling a model on Azure inference compute",
                                           _DEPLOY_INSTEAD))


def _not_found(**fields: Any) -> str:
    """v1's message for a lookup that found nothing (the fields given, in v1's order)."""
    given = ", ".join(f"{key} {value}" for key, value in fields.items() if value)
    return f"ModelNotFound: Model with {given} not found in provided workspace"


def _registered_hint(registry: Any) -> str:
    known = sorted({m["name"] for m in registry.list_models()})
    return (f" (registered: {', '.join(known) or 'none yet'}; register a model with "
            "run.register_model(model_name, model_path) or Model.register(ws, model_path, model_name))")


def _query(values: Any) -> str | None:
    """v1's filter string for tags or properties: ``key`` or ``key=value`` terms joined by commas
    (built as v1 built it, so what v1 could not build fails the same way)."""
    if not values:
        return None
    query = ""
    for item in values:
        if type(item) is builtins.list:
            query = query + item[0] + "=" + item[1] + ","
        else:
            query = query + item + ","
    return query[:-1]


def _matches(values: dict[str, Any], query: str | None) -> bool:
    """Whether ``values`` has every ``key`` (and every ``key=value``) of ``query``."""
    if query is None:
        return True
    for term in query.split(","):
        key, eq, value = term.partition("=")
        if key not in values or (eq and str(values[key]) != value):
            return False
    return True


def _by_id(registry: Any, model_id: str) -> dict[str, Any]:
    name, _, number = model_id.partition(":")
    record = None
    if not number:
        record = registry.get_model(name, None)
    elif number.isdigit():
        record = registry.get_model(name, int(number))
    if record is None:
        raise WebserviceException(_not_found(id=model_id) + _registered_hint(registry))
    return dict(record)


def _lookup(workspace: Any, name: str | None, model_id: str | None, tags: Any, properties: Any, version: Any,
            run_id: str | None, model_framework: str | None, extra: dict[str, Any]) -> dict[str, Any]:
    """``Model(ws, ...)``'s search, as v1 asked its service: an id (or a name with a version) names
    one version and the other filters are not used; otherwise the newest version of ``name`` that
    has the ``run_id``, ``model_framework``, ``tags`` and ``properties`` asked for."""
    if not model_id and not name:
        raise WebserviceException("Error, one of id or name must be provided.")
    registry = workspace.dataset_registry()
    if model_id:
        return _by_id(registry, str(model_id))
    if version:
        return _by_id(registry, f"{name}:{version}")
    tags_query, properties_query = _query(tags), _query(properties)
    for record in registry.list_models(name, run_id or None):  # newest first
        if model_framework and record.get("framework") != model_framework:
            continue
        if _matches(record["tags"], tags_query) and _matches(record["properties"], properties_query):
            return dict(record)
    message = _not_found(name=name, id=model_id, tags=tags, properties=properties, version=version, run_id=run_id,
                         model_framework=model_framework, **extra)
    raise WebserviceException(message + _registered_hint(registry))


def _model_path_local(model_name: str, version: int | None) -> str:
    """v1's ``Model._get_model_path_local``: the cache, then the working directory."""
    if model_name is None:
        raise WebserviceException("model_name is None")
    candidate = os.path.join(MODELS_DIR, model_name)
    if not os.path.exists(candidate):
        return _model_path_from_root(model_name)
    chosen = _latest_version(os.listdir(candidate)) if version is None else version
    candidate = os.path.join(candidate, str(chosen))
    if not os.path.exists(candidate):
        return _model_path_from_root(model_name)
    entries = os.listdir(candidate)
    if len(entries) != 1:
        raise WebserviceException(f"Dir {candidate} can contain only 1 file or folder. Found {entries}")
    return os.path.join(candidate, entries[0])


def _model_path_from_root(model_name: str) -> str:
    if os.path.exists(model_name):
        return model_name
    cached = [os.path.join(root, f) for root, _, files in os.walk(MODELS_DIR) for f in files]
    logger.debug("model %s: not in the cache %s (%d files: %s) nor in the working directory",
                 model_name, MODELS_DIR, len(cached), "\n".join(cached))
    raise ModelNotFoundException(
        f"Model {model_name} not found in cache at {MODELS_DIR} or in current working directory {os.getcwd()}. "
        "For more info, set logging level to DEBUG."
    )


def _latest_version(versions: builtins.list[str]) -> int:
    if not len(versions) > 0:
        raise WebserviceException("versions is empty")
    return max(int(v) for v in versions)


def _model_path_remote(model_name: str, version: int | None, workspace: Any) -> str:
    """v1's ``Model._get_model_path_remote``: the registry's version, copied into the cache."""
    try:
        model = Model(workspace, name=model_name, version=version)
    except WebserviceException as error:
        if "ModelNotFound" not in str(error):
            raise
        infos = sorted(f"{m.name}/{m.version}" for m in Model.list(workspace))
        raise ModelNotFoundException(f"Model/Version {model_name}/{version} not found in workspace. {infos}") from None
    target_dir = os.path.join(MODELS_DIR, model_name, str(model.version))
    model_path = model.download(target_dir, exist_ok=True)
    if not os.path.exists(model_path):
        raise ModelNotFoundException(
            f"Expected model path does not exist: {model_path}. Found items in dir: {os.listdir(target_dir)}"
        )
    return model_path


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not name.strip() or "/" in name or name.startswith("."):
        raise WebserviceException(f"model name must be a non-empty name without '/', got {name!r}")

