"""Estimator / PyTorch / TensorFlow / Chainer / SKLearn → ScriptRunConfig + Environment.

Before::

    est = PyTorch(source_directory="src", entry_script="train.py", script_params={"--lr": 0.1},
                  compute_target=gpu, node_count=2, distributed_training=Nccl(), use_gpu=True)

After::

    est = ScriptRunConfig(
        source_directory="src",
        script="train.py",
        arguments=["--lr", 0.1],
        compute_target=gpu,
        environment=Environment.get(workspace=ws, name="AzureML-PyTorch-1.4-GPU"),
        distributed_job_config=PyTorchConfiguration(communication_backend="Nccl", node_count=2),
        docker_runtime_config=DockerConfiguration(use_docker=True),
    )

What cannot be rewritten safely keeps the original call with a TODO comment. The parts live in their
own modules: ``script_params`` (arguments), ``data_inputs`` (inputs=), ``distribution``
(distributed_job_config); the Environment is built by :mod:`migrate.environment`.
"""

from __future__ import annotations

import libcst as cst

from migrate import cst_build as b
from migrate.cst_walk import comments
from migrate.distribution import DistributionPlan, DistributionUnresolvable, plan_distribution
from migrate.engine import EstimatorPlan, Migration
from migrate.environment import EnvironmentPlan, EnvironmentUnresolvable, plan_environment
from migrate.imports import Counts, count
from migrate.names import ESTIMATOR_CLASSES
from migrate.rules import attribute_uses, data_inputs, script_params

CODES = ("HPM102", "HPM104", "HPM105", "HPM109", "HPM110", "HPM112", "HPM116", "HPL201")

NO_EQUIVALENT = {
    "vm_size": "create an AmlCompute cluster and pass it as compute_target",
    "vm_priority": "create an AmlCompute cluster (vm_priority='lowpriority') and pass it as compute_target",
    "_enable_optimized_mode": "no equivalent; the environment is built in full",
    "_disable_validation": "no equivalent; validation no longer runs at submission",
    "_show_lint_warnings": "no equivalent; run 'hpcest migrate' to see script lint",
    "_show_package_warnings": "no equivalent; run 'hpcest migrate' to see package warnings",
}
# Old parameter -> the new argument that carries its meaning (its comments go there).
CARRIED_BY = {
    "source_directory": "source_directory",
    "entry_script": "script",
    "script_params": "arguments",
    "compute_target": "compute_target",
    "use_docker": "docker_runtime_config",
    "shm_size": "docker_runtime_config",
    "node_count": "distributed_job_config",
    "process_count_per_node": "distributed_job_config",
    "distributed_training": "distributed_job_config",
    "distributed_backend": "distributed_job_config",
    "worker_count": "distributed_job_config",
    "parameter_server_count": "distributed_job_config",
    "max_run_duration_seconds": "max_run_duration_seconds",
    "resume_from": "resume_from",
}
ENVIRONMENT_PARAMETERS = (
    "environment_definition",
    "pip_packages",
    "conda_packages",
    "framework_version",
    "use_gpu",
    "custom_docker_image",
    "custom_docker_base_image",
    "image_registry_details",
    "user_managed",
    "conda_dependencies_file",
    "conda_dependencies_file_path",
    "pip_requirements_file",
    "pip_requirements_file_path",
)
for _name in ENVIRONMENT_PARAMETERS:
    CARRIED_BY[_name] = "environment"


def call_kwargs(
    call: cst.Call, spread: dict[str, cst.BaseExpression] | None = None
) -> tuple[dict[str, cst.BaseExpression], list[tuple[str, str, str]]]:
    """Keyword → value of an estimator call (the one positional is source_directory); ``spread``:
    the keywords its one ``**name`` is known to pass (``Migration.resolve_keywords``)."""
    kwargs: dict[str, cst.BaseExpression] = {}
    problems: list[tuple[str, str, str]] = []
    positional = 0
    for arg in call.args:
        if arg.star == "**" and spread is not None:
            given = {a.keyword.value for a in call.args if a.keyword is not None}
            if any(not a.star and a.keyword is None for a in call.args):
                given.add("source_directory")
            if set(spread) & given:
                # Python refuses the call (TypeError: multiple values for a keyword argument).
                problems.append(("HPM102", "a keyword is given twice (also in the '**' dict)", "give it once"))
            kwargs.update(spread)
        elif arg.star:
            problems.append(
                (
                    "HPM102",
                    f"'{arg.star}' arguments hide the estimator parameters",
                    "spell the parameters out as keywords",
                )
            )
        elif arg.keyword is None:
            if positional == 0:
                kwargs["source_directory"] = arg.value
            else:
                problems.append(
                    (
                        "HPM104",
                        "only source_directory may be positional in a v1 estimator",
                        "pass the other parameters as keywords",
                    )
                )
            positional += 1
        else:
            kwargs[arg.keyword.value] = arg.value
    return kwargs, problems


def plan(m: Migration) -> None:
    for call, cls in m.facts.calls:
        if cls in ESTIMATOR_CLASSES:
            _plan_estimator(m, call, cls)
    for estimator_plan in m.estimators.values():
        if estimator_plan.target:
            m.by_name.setdefault(estimator_plan.target, []).append(estimator_plan)


def _plan_estimator(m: Migration, call: cst.Call, cls: str) -> None:
    spread_arg, spread = _spread(m, call)
    spread_kwargs = None if spread is None else dict(spread[0])
    kwargs, problems = call_kwargs(call, spread_kwargs)
    p = EstimatorPlan(
        call=call,
        cls=cls,
        kwargs=kwargs,
        statement=m.facts.enclosing_statement(call),
        anchor=m.facts.statement_anchor(call),
        target=m.facts.assigned_name(call),
        blockers=list(problems),
    )
    if spread is not None:
        p.spread_kwargs = spread_kwargs
        if isinstance(spread_arg, cst.Name):
            p.spread = (spread_arg.value, spread[1])
    m.estimators[call] = p
    if problems:
        return
    script_params.plan_arguments(m, p)
    if "vm_size" in kwargs and "compute_target" not in kwargs:
        p.blockers.append(
            (
                "HPM109",
                "vm_size without compute_target has no ScriptRunConfig equivalent",
                "create an AmlCompute cluster with that vm_size and pass it as compute_target",
            )
        )
    try:
        p.distribution = plan_distribution(kwargs, m.classify)
    except DistributionUnresolvable as error:
        p.blockers.append(
            (
                "HPM110",
                str(error),
                "pass distributed_training=Mpi(...)/Gloo()/Nccl()/ParameterServer(...) directly in the call",
            )
        )
    base = p.target or "src"
    p.variable = f"{base}_env"
    if p.variable in m.facts.names_in_use:
        p.variable = m.fresh(p.variable)
    resolved = dict(kwargs)
    for name in ("pip_packages", "conda_packages"):
        if name in kwargs and isinstance(kwargs[name], cst.Name):
            value = m.resolve_list(kwargs[name], call)
            if value is not None:
                resolved[f"{name}__literal"] = value
    try:
        p.environment = plan_environment(
            cls,
            resolved,
            p.variable,
            f"{base.replace('_', '-')}-env",
            m.workspace(call),
            add_defaults=m.target == "azureml",
            changed_later=attribute_uses.uses_environment_later(m, p.target, call),
        )
    except EnvironmentUnresolvable as error:
        p.blockers.append((error.code, error.message, error.fix))
    data_inputs.plan_inputs(m, p)


def finalise(m: Migration) -> None:
    for p in m.estimators.values():
        _finalise(m, p)


def _finalise(m: Migration, p: EstimatorPlan) -> None:
    if not p.blocked:
        environment = p.environment
        distribution = p.distribution
        needs_statements = bool(
            (isinstance(environment, EnvironmentPlan) and environment.statements)
            or (isinstance(distribution, DistributionPlan) and (distribution.pre_statements or distribution.settings))
            or p.setup
            or "environment_variables" in p.kwargs
            or p.settings
            or p.hoist
        )
        if needs_statements and p.statement is None:
            p.statement = _outside_comprehensions(m, p)
        if needs_statements and p.statement is None:
            p.blockers.append(
                (
                    "HPM105",
                    "setup statements cannot be inserted here (one-line block, lambda or comprehension)",
                    "assign the estimator to a variable in its own statement first",
                )
            )
    if p.blocked:
        for code, message, fix in p.blockers:
            m.report(code, message, p.call, fix)
            m.todo(p.call, code, message, fix)
        return
    if isinstance(p.distribution, DistributionPlan):
        for code, message, fix in p.distribution.notes:
            m.report(code, message, p.kwargs.get("distributed_training", p.call), fix)
    for name, fix in NO_EQUIVALENT.items():
        if name in p.kwargs:
            m.report("HPL201", f"{name} has no ScriptRunConfig equivalent and was dropped", p.call, fix)
    if "source_directory_data_store" in p.kwargs:
        m.report(
            "HPL201",
            "source_directory_data_store is not a ScriptRunConfig parameter; its name moved to "
            "run_config.source_directory_data_store and its reference to run_config.data_references, as v1 did",
            p.call,
            None,
        )
    m.call_rewrites[p.call] = lambda updated, p=p: _rewrite(m, p, updated)  # type: ignore[misc]


def _outside_comprehensions(m: Migration, p: EstimatorPlan) -> cst.SimpleStatementLine | None:
    """For an estimator built in a comprehension (``[PyTorch(..., entry_script=s) for s in scripts]``):
    the statement around it, when what must run first is only the Environment (and distribution)
    set-up, and that uses none of the comprehension's names: it then runs once, above the statement,
    and every element's ScriptRunConfig gets the same Environment."""
    found = m.facts.statement_around_comprehensions(p.call)
    distribution = p.distribution
    if (
        found is None
        or p.setup
        or p.settings
        or p.hoist
        or "environment_variables" in p.kwargs
        or (isinstance(distribution, DistributionPlan) and distribution.settings)
    ):
        return None
    statement, bound = found
    if isinstance(m.facts.scope(statement), cst.ClassDef):
        return None  # a comprehension in a class body does not see the class's names
    environment = p.environment
    before = list(environment.statements) if isinstance(environment, EnvironmentPlan) else []
    if isinstance(distribution, DistributionPlan):
        before += distribution.pre_statements
    used = Counts()
    for line in before:
        count(line, used, 1)  # references only: keywords and attribute names are not the loop's names
    if any(used.names[name] for name in bound):
        return None
    return statement


def _spread(
    m: Migration, call: cst.Call
) -> tuple[cst.BaseExpression | None, tuple[list[tuple[str, cst.BaseExpression]], cst.CSTNode | None] | None]:
    """The call's one ``**`` argument and the keywords it is known to pass (no ``*args`` beside it)."""
    stars = [arg for arg in call.args if arg.star]
    if len(stars) != 1 or stars[0].star != "**":
        return None, None
    return stars[0].value, m.resolve_keywords(stars[0].value, call)


def _rewrite(m: Migration, p: EstimatorPlan, updated: cst.Call) -> cst.BaseExpression:
    kwargs, _ = call_kwargs(updated, p.spread_kwargs)
    distribution = p.distribution
    settings = list(p.settings)
    if "environment_variables" in kwargs:
        settings.insert(0, ("run_config.environment_variables", kwargs["environment_variables"]))
    if isinstance(distribution, DistributionPlan):
        settings += distribution.settings
    # Settings on a call with no name of its own, or a consumer that reads it by name: the call moves
    # into a statement of its own above.
    hoisted = (bool(settings) or p.hoist) and p.target is None
    base = "" if hoisted else m.extra_indent(p.call)
    budget, unit = m.layout()
    budget -= m.statement_indent(p.call)
    old_comments = _comments_by_parameter(updated)
    args: list[cst.Arg] = []
    carried: list[str] = []

    def add(name: str, value: cst.BaseExpression) -> None:
        args.append(b.kwarg(name, value))
        carried.append(name)

    if "source_directory" in kwargs:
        add("source_directory", kwargs["source_directory"])
    if "entry_script" in kwargs:
        add("script", kwargs["entry_script"])
    arguments = script_params.arguments_expression(m, p, kwargs, base + 2 * unit)
    if arguments is not None:
        add("arguments", arguments)
    if "compute_target" in kwargs:
        add("compute_target", kwargs["compute_target"])
    environment = p.environment
    assert isinstance(environment, EnvironmentPlan)
    add("environment", environment.expression)
    for name in environment.uses:
        m.use(name)
    if environment.needs_os:
        m.needed_modules.add("os")
    if isinstance(distribution, DistributionPlan) and distribution.expression is not None:
        add("distributed_job_config", distribution.expression)
        for name in distribution.uses:
            m.use(name)
    docker_args = [b.kwarg("use_docker", kwargs.get("use_docker", cst.Name("True")))]
    if "shm_size" in kwargs:
        docker_args.append(b.kwarg("shm_size", kwargs["shm_size"]))
    add("docker_runtime_config", b.call(cst.Name(m.use("DockerConfiguration")), docker_args, multiline=False))
    for name in ("max_run_duration_seconds", "resume_from"):
        if name in kwargs:
            add(name, kwargs[name])
    comments = [old_comments.get(name, ([], [])) for name in carried]
    new_call = b.call(
        cst.Name(m.use("ScriptRunConfig")),
        args,
        multiline=True,
        base_indent=base,
        comments=comments,
        budget=budget,
        indent_unit=unit,
    )
    m.forget(p.call)
    for value in (p.spread_kwargs or {}).values():
        m.forget(value)  # from the '**' dict: its imports go too if the dict goes and nothing else uses them
    lost = _comment_list(updated) if m.may_have_comments else []
    if lost:
        kept = {text for before, after in comments for text in [*before, *after]}
        kept.update(_comment_list(new_call))
        lost = [c for c in lost if c not in kept]

    before = list(p.setup) + list(environment.statements)
    if isinstance(distribution, DistributionPlan):
        before += list(distribution.pre_statements)
    result: cst.BaseExpression = new_call
    target = p.target
    if hoisted:
        target = m.fresh("script_run_config")
        before.append(b.assign(cst.Name(target), new_call))
        result = cst.Name(target)
    after = [b.assign(_path(target or "src", path), value) for path, value in settings]
    if result is not new_call:
        # Hoisted: the settings must be in place before the statement that uses the object runs.
        before, after = before + after, []
    if lost and p.anchor is not None:
        # Comments of parameters with no new argument move above the statement.
        m.todos.setdefault(p.anchor, []).extend(lost)
    if before or after:
        assert p.statement is not None
        m.add_before(p.statement, before)
        m.add_after(p.statement, after)
    return result


def _path(target: str, path: str) -> cst.BaseExpression:
    """``target.run_config.data["x"]`` from ``run_config.data["x"]``-style paths (subscripts allowed)."""
    return cst.parse_expression(f"{target}.{path}")


def _comments_by_parameter(call: cst.Call) -> dict[str, b.ArgComments]:
    by_new: dict[str, b.ArgComments] = {}
    for index, (arg, (before, after)) in enumerate(zip(call.args, b.argument_comments(call))):
        name = arg.keyword.value if arg.keyword else ("source_directory" if index == 0 else "")
        new = CARRIED_BY.get(name)
        if new is None or not (before or after):
            continue
        old_before, old_after = by_new.get(new, ([], []))
        by_new[new] = (old_before + before, old_after + after)
    return by_new


def _comment_list(node: cst.CSTNode) -> list[str]:
    """Comments anywhere under ``node``, in source order (the order they are moved in)."""
    return comments(node)
