"""Estimator ``inputs=[...]`` and data references in script_params → the ScriptRunConfig's run_config.

v1 registered each input in the estimator's run configuration (``_get_data_configuration``): a
DatasetConsumptionConfig under ``run_config.data[name]``, a DataReference under
``run_config.data_references[name] = ref.to_config()``; a DataReference among script_params became
``str(ref)`` in the arguments and was registered the same way. A ScriptRunConfig does the dataset half
for objects inside ``arguments`` only, so the rewrite writes both registrations out.

Before::

    ref = datastore.path("images").as_mount()
    est = Estimator(".", entry_script="train.py", compute_target=ct,
                    inputs=[ds.as_named_input("train"), ref], script_params={"--data": ref})

After::

    est = ScriptRunConfig(source_directory=".", script="train.py", arguments=["--data", str(ref)], ...)
    est.run_config.data["train"] = ds.as_named_input("train")
    est.run_config.data_references[ref.data_reference_name] = ref.to_config()

An input whose kind cannot be told (a name bound elsewhere, a call of an unknown function) keeps the
rewrite going and gets a TODO (HPM115) that quotes the exact expression, so nothing is lost silently;
so does ``x.as_mount()``/``.as_download()``/``.path(...)`` among script_params when ``x`` is not known
to be a dataset (which a ScriptRunConfig resolves in arguments) or a data reference (which it does not).
Inline expressions are bound to a variable first: a DataReference without a name gets a random one,
so evaluating it twice would register a different reference than the one in the arguments.
"""

from __future__ import annotations

import libcst as cst

from migrate import cst_build as b
from migrate.codegen import node_code
from migrate.engine import EstimatorPlan, Migration

CODES = ("HPM115",)

_DATASET_METHODS = {"as_named_input", "get_by_name", "get_by_id", "from_files", "from_delimited_files", "register"}
_DATASET_ROOTS = {"Dataset", "FileDataset", "TabularDataset", "TabularDatasetFactory", "FileDatasetFactory"}
_DATASTORE_ROOTS = {"Datastore", "AzureBlobDatastore", "AzureFileDatastore"}
_MOUNT_METHODS = {"as_mount", "as_download"}


def _chain(node: cst.BaseExpression) -> tuple[list[str], cst.BaseExpression]:
    """Method/attribute names along ``a.b(...).c(...)`` (innermost first) and the root expression."""
    names: list[str] = []
    while True:
        if isinstance(node, cst.Call):
            node = node.func
        elif isinstance(node, cst.Attribute):
            names.append(node.attr.value)
            node = node.value
        elif isinstance(node, cst.Subscript):
            names.append("[]")
            node = node.value
        else:
            break
    names.reverse()
    return names, node


def kind_of(m: Migration, node: cst.BaseExpression, at: cst.CSTNode, depth: int = 0) -> str | None:
    """'dataset', 'reference', 'datastore' or None (unknown) for an expression used as data.

    The root of ``a.b(...).c(...)`` gives a first kind (a class name, or what a variable was bound
    to); each method along the chain then moves it on (``get_default_datastore`` → datastore,
    ``path``/``as_mount`` on a datastore → reference, ``as_named_input`` → dataset).
    """
    if depth > 4:
        return None
    names, root = _chain(node)
    kind: str | None = None
    if isinstance(root, cst.Name):
        if root.value in _DATASET_ROOTS:
            kind = "dataset"
        elif root.value in ("DataReference", "PipelineData"):
            kind = "reference"
        elif root.value in _DATASTORE_ROOTS:
            kind = "datastore"
        else:
            value = m.binding(root.value, at)
            if value is not None and value is not node:
                kind = kind_of(m, value, at, depth + 1)
    for name in names:
        if name in ("get_default_datastore", "datastores"):
            kind = "datastore"
        elif name in _DATASET_METHODS:
            kind = "dataset"
        elif (name in ("path", "as_upload", "_get_data_reference") and kind in ("datastore", "reference")) or (
            name in _MOUNT_METHODS and kind in ("datastore", "reference")
        ):
            kind = "reference"
    return kind


def _named_input(node: cst.BaseExpression) -> str | None:
    """The literal name given to ``.as_named_input("x")`` along a chain."""
    current: cst.BaseExpression = node
    while isinstance(current, cst.Call | cst.Attribute):
        if (
            isinstance(current, cst.Call)
            and isinstance(current.func, cst.Attribute)
            and current.func.attr.value == "as_named_input"
            and current.args
        ):
            value = b.literal_value(current.args[0].value)
            return value if isinstance(value, str) else None
        current = current.func if isinstance(current, cst.Call) else current.value
    return None


def _code(node: cst.CSTNode) -> str:
    return node_code(node).replace("\n", " ")


def _bound(m: Migration, p: EstimatorPlan, node: cst.BaseExpression, base: str) -> cst.Name:
    """``node`` itself when it is a name, else a fresh variable assigned before the estimator."""
    if isinstance(node, cst.Name):
        return node
    name = cst.Name(m.fresh(base))
    p.setup.append(b.assign(name, node))
    return name


def plan_inputs(m: Migration, p: EstimatorPlan) -> None:
    if p.blocked:
        return
    prefix = p.target or "src"
    _plan_reference_arguments(m, p, prefix)
    _plan_source_directory_store(m, p, prefix)
    node = p.kwargs.get("inputs")
    if node is None or (isinstance(node, cst.Name) and node.value == "None"):
        return
    listed = m.resolve_list(node, p.call)
    if listed is None:
        _unconverted(m, p, node)
        return
    via_variable = isinstance(node, cst.Name)
    for index, element in enumerate(listed.elements):
        if isinstance(element, cst.StarredElement):
            _unconverted(m, p, element.value)
            continue
        value = element.value
        kind = kind_of(m, value, p.call)
        # Through a list variable, its items are used (``data[0]``): nothing is evaluated twice.
        item: cst.BaseExpression = _item(node, index) if via_variable else value
        if kind == "dataset":
            name = _named_input(value if not isinstance(value, cst.Name) else (m.binding(value.value, p.call) or value))
            if name is not None and not isinstance(value, cst.Name):
                p.settings.append((f"run_config.data[{b.string(name).value}]", item))
            else:
                bound = item if via_variable else _bound(m, p, value, f"{prefix}_input")
                p.settings.append((f"run_config.data[{_code(bound)}.name]", bound))
        elif kind == "reference":
            bound = item if via_variable else _bound(m, p, value, f"{prefix}_data_ref")
            p.settings.append((f"run_config.data_references[{_code(bound)}.data_reference_name]", _to_config(bound)))
        else:
            _unconverted(m, p, value)


def _plan_source_directory_store(m: Migration, p: EstimatorPlan, prefix: str) -> None:
    """v1 stored the datastore's *name* in run_config.source_directory_data_store and registered its
    default reference (``_get_data_configuration``); a ScriptRunConfig has no such parameter."""
    store = p.kwargs.get("source_directory_data_store")
    if store is None or b.literal_value(store) is None:
        return
    if b.literal_value(store) is not NotImplemented:
        p.settings.append(("run_config.source_directory_data_store", store))  # as written (v1 refused it)
        return
    bound = _bound(m, p, store, f"{prefix}_source_store")
    name = cst.Attribute(value=bound, attr=cst.Name("name"))
    p.settings.append(("run_config.source_directory_data_store", name))
    reference = cst.Call(func=cst.Attribute(value=bound, attr=cst.Name("as_mount")))
    p.settings.append((f"run_config.data_references[{_code(name)}]", _to_config(reference)))


def _item(name: cst.BaseExpression, index: int) -> cst.BaseExpression:
    return cst.Subscript(value=name, slice=[cst.SubscriptElement(cst.Index(cst.Integer(str(index))))])


def _to_config(name: cst.BaseExpression) -> cst.Call:
    return cst.Call(func=cst.Attribute(value=name, attr=cst.Name("to_config")))


def _unconverted(m: Migration, p: EstimatorPlan, node: cst.BaseExpression) -> None:
    message = f"input {_code(node)} is not attached to the ScriptRunConfig"
    owner = _owner(p)
    fix = (
        f"add it as {owner}.run_config.data[name] = <dataset input> or "
        f"{owner}.run_config.data_references[ref.data_reference_name] = ref.to_config()"
    )
    m.keep(p.call, "HPM115", message, fix)


def _owner(p: EstimatorPlan) -> str:
    """The name the fix text gives the ScriptRunConfig: the estimator's variable, which it keeps."""
    return p.target or "<the ScriptRunConfig>"


def _called_method(node: cst.BaseExpression) -> str | None:
    """``m`` for ``x.m(...)``; None for anything else (an attribute such as ``args.path`` is no call)."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return node.func.attr.value
    return None


def _ambiguous_argument(m: Migration, p: EstimatorPlan, node: cst.BaseExpression) -> None:
    """``x.as_mount()`` of an ``x`` this file does not define: a dataset (a ScriptRunConfig resolves it
    in arguments) or a data reference (v1 registered it; a ScriptRunConfig does not)."""
    message = (
        f"script_params value {_code(node)} is a dataset or a DataReference; "
        "a DataReference in arguments is not registered by a ScriptRunConfig"
    )
    fix = (
        "if it is a DataReference, pass str(ref) in arguments and add "
        f"{_owner(p)}.run_config.data_references[ref.data_reference_name] = ref.to_config()"
    )
    m.keep(p.call, "HPM115", message, fix)


def _plan_reference_arguments(m: Migration, p: EstimatorPlan, prefix: str) -> None:
    """Data references among literal script_params items: ``str(ref)`` in arguments + registration."""
    if not p.pairs:
        return
    from migrate.arguments import pairs_to_arguments

    for item in pairs_to_arguments(p.pairs):
        if b.literal_value(item) is not NotImplemented:
            continue
        kind = kind_of(m, item, p.call)
        if kind == "datastore":
            # A Datastore stands for its default reference (v1: item._get_data_reference()).
            bound = _bound(
                m, p, cst.Call(func=cst.Attribute(value=item, attr=cst.Name("as_mount"))), f"{prefix}_data_ref"
            )
        elif kind == "reference":
            bound = _bound(m, p, item, f"{prefix}_data_ref")
        else:
            if kind is None and _called_method(item) in ("as_mount", "as_download", "as_upload", "path"):
                _ambiguous_argument(m, p, item)
            continue
        p.argument_replacements[id(item)] = cst.Call(func=cst.Name("str"), args=[cst.Arg(bound)])
        p.settings.append((f"run_config.data_references[{_code(bound)}.data_reference_name]", _to_config(bound)))
