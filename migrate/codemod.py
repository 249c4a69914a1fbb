"""The codemod: Estimator family → ScriptRunConfig + Environment (+ CommandStep, HyperDriveConfig).

Two passes over one module. ``Analyzer`` collects facts; ``_plan`` decides per call whether it can be
rewritten safely (anything unresolvable keeps the original code and gets a TODO comment plus a warning);
the transformer then applies the decisions bottom-up and lets libcst's import visitors add the new
imports and remove the ones that became unused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.metadata import (
    GlobalScope,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from migrate import cst_build as b
from migrate import packages
from migrate.add_imports import add_imports
from migrate.analysis import Analyzer, ModuleFacts, enclosing_statement, resolve_v1_class, statement_anchor
from migrate.arguments import UnresolvableParams, arguments_list, dict_items, merge_pairs, pairs_to_arguments
from migrate.distribution import DistributionPlan, DistributionUnresolvable, convert_standalone, plan_distribution
from migrate.environment import EnvironmentPlan, EnvironmentUnresolvable, plan_environment
from migrate.findings import TODO_MARKER, Finding
from migrate.lint_script import lint_entry_script
from migrate.names import DISTRIBUTION_CLASSES, ESTIMATOR_CLASSES, import_module_for
from migrate.prune_imports import prune_unused_imports

Pairs = list[tuple[cst.BaseExpression, cst.BaseExpression]]

# Attributes of an estimator variable that a ScriptRunConfig also has with the same meaning.
COMPATIBLE_ATTRIBUTES = {"run_config", "source_directory"}
NO_EQUIVALENT = {
    "vm_size": "create an AmlCompute cluster and pass it as compute_target",
    "vm_priority": "create an AmlCompute cluster (vm_priority='lowpriority') and pass it as compute_target",
    "inputs": "pass ds.as_mount()/as_download() (or str(data_reference)) inside arguments",
    "_enable_optimized_mode": "no equivalent; the environment is built in full",
    "_disable_validation": "no equivalent; validation no longer runs at submission",
    "_show_lint_warnings": "no equivalent; run 'hpcest migrate' to see script lint",
    "_show_package_warnings": "no equivalent; run 'hpcest migrate' to see package warnings",
}
DEPRECATED = {
    "distributed_backend": "use distributed_job_config=MpiConfiguration/PyTorchConfiguration/TensorflowConfiguration",
    "custom_docker_base_image": "use env.docker.base_image (custom_docker_image)",
    "conda_dependencies_file_path": "use Environment.from_conda_specification (conda_dependencies_file)",
    "pip_requirements_file_path": "use Environment.from_pip_requirements (pip_requirements_file)",
}
ESTIMATOR_STEP_ORDER = (
    "name",
    "estimator",
    "estimator_entry_script_arguments",
    "runconfig_pipeline_params",
    "inputs",
    "outputs",
    "compute_target",
    "allow_reuse",
    "version",
)
# v1 warned about these when they were not 1 (with a backend string they are that backend's settings).
COUNT_DEPRECATED = {
    "process_count_per_node": "give it to the distribution object, e.g. MpiConfiguration(process_count_per_node=...)",
    "worker_count": "use TensorflowConfiguration(worker_count=...)",
    "parameter_server_count": "use TensorflowConfiguration(parameter_server_count=...)",
}
HYPERDRIVE_RUN_CONFIG_ORDER = (
    "estimator",
    "hyperparameter_sampling",
    "primary_metric_name",
    "primary_metric_goal",
    "max_total_runs",
    "max_concurrent_runs",
    "max_duration_minutes",
    "policy",
)
HYPERDRIVE_CONFIG_ORDER = (
    "hyperparameter_sampling",
    "primary_metric_name",
    "primary_metric_goal",
    "max_total_runs",
    "max_concurrent_runs",
    "max_duration_minutes",
    "policy",
    "estimator",
)


@dataclass
class EstimatorPlan:
    call: cst.Call
    cls: str
    kwargs: dict[str, cst.BaseExpression]
    statement: cst.SimpleStatementLine | None
    anchor: cst.CSTNode | None
    target: str | None
    blockers: list[tuple[str, str, str]] = field(default_factory=list)
    pairs: Pairs | None = None
    override_pairs: Pairs | None = None
    extra_arguments: list[cst.BaseExpression] | None = None
    environment: EnvironmentPlan | None = None
    distribution: DistributionPlan | None = None
    variable: str = ""

    @property
    def blocked(self) -> bool:
        return bool(self.blockers)


@dataclass
class Pending:
    """Statements to insert around one original statement, and TODO comments for it."""

    before: list[cst.SimpleStatementLine] = field(default_factory=list)
    after: list[cst.SimpleStatementLine] = field(default_factory=list)


class MigrateCommand(VisitorBasedCodemodCommand):
    DESCRIPTION = "Rewrite Azure ML v1 estimators to ScriptRunConfig + Environment (+ CommandStep)."
    METADATA_DEPENDENCIES = (QualifiedNameProvider, ScopeProvider, ParentNodeProvider, PositionProvider)

    def __init__(self, context: CodemodContext, target: str = "azureml", lint_scripts: bool = True) -> None:
        super().__init__(context)
        self.target = target
        self.lint_scripts = lint_scripts
        self.findings: list[Finding] = context.scratch.setdefault("hpcest_findings", [])
        self.facts = ModuleFacts()
        self.estimators: dict[cst.Call, EstimatorPlan] = {}
        self.by_name: dict[str, list[EstimatorPlan]] = {}
        self.blocked_calls: dict[cst.Call, list[tuple[str, str, str]]] = {}
        self.standalone: set[cst.Call] = set()
        self.hyperdrive: set[cst.Call] = set()
        self.steps: set[cst.Call] = set()
        self.drop_kwarg: dict[cst.Call, str] = {}
        self.distribution_kind: dict[cst.Call, str] = {}
        self.pending: dict[cst.CSTNode, Pending] = {}
        self.todos: dict[cst.CSTNode, list[str]] = {}
        self.allocated: set[str] = set()
        self.replaced_names: set[str] = set()
        self.needed_imports: dict[str, set[str]] = {}
        self.needed_modules: set[str] = set()

    # ------------------------------------------------------------------------------- reporting
    def report(self, code: str, message: str, node: cst.CSTNode, fix: str | None = None) -> None:
        try:
            position = self.get_metadata(PositionProvider, node).start
            line, col = position.line, position.column + 1
        except KeyError:
            line, col = 1, 1
        self.findings.append(Finding(code, message, line, col, fix))
        self.warn(f"{code}:{line}:{col}: {message}")

    def todo(self, node: cst.CSTNode, code: str, message: str, fix: str) -> None:
        anchor = statement_anchor(self, node)
        if anchor is not None:
            self.todos.setdefault(anchor, []).append(f"# {TODO_MARKER}: {code} {message}; {fix}")

    # ------------------------------------------------------------------------------- entry point
    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        analyzer = Analyzer()
        assert self.context.wrapper is not None
        self.context.wrapper.visit(analyzer)
        self.facts = analyzer.facts
        if not self.facts.calls:
            return tree
        self.allocated = set(self.facts.names_in_use)
        self._plan()
        rewritten = prune_unused_imports(tree.visit(self), self.replaced_names)
        return add_imports(rewritten, self.needed_imports, self.needed_modules)

    # ------------------------------------------------------------------------------- planning
    def _kwargs(self, call: cst.Call) -> tuple[dict[str, cst.BaseExpression], list[tuple[str, str, str]]]:
        kwargs: dict[str, cst.BaseExpression] = {}
        problems: list[tuple[str, str, str]] = []
        positional = 0
        for arg in call.args:
            if arg.star:
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

    def _binding(self, name: str, at: cst.CSTNode) -> cst.BaseExpression | None:
        """The value most recently bound to ``name`` before ``at``, in its scope (or globally).

        Notebooks rebind the same names from cell to cell, and cells run top to bottom, so the latest
        preceding binding is the one in effect.
        """
        bindings = self.facts.bindings.get(name, [])
        try:
            scope = self.get_metadata(ScopeProvider, at)
        except KeyError:
            scope = None
        line = self._line(at)
        local = [bd for bd in bindings if bd.scope is scope and bd.line <= line]
        if not local:
            local = [bd for bd in bindings if isinstance(bd.scope, GlobalScope) and bd.line <= line]
        if not local or name in self.facts.mutated:
            return None
        return max(local, key=lambda bd: bd.line).value

    def _resolve_dict(self, node: cst.BaseExpression, at: cst.CSTNode) -> Pairs | None:
        pairs = self._resolve_dict_pairs(node, at)
        if pairs is not None:
            try:
                pairs_to_arguments(pairs)  # e.g. ``[*rest]`` inside a value cannot be flattened
            except UnresolvableParams:
                return None
        return pairs

    def _resolve_dict_pairs(self, node: cst.BaseExpression, at: cst.CSTNode) -> Pairs | None:
        line = self._line(at)
        if isinstance(node, cst.Dict):
            try:
                return dict_items(node)
            except UnresolvableParams:
                return None
        if isinstance(node, cst.Name):
            value = self._binding(node.value, at)
            if not isinstance(value, cst.Dict):
                return None
            try:
                pairs = dict_items(value)
            except UnresolvableParams:
                return None
            bound_at = max(bd.line for bd in self.facts.bindings[node.value] if bd.value is value)
            items = [(k, v) for k, v, ln in self.facts.item_assigns.get(node.value, []) if bound_at < ln < line]
            return merge_pairs(pairs, items)
        return None

    def _line(self, node: cst.CSTNode) -> int:
        try:
            return self.get_metadata(PositionProvider, node).start.line
        except KeyError:
            return 0

    def _workspace(self, at: cst.CSTNode) -> str | None:
        try:
            scope = self.get_metadata(ScopeProvider, at)
        except KeyError:
            return None
        for name, where in self.facts.workspace_names:
            if where is scope or isinstance(where, GlobalScope):
                return name
        return None

    def _classify(self, expr: cst.BaseExpression) -> tuple[str | None, cst.Call | None]:
        if isinstance(expr, cst.Call):
            cls = resolve_v1_class(self, expr.func, self.facts.star_modules)
            if cls in DISTRIBUTION_CLASSES:
                return cls, expr
            for q in self._qualified(expr.func):
                tail = q.rsplit(".", 1)[-1]
                if q.startswith("azureml.core") and tail.endswith("Configuration"):
                    return tail, expr
            return None, None
        if isinstance(expr, cst.Name):
            value = self._binding(expr.value, expr)
            if isinstance(value, cst.Call):
                kind, _ = self._classify(value)
                return kind, None
        return None, None

    def _qualified(self, node: cst.CSTNode) -> set[str]:
        try:
            return {q.name for q in self.get_metadata(QualifiedNameProvider, node)}
        except KeyError:
            return set()

    def _fresh(self, base: str) -> str:
        name, index = base, 2
        while name in self.allocated:
            name, index = f"{base}_{index}", index + 1
        self.allocated.add(name)
        return name

    def _plan(self) -> None:
        for call, cls in self.facts.calls:
            if cls in ESTIMATOR_CLASSES:
                self._plan_estimator(call, cls)
        for plan in self.estimators.values():
            if plan.target:
                self.by_name.setdefault(plan.target, []).append(plan)
        self._plan_reads()
        self._plan_submits()
        hyperdrive_by_name: dict[str, list[cst.Call]] = {}
        for call, cls in self.facts.calls:
            if cls in ("HyperDriveConfig", "HyperDriveRunConfig"):
                self._plan_hyperdrive(call, cls)
                target = self._assigned_name(call)
                if target:
                    hyperdrive_by_name.setdefault(target, []).append(call)
        for call, cls in self.facts.calls:
            if cls == "HyperDriveStep":
                self._plan_hyperdrive_step(call, hyperdrive_by_name)
            elif cls == "EstimatorStep":
                self._plan_estimator_step(call)
        for call, cls in self.facts.calls:
            if cls in DISTRIBUTION_CLASSES:
                self._plan_standalone_distribution(call, cls)
        for plan in self.estimators.values():
            self._finalise(plan)

    def _assigned_name(self, call: cst.Call) -> str | None:
        try:
            parent = self.get_metadata(ParentNodeProvider, call)
        except KeyError:
            return None
        if isinstance(parent, cst.Assign) and parent.value is call and len(parent.targets) == 1:
            target = parent.targets[0].target
            if isinstance(target, cst.Name):
                return target.value
        return None

    def _plan_estimator(self, call: cst.Call, cls: str) -> None:
        kwargs, problems = self._kwargs(call)
        plan = EstimatorPlan(
            call=call,
            cls=cls,
            kwargs=kwargs,
            statement=enclosing_statement(self, call),
            anchor=statement_anchor(self, call),
            target=self._assigned_name(call),
            blockers=list(problems),
        )
        self.estimators[call] = plan
        self._lint_and_package_warnings(plan)
        if problems:
            return
        if "script_params" in kwargs:
            plan.pairs = self._resolve_dict(kwargs["script_params"], call)
            if plan.pairs is None:
                plan.blockers.append(
                    (
                        "HPM101",
                        "script_params is not a dict literal bound once in this scope",
                        "write script_params as a literal dict, or convert it to arguments=[...] by hand",
                    )
                )
        if "vm_size" in kwargs and "compute_target" not in kwargs:
            plan.blockers.append(
                (
                    "HPM109",
                    "vm_size without compute_target has no ScriptRunConfig equivalent",
                    "create an AmlCompute cluster with that vm_size and pass it as compute_target",
                )
            )
        try:
            plan.distribution = plan_distribution(kwargs, self._classify)
        except DistributionUnresolvable as error:
            plan.blockers.append(
                (
                    "HPM110",
                    str(error),
                    "pass distributed_training=Mpi(...)/Gloo()/Nccl()/ParameterServer(...) directly in the call",
                )
            )
        base = plan.target or "src"
        plan.variable = f"{base}_env"
        if plan.variable in self.facts.names_in_use:
            plan.variable = self._fresh(plan.variable)
        try:
            plan.environment = plan_environment(
                cls,
                kwargs,
                plan.variable,
                f"{base.replace('_', '-')}-env",
                self._workspace(call),
                add_defaults=self.target == "azureml",
            )
        except EnvironmentUnresolvable as error:
            plan.blockers.append((error.code, error.message, error.fix))

    def _plan_reads(self) -> None:
        for name, plans in self.by_name.items():
            reads = [attr for attr, _ in self.facts.attribute_reads.get(name, []) if attr not in COMPATIBLE_ATTRIBUTES]
            if reads:
                for plan in plans:
                    plan.blockers.append(
                        (
                            "HPM103",
                            f"estimator attribute(s) {', '.join(sorted(set(reads)))} are read later",
                            "read the same values from the ScriptRunConfig (script, arguments, run_config) by hand",
                        )
                    )

    def _plan_submits(self) -> None:
        overrides_by_name: dict[str, list[tuple[cst.Call, dict[str, cst.Arg]]]] = {}
        for submit in self.facts.submits:
            config: cst.BaseExpression | None = None
            extra: dict[str, cst.Arg] = {}
            for index, arg in enumerate(submit.args):
                if (arg.keyword is None and index == 0) or (arg.keyword is not None and arg.keyword.value == "config"):
                    config = arg.value
                elif arg.keyword is not None and arg.keyword.value in (
                    "script_params",
                    "inputs",
                    "source_directory_data_store",
                ):
                    extra[arg.keyword.value] = arg
            if not extra:
                continue
            if isinstance(config, cst.Name) and config.value in self.by_name:
                overrides_by_name.setdefault(config.value, []).append((submit, extra))
            elif isinstance(config, cst.Call) and config in self.estimators:
                self._block(
                    self.estimators[config],
                    submit,
                    "HPM106",
                    "submit-time overrides on an inline estimator",
                    "put the values in the estimator call",
                )
        for name, uses in overrides_by_name.items():
            plans = self.by_name[name]
            submit, extra = uses[0]
            reason = None
            if len(uses) > 1 or len(plans) > 1:
                reason = "the estimator is submitted or built more than once with overrides"
            elif set(extra) != {"script_params"}:
                reason = "inputs/source_directory_data_store overrides have no ScriptRunConfig equivalent"
            else:
                override = self._resolve_dict(extra["script_params"].value, submit)
                base = plans[0].pairs if "script_params" in plans[0].kwargs else []
                if override is None or base is None:
                    reason = "submit-time script_params is not a literal dict"
                else:
                    plans[0].override_pairs = override
                    self.drop_kwarg[submit] = "script_params"
            if reason:
                for plan in plans:
                    self._block(plan, submit, "HPM106", reason, "merge the overrides into the estimator by hand")

    def _block(self, plan: EstimatorPlan, where: cst.CSTNode, code: str, message: str, fix: str) -> None:
        plan.blockers.append((code, message, fix))
        if where is not plan.call:
            self.report(code, message, where, fix)

    def _estimator_blocked(self, expr: cst.BaseExpression | None) -> bool | None:
        """True if expr refers to an estimator left intact, False if to a rewritten one, None unknown."""
        if isinstance(expr, cst.Call) and expr in self.estimators:
            return self.estimators[expr].blocked
        if isinstance(expr, cst.Name) and expr.value in self.by_name:
            return any(p.blocked for p in self.by_name[expr.value])
        return None

    def _plan_hyperdrive(self, call: cst.Call, cls: str) -> None:
        order = HYPERDRIVE_RUN_CONFIG_ORDER if cls == "HyperDriveRunConfig" else HYPERDRIVE_CONFIG_ORDER
        estimator = None
        for index, arg in enumerate(call.args):
            if arg.star:
                self._keep(call, "HPM102", "HyperDrive config uses *args/**kwargs", "spell out estimator=...")
                return
            name = arg.keyword.value if arg.keyword else (order[index] if index < len(order) else None)
            if name == "estimator":
                estimator = arg.value
        if estimator is None:
            if cls == "HyperDriveRunConfig":
                self.hyperdrive.add(call)
            return
        if self._estimator_blocked(estimator):
            self._keep(
                call,
                "HPM107",
                "the estimator given to HyperDrive is left as an estimator",
                "resolve the estimator's TODO first, then pass run_config=<ScriptRunConfig>",
            )
            return
        self.hyperdrive.add(call)

    def _keep(self, call: cst.Call, code: str, message: str, fix: str) -> None:
        self.report(code, message, call, fix)
        self.todo(call, code, message, fix)

    def _plan_hyperdrive_step(self, call: cst.Call, hyperdrive_by_name: dict[str, list[cst.Call]]) -> None:
        arguments = config = None
        for index, arg in enumerate(call.args):
            if arg.keyword is not None and arg.keyword.value == "estimator_entry_script_arguments":
                arguments = arg.value
            elif (arg.keyword is not None and arg.keyword.value == "hyperdrive_config") or (
                arg.keyword is None and index == 1
            ):
                config = arg.value
        if arguments is None:
            return
        plan = None
        if isinstance(config, cst.Name) and len(hyperdrive_by_name.get(config.value, [])) == 1:
            hd = hyperdrive_by_name[config.value][0]
            if hd in self.hyperdrive:
                for arg in hd.args:
                    if arg.keyword is not None and arg.keyword.value == "estimator":
                        estimator = arg.value
                        if isinstance(estimator, cst.Name) and len(self.by_name.get(estimator.value, [])) == 1:
                            plan = self.by_name[estimator.value][0]
        movable = (
            plan is not None
            and not plan.blocked
            and plan.pairs is None
            and plan.extra_arguments is None
            and isinstance(arguments, cst.List)
            and all(self._defined_before(e, plan.call) for e in arguments.elements)
        )
        if movable and plan is not None and isinstance(arguments, cst.List):
            plan.extra_arguments = [e.value for e in arguments.elements]
            self.drop_kwarg[call] = "estimator_entry_script_arguments"
        else:
            self.report(
                "HPM108",
                "estimator_entry_script_arguments stays on the HyperDriveStep (valid with a "
                "ScriptRunConfig that has no arguments)",
                call,
                "move the list into ScriptRunConfig(arguments=...) by hand if you prefer",
            )

    def _defined_before(self, element: cst.BaseElement, at: cst.CSTNode) -> bool:
        if isinstance(element, cst.StarredElement):
            return False
        value = element.value
        if b.literal_value(value) is not NotImplemented:
            return True
        if isinstance(value, cst.Name):
            line = self._line(at)
            return any(bd.line < line for bd in self.facts.bindings.get(value.value, []))
        return False

    def _plan_estimator_step(self, call: cst.Call) -> None:
        estimator = None
        for index, arg in enumerate(call.args):
            if arg.star:
                self._keep(call, "HPM102", "EstimatorStep uses *args/**kwargs", "spell out the step parameters")
                return
            name = arg.keyword.value if arg.keyword else ESTIMATOR_STEP_ORDER[min(index, len(ESTIMATOR_STEP_ORDER) - 1)]
            if name == "estimator":
                estimator = arg.value
        if not isinstance(estimator, cst.Name | cst.Attribute):
            self._keep(
                call, "HPM107", "EstimatorStep's estimator is not a variable", "bind the estimator to a variable first"
            )
            return
        if self._estimator_blocked(estimator):
            self._keep(
                call,
                "HPM107",
                "the estimator given to EstimatorStep is left as an estimator",
                "resolve the estimator's TODO first; the step then becomes a CommandStep",
            )
            return
        self.steps.add(call)

    def _plan_standalone_distribution(self, call: cst.Call, cls: str) -> None:
        # Consumed directly by an estimator being rewritten: the estimator builds the new object.
        for plan in self.estimators.values():
            if plan.kwargs.get("distributed_training") is call:
                if not plan.blocked:
                    return
                return  # left intact with its estimator
        name = self._assigned_name(call)
        if name is not None:
            for plan in self.estimators.values():
                value = plan.kwargs.get("distributed_training")
                if isinstance(value, cst.Name) and value.value == name and plan.blocked:
                    return
        if any(arg.star for arg in call.args):
            return
        self.standalone.add(call)
        self.distribution_kind[call] = cls

    def _finalise(self, plan: EstimatorPlan) -> None:
        if not plan.blocked:
            needs_statements = bool(
                (plan.environment and plan.environment.statements)
                or (plan.distribution and plan.distribution.pre_statements)
                or "environment_variables" in plan.kwargs
                or "source_directory_data_store" in plan.kwargs
            )
            if needs_statements and plan.statement is None:
                plan.blockers.append(
                    (
                        "HPM105",
                        "setup statements cannot be inserted here (one-line block, lambda or comprehension)",
                        "assign the estimator to a variable in its own statement first",
                    )
                )
        if plan.blocked:
            for code, message, fix in plan.blockers:
                self.report(code, message, plan.call, fix)
                self.todo(plan.call, code, message, fix)
            return
        for name, fix in NO_EQUIVALENT.items():
            if name in plan.kwargs:
                self.report("HPL201", f"{name} has no ScriptRunConfig equivalent and was dropped", plan.call, fix)
                if name == "inputs":
                    self.todo(plan.call, "HPL201", "inputs were dropped", fix)
        if "source_directory_data_store" in plan.kwargs:
            self.report(
                "HPL201",
                "source_directory_data_store is not a ScriptRunConfig parameter; moved to "
                "run_config.source_directory_data_store",
                plan.call,
                None,
            )

    def _lint_and_package_warnings(self, plan: EstimatorPlan) -> None:
        kwargs = plan.kwargs
        for name, fix in DEPRECATED.items():
            if name in kwargs:
                self.report("HPL202", f"{name} is deprecated", kwargs[name], fix)
        for name, fix in COUNT_DEPRECATED.items():
            if name in kwargs and b.literal_value(kwargs[name]) != 1 and "distributed_backend" not in kwargs:
                self.report("HPL202", f"{name} other than 1 is deprecated", kwargs[name], fix)
        pip_items = b.string_list(kwargs.get("pip_packages")) if "pip_packages" in kwargs else []
        conda_items = b.string_list(kwargs.get("conda_packages")) if "conda_packages" in kwargs else []
        requirements = [value for value, _ in pip_items or []]
        for code, message, fix in packages.check_pip(requirements):
            self.report(code, message, kwargs["pip_packages"], fix)
        for code, message, fix in packages.check_conda([value for value, _ in conda_items or []]):
            self.report(code, message, kwargs["conda_packages"], fix)
        version = b.literal_value(kwargs.get("framework_version")) if "framework_version" in kwargs else None
        if isinstance(version, str) or version is None:
            for code, message, fix in packages.check_framework_pins(plan.cls, version, requirements):
                self.report(code, message, kwargs["pip_packages"], fix)
        has_mpi = self._uses_mpi(kwargs)
        for code, message, fix in packages.check_horovod(requirements, has_mpi):
            self.report(code, message, kwargs["pip_packages"], fix)
        if self.target == "azureml":
            if "pip_packages" in kwargs and pip_items is None:
                self.report(
                    "HPP306",
                    "pip_packages is not a literal list; azureml-defaults cannot be added",
                    kwargs["pip_packages"],
                    "make sure the list contains 'azureml-defaults'",
                )
            req_file = self._local_file(kwargs, "pip_requirements_file") or self._local_file(
                kwargs, "pip_requirements_file_path"
            )
            if req_file is not None:
                lines = packages.read_requirements_file(req_file.read_text(encoding="utf-8", errors="replace"))
                findings = packages.check_pip(lines) + packages.check_defaults_present(lines)
                for code, message, fix in findings:
                    self.report(code, f"{req_file.name}: {message}", plan.call, fix)
        if self.lint_scripts:
            script = self._local_file(kwargs, "entry_script")
            if script is not None:
                for code, message, fix, _, _ in lint_entry_script(script):
                    self.report(code, message, kwargs["entry_script"], fix)

    def _uses_mpi(self, kwargs: dict[str, cst.BaseExpression]) -> bool:
        backend = b.literal_value(kwargs.get("distributed_backend")) if "distributed_backend" in kwargs else None
        if isinstance(backend, str) and backend.lower() == "mpi":
            return True
        training = kwargs.get("distributed_training")
        if training is not None:
            kind, _ = self._classify(training)
            return kind in ("Mpi", "MpiConfiguration")
        return False

    def _local_file(self, kwargs: dict[str, cst.BaseExpression], key: str) -> Path | None:
        """A file named by a literal relative to the literal source_directory, next to the module."""
        if not self.context.filename or key not in kwargs:
            return None
        name = b.literal_value(kwargs[key])
        source = b.literal_value(kwargs.get("source_directory")) if "source_directory" in kwargs else "."
        if not isinstance(name, str) or not isinstance(source, str):
            return None
        path = Path(self.context.filename).parent / source / name
        try:
            return path if path.is_file() else None
        except OSError:
            return None

    # ------------------------------------------------------------------------------- transform
    def _import(self, name: str) -> str:
        self.needed_imports.setdefault(import_module_for(name, self.target), set()).add(name)
        return name

    def _forget(self, original: cst.Call) -> None:
        """Remember the names a replaced call used, so their imports go if nothing else uses them."""
        collector = _NameCollector()
        original.visit(collector)
        self.replaced_names |= collector.names

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if original_node in self.estimators and not self.estimators[original_node].blocked:
            return self._rewrite_estimator(self.estimators[original_node], updated_node)
        if original_node in self.standalone:
            self._forget(original_node)
            new, name = convert_standalone(self.distribution_kind[original_node], updated_node)
            self._import(name)
            return new
        if original_node in self.hyperdrive:
            return self._rewrite_hyperdrive(original_node, updated_node)
        if original_node in self.steps:
            return self._rewrite_estimator_step(original_node, updated_node)
        if original_node in self.drop_kwarg:
            keyword = self.drop_kwarg[original_node]
            args = [a for a in updated_node.args if not (a.keyword and a.keyword.value == keyword)]
            if args:
                args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return updated_node.with_changes(args=args)
        return updated_node

    def _updated_kwargs(self, updated: cst.Call) -> dict[str, cst.BaseExpression]:
        kwargs, _ = self._kwargs(updated)
        return kwargs

    def _extra_indent(self, call: cst.Call) -> str:
        """Indentation of the line a nested call starts on, beyond its statement's own indentation."""
        anchor = statement_anchor(self, call)
        if anchor is None or self.context.wrapper is None:
            return ""
        if not hasattr(self, "_lines"):
            self._lines = self.context.wrapper.module.code.splitlines()
        try:
            line = self.get_metadata(PositionProvider, call).start.line
            first = self.get_metadata(PositionProvider, anchor).start.line
        except KeyError:
            return ""
        if line == first:
            return ""

        def leading(text: str) -> str:
            return text[: len(text) - len(text.lstrip(" \t"))]

        call_indent, statement_indent = leading(self._lines[line - 1]), leading(self._lines[first - 1])
        return call_indent[len(statement_indent) :] if call_indent.startswith(statement_indent) else ""

    def _rewrite_estimator(self, plan: EstimatorPlan, updated: cst.Call) -> cst.BaseExpression:
        kwargs = self._updated_kwargs(updated)
        base = self._extra_indent(plan.call)
        args: list[cst.Arg] = []
        if "source_directory" in kwargs:
            args.append(b.kwarg("source_directory", kwargs["source_directory"]))
        if "entry_script" in kwargs:
            args.append(b.kwarg("script", kwargs["entry_script"]))
        pairs = plan.pairs or []
        if plan.override_pairs is not None:
            pairs = merge_pairs(pairs, plan.override_pairs)
        items = pairs_to_arguments(pairs) + (plan.extra_arguments or [])
        if "script_params" in kwargs or items:
            args.append(b.kwarg("arguments", arguments_list(items, indent=base + 2 * b.INDENT)))
        if "compute_target" in kwargs:
            args.append(b.kwarg("compute_target", kwargs["compute_target"]))
        environment = plan.environment
        assert environment is not None
        args.append(b.kwarg("environment", environment.expression))
        for name in environment.uses:
            self._import(name)
        if environment.needs_os:
            self.needed_modules.add("os")
        distribution = plan.distribution
        if distribution is not None and distribution.expression is not None:
            args.append(b.kwarg("distributed_job_config", distribution.expression))
            for name in distribution.uses:
                self._import(name)
        docker_args = [b.kwarg("use_docker", kwargs.get("use_docker", cst.Name("True")))]
        if "shm_size" in kwargs:
            docker_args.append(b.kwarg("shm_size", kwargs["shm_size"]))
        args.append(
            b.kwarg(
                "docker_runtime_config",
                b.call(cst.Name(self._import("DockerConfiguration")), docker_args, multiline=False),
            )
        )
        for name in ("max_run_duration_seconds", "resume_from"):
            if name in kwargs:
                args.append(b.kwarg(name, kwargs[name]))
        new_call = b.call(cst.Name(self._import("ScriptRunConfig")), args, multiline=True, base_indent=base)
        self._forget(plan.call)
        lost = _comments(updated) - _comments(new_call)

        before = list(environment.statements) + list(distribution.pre_statements if distribution else [])
        after_values = [
            (f"run_config.{name}", kwargs[name])
            for name in ("environment_variables", "source_directory_data_store")
            if name in kwargs
        ]
        result: cst.BaseExpression = new_call
        target = plan.target
        if after_values and target is None:
            target = self._fresh("script_run_config")
            before.append(b.assign(cst.Name(target), new_call))
            result = cst.Name(target)
        after = [b.assign(b.attr(f"{target}.{path}"), value) for path, value in after_values]
        if result is not new_call:
            # Hoisted: the settings must be in place before the statement that uses the object runs.
            before, after = before + after, []
        if lost and plan.anchor is not None:
            # Comments written between the estimator's arguments move above the statement.
            self.todos.setdefault(plan.anchor, []).extend(sorted(lost, key=_comment_order(updated)))
        if before or after:
            assert plan.statement is not None
            pending = self.pending.setdefault(plan.statement, Pending())
            pending.before.extend(before)
            pending.after.extend(after)
        return result

    def _rewrite_hyperdrive(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        cls = resolve_v1_class(self, original.func, self.facts.star_modules)
        order = HYPERDRIVE_RUN_CONFIG_ORDER if cls == "HyperDriveRunConfig" else HYPERDRIVE_CONFIG_ORDER
        args: list[cst.Arg] = []
        for index, arg in enumerate(updated.args):
            name = arg.keyword.value if arg.keyword else None
            if name is None and (cls == "HyperDriveRunConfig" or len(updated.args) > order.index("estimator")):
                # Positional arguments reaching ``estimator`` must become keywords once it is renamed.
                name = order[index] if index < len(order) else None
            if name == "estimator":
                name = "run_config"
            args.append(
                arg
                if name is None
                else arg.with_changes(
                    keyword=cst.Name(name),
                    equal=arg.equal
                    if arg.keyword
                    else cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
                )
            )
        func = updated.func
        if cls == "HyperDriveRunConfig":
            self.report(
                "HPL202",
                "HyperDriveRunConfig is deprecated; it is a HyperDriveConfig",
                original,
                "use HyperDriveConfig(run_config=...)",
            )
            self._forget(original)
            func = cst.Name(self._import("HyperDriveConfig"))
        converted = [u for u, a in zip(updated.args, args) if u.keyword is None and a.keyword is not None]
        if converted:
            # Positional arguments became keywords: lay the call out afresh.
            return b.call(
                func,
                [b.kwarg(a.keyword.value, a.value) if a.keyword else a for a in args],
                base_indent=self._extra_indent(original),
            )
        return updated.with_changes(func=func, args=args)

    def _rewrite_estimator_step(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        kwargs = {
            (a.keyword.value if a.keyword else ESTIMATOR_STEP_ORDER[index]): a.value
            for index, a in enumerate(updated.args)
        }
        estimator = kwargs["estimator"]
        script = cst.Attribute(value=estimator, attr=cst.Name("script"))
        command: list[cst.BaseElement] = [cst.Element(b.string("python")), cst.Element(script)]
        step_args = kwargs.get("estimator_entry_script_arguments")
        if isinstance(step_args, cst.List):
            command.extend(cst.Element(e.value) if isinstance(e, cst.Element) else e for e in step_args.elements)
        elif step_args is not None and not (isinstance(step_args, cst.Name) and step_args.value == "None"):
            command.append(cst.StarredElement(step_args))
        command_list = cst.List(
            [
                element.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                if index < len(command) - 1
                else element.with_changes(comma=cst.MaybeSentinel.DEFAULT)
                for index, element in enumerate(command)
            ]
        )
        args = [b.kwarg("command", command_list)]
        if "name" in kwargs:
            args.append(b.kwarg("name", kwargs["name"]))
        if "compute_target" in kwargs:
            args.append(b.kwarg("compute_target", kwargs["compute_target"]))
        # CommandStep refuses a script-only ScriptRunConfig; its RunConfiguration plus an explicit
        # command and source directory is what the step needs.
        args.append(b.kwarg("runconfig", cst.Attribute(value=estimator, attr=cst.Name("run_config"))))
        for name in ("runconfig_pipeline_params", "inputs", "outputs"):
            if name in kwargs:
                args.append(b.kwarg(name, kwargs[name]))
        args.append(b.kwarg("source_directory", cst.Attribute(value=estimator, attr=cst.Name("source_directory"))))
        for name in ("allow_reuse", "version"):
            if name in kwargs:
                args.append(b.kwarg(name, kwargs[name]))
        self._forget(original)
        return b.call(
            cst.Name(self._import("CommandStep")), args, multiline=True, base_indent=self._extra_indent(original)
        )

    # ------------------------------------------------------------------------------- statements
    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[override]
        result = super().on_leave(original_node, updated_node)
        comments = self.todos.get(original_node)
        if comments:
            result = _with_comments(result, comments)
        return result

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.FlattenSentinel[cst.BaseStatement]:
        pending = self.pending.get(original_node)
        if pending is None:
            return updated_node
        # Comments above the original statement stay above everything inserted for it.
        lines = updated_node.leading_lines
        statements: list[cst.BaseStatement] = [
            *pending.before,
            updated_node.with_changes(leading_lines=[]),
            *pending.after,
        ]
        statements[0] = statements[0].with_changes(leading_lines=lines)
        return cst.FlattenSentinel(statements)


def _with_comments(node, comments: list[str]):  # type: ignore[no-untyped-def]
    if isinstance(node, cst.FlattenSentinel):
        first, *rest = list(node.nodes)
        return cst.FlattenSentinel([_with_comments(first, comments), *rest])
    if not hasattr(node, "leading_lines"):
        return node
    existing = {line.comment.value for line in node.leading_lines if line.comment is not None}
    new = [cst.EmptyLine(comment=cst.Comment(text)) for text in dict.fromkeys(comments) if text not in existing]
    if not new:
        return node
    return node.with_changes(leading_lines=[*node.leading_lines, *new])


class _CommentCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[str] = []

    def visit_Comment(self, node: cst.Comment) -> None:
        self.found.append(node.value)


def _comment_list(node: cst.CSTNode) -> list[str]:
    collector = _CommentCollector()
    node.visit(collector)
    return collector.found


def _comments(node: cst.CSTNode) -> set[str]:
    return set(_comment_list(node))


def _comment_order(node: cst.CSTNode):  # type: ignore[no-untyped-def]
    order = {text: index for index, text in enumerate(_comment_list(node))}
    return lambda text: order.get(text, 0)


class _NameCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        name = cst.helpers.get_full_name_for_node(node)
        if name:
            self.names.add(name)
