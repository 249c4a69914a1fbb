"""script_params (a dict) → ScriptRunConfig ``arguments`` (a list), with v1's conversion rules.

A dict known statically (a literal, or a name bound to one plus ``d[k] = v`` writes before the
estimator) becomes a literal list::

    script_params={"--lr": 0.1, "--flag": "", "--layers": [3, 4]}
    → arguments=["--lr", 0.1, "--flag", "--layers", 3, 4]

Anything else (``self.script_params``, an ``OrderedDict`` mutated later, a dict built by a
comprehension in another cell) is converted where the job is built, exactly as v1 did in the
estimator's constructor: keys in order, each followed by its value; a non-string iterable value
expands into its items (an item that is itself iterable becomes ``str(item)``); then every ``None``
and ``""`` item is dropped, so ``{"--flag": ""}`` gives a bare ``--flag``::

    script_params=self.script_params   →   arguments=[
                                                 item
                                                 for key, value in self.script_params.items()
                                                 for item in [key, *(...expanded value...)]
                                                 if item is not None and item != ""
                                             ]

Data references among literal items are registered by :mod:`migrate.rules.data_inputs`; entries a
HyperDrive sweep samples are left out (:mod:`migrate.rules.sampled_params`).
"""

from __future__ import annotations

import libcst as cst

from migrate import cst_build as b
from migrate.arguments import arguments_list, key_text, merge_pairs, pairs_to_arguments
from migrate.codegen import node_code
from migrate.engine import EstimatorPlan, Migration

CODES: tuple[str, ...] = ()

_RUNTIME = """[
{i}{u}item
{i}{u}for key, value in {params}.items()
{skip}{i}{u}for item in [
{i}{u}{u}key,
{i}{u}{u}*(
{i}{u}{u}{u}[str(part) if hasattr(part, "__iter__") else part for part in value]
{i}{u}{u}{u}if hasattr(value, "__iter__") and not isinstance(value, str)
{i}{u}{u}{u}else [value]
{i}{u}{u}),
{i}{u}]
{i}{u}if item is not None and item != ""
{i}]"""  # {i}: the indentation of the line the list starts on; {u}: the file's indentation step

_ATOMIC = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Dict, cst.DictComp)


def plan_arguments(m: Migration, p: EstimatorPlan) -> None:
    node = p.kwargs.get("script_params")
    if node is None:
        return
    if isinstance(node, cst.Name) and node.value == "None":
        p.pairs = []
        return
    resolved = m.resolve_dict(node, p.call)
    if resolved is not None:
        p.pairs, statements = resolved
        if isinstance(node, cst.Name):
            p.dead_statements = statements
        return
    p.runtime_params = node


def _named(key: cst.BaseExpression, names: set[str] | frozenset[str]) -> bool:
    """The key is a string literal whose name, less leading dashes, is among ``names``."""
    text = key_text(key)
    return text is not None and text.lstrip("-") in names


def runtime_conversion(
    params: cst.BaseExpression,
    indent: str,
    leave_out: set[str] | frozenset[str] = frozenset(),
    unit: str = "    ",
) -> cst.BaseExpression:
    """v1's conversion where the job is built; keys named in ``leave_out`` (less leading dashes) are
    skipped, as v1's HyperDrive skipped the ones its parameter space samples. ``indent`` is that of
    the call's arguments, ``unit`` the file's indentation step."""
    code = node_code(params)
    if not isinstance(params, _ATOMIC):
        code = f"({code})"
    outer = indent[: -len(unit)] if unit and indent.endswith(unit) else ""
    skip = ""
    if leave_out:
        names = ", ".join(node_code(b.string(name)) for name in sorted(leave_out))
        skip = f'{outer}{unit}if str(key).lstrip("-") not in {{{names}}}\n'
    return cst.parse_expression(_RUNTIME.format(i=outer, u=unit, params=code, skip=skip))


def arguments_expression(
    m: Migration,
    p: EstimatorPlan,
    kwargs: dict[str, cst.BaseExpression],
    indent: str,
    leave_out: set[str] | frozenset[str] = frozenset(),
) -> cst.BaseExpression | None:
    """The ``arguments=`` value for the ScriptRunConfig (None when there is none), without the
    entries whose keys, less leading dashes, are in ``leave_out`` or the plan's ``sampled_names``."""
    left_out = p.sampled_names | leave_out
    if p.runtime_params is not None:
        return runtime_conversion(kwargs.get("script_params", p.runtime_params), indent, left_out, m.layout()[1])
    pairs = p.pairs or []
    if p.override_pairs is not None:
        pairs = merge_pairs(pairs, p.override_pairs)
    if left_out:
        pairs = [(key, value) for key, value in pairs if not _named(key, left_out)]
    items = pairs_to_arguments(pairs) + (p.extra_arguments or [])
    items = [p.argument_replacements.get(id(item), item) for item in items] if p.argument_replacements else items
    if "script_params" in kwargs or items:
        return arguments_list(items, indent=indent, unit=m.layout()[1])
    return None
