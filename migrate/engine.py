"""Runs the rules over one module: one analysis pass, the rules' plans, one transform pass, imports.

Each rule (``migrate.rules.*``) reads the shared :class:`Migration` (facts from the analysis pass and
the plans of the rules before it) and registers edits: a replacement for a call or another node,
statements to insert around a statement, a TODO comment on a statement, a statement to delete. The
transformer then applies every registered edit in a single bottom-up pass, and the import edits run
last (``migrate.imports``), from name counts kept up to date during the transform pass instead of
another pass over the module.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from migrate import cst_build as b
from migrate.analysis import Binding, Facts, analyse
from migrate.arguments import UnresolvableParams, dict_items, merge_pairs, pairs_to_arguments
from migrate.cst_walk import code_walk, rebuild
from migrate.findings import TODO_MARKER, Finding
from migrate.imports import Counts, add, count, prune
from migrate.names import DISTRIBUTION_CLASSES, import_module_for

Pairs = list[tuple[cst.BaseExpression, cst.BaseExpression]]
Blocker = tuple[str, str, str]


@dataclass
class EstimatorPlan:
    call: cst.Call
    cls: str
    kwargs: dict[str, cst.BaseExpression]
    statement: cst.SimpleStatementLine | None
    anchor: cst.CSTNode | None
    target: str | None
    blockers: list[Blocker] = field(default_factory=list)
    pairs: Pairs | None = None
    runtime_params: cst.BaseExpression | None = None  # script_params converted when the job is built
    override_pairs: Pairs | None = None
    extra_arguments: list[cst.BaseExpression] | None = None
    environment: object = None  # migrate.environment.EnvironmentPlan
    distribution: object = None  # migrate.distribution.DistributionPlan
    variable: str = ""
    # (attribute path under the ScriptRunConfig, value) set right after it is built
    settings: list[tuple[str, cst.BaseExpression]] = field(default_factory=list)
    # statements that must run before the call (hoisted data inputs)
    setup: list[cst.SimpleStatementLine] = field(default_factory=list)
    # statements that built a script_params dict inlined into arguments (removed once unused)
    dead_statements: list[cst.CSTNode] = field(default_factory=list)
    # ``**name`` whose dict was spelled out as keywords: the name and the statement that bound it
    spread: tuple[str, cst.CSTNode | None] | None = None
    spread_kwargs: dict[str, cst.BaseExpression] | None = None
    # id(argument item) -> what replaces it (a data reference becomes str(ref))
    argument_replacements: dict[int, cst.BaseExpression] = field(default_factory=dict)
    # built in a call whose rewrite reads it by name (an EstimatorStep's CommandStep): give it a variable
    hoist: bool = False
    # names (less leading dashes) of script_params left out of the arguments: the HyperDrive sweep
    # that runs it samples them
    sampled_names: set[str] = field(default_factory=set)

    @property
    def blocked(self) -> bool:
        return bool(self.blockers)


@dataclass
class Pending:
    before: list[cst.SimpleStatementLine] = field(default_factory=list)
    after: list[cst.SimpleStatementLine] = field(default_factory=list)


class Migration:
    """Facts about one module plus the edits the rules decided on."""

    def __init__(
        self,
        module: cst.Module,
        target: str = "azureml",
        filename: str | None = None,
        lint_scripts: bool = True,
        source: str | None = None,
    ) -> None:
        self.module = module
        self.source = source  # the text the module was parsed from, when known (saves a codegen)
        self.target = target
        self.filename = filename
        self.lint_scripts = lint_scripts
        self.facts: Facts = analyse(module)
        self.reports: list[tuple[str, str, cst.CSTNode | None, str | None]] = []
        self.estimators: dict[cst.Call, EstimatorPlan] = {}
        self.by_name: dict[str, list[EstimatorPlan]] = {}
        self.hyperdrive_by_name: dict[str, list[cst.Call]] = {}
        self.call_rewrites: dict[cst.Call, Callable[[cst.Call], cst.BaseExpression]] = {}
        self.node_rewrites: dict[cst.CSTNode, Callable[[cst.CSTNode], cst.CSTNode]] = {}
        self.pending: dict[cst.CSTNode, Pending] = {}
        self.todos: dict[cst.CSTNode, list[str]] = {}
        self.removed: set[cst.CSTNode] = set()
        self.allocated: set[str] = set(self.facts.names_in_use)
        self.replaced_names: set[str] = set()
        self.needed_imports: dict[str, set[str]] = {}
        self.needed_modules: set[str] = set()
        self.emitted = 0  # names handed out by use(), to find the first statement that needs an import
        self._layout: tuple[int, str] | None = None

    @property
    def may_have_comments(self) -> bool:
        """False when the source has no ``#`` at all, so no node holds a comment (saves the walks
        that collect the comments of a rewritten call)."""
        return self.source is None or "#" in self.source

    # ------------------------------------------------------------------------------- reporting
    def report(self, code: str, message: str, node: cst.CSTNode | None, fix: str | None = None) -> None:
        self.reports.append((code, message, node, fix))

    def todo(self, node: cst.CSTNode, code: str, message: str, fix: str) -> None:
        anchor = self.facts.statement_anchor(node)
        if anchor is not None:
            self.todos.setdefault(anchor, []).append(f"# {TODO_MARKER}: {code} {message}; {fix}")

    def keep(self, call: cst.CSTNode, code: str, message: str, fix: str) -> None:
        """Leave ``call`` as it is: a warning and a TODO comment above its statement."""
        self.report(code, message, call, fix)
        self.todo(call, code, message, fix)

    def findings(self) -> list[Finding]:
        where = iter(self.facts.positions(node for _, _, node, _ in self.reports if node is not None))
        found = []
        for code, message, node, fix in self.reports:
            line, col = next(where) if node is not None else (1, 1)
            found.append(Finding(code, message, line, col, fix))
        return sorted(found, key=lambda f: (f.line, f.col, f.code))

    # ------------------------------------------------------------------------------- lookups
    def binding(self, name: str, at: cst.CSTNode) -> cst.BaseExpression | None:
        """The value most recently bound to ``name`` before ``at``, in its scope (or globally).

        Notebooks rebind the same names from cell to cell, and cells run top to bottom, so the latest
        preceding binding is the one in effect. A name mutated anywhere has no static value.
        """
        found = self.binding_record(name, at)
        if found is None or name in self.facts.mutated:
            return None
        return found.value

    def binding_record(self, name: str, at: cst.CSTNode) -> Binding | None:
        bindings = self.facts.bindings.get(name, [])
        scope = self.facts.scope(at)
        order = self.facts.order_of(at)
        local = [bd for bd in bindings if bd.scope is scope and bd.order <= order]
        if not local:
            local = [bd for bd in bindings if bd.scope is None and bd.order <= order]
        if not local:
            return None
        return max(local, key=lambda bd: bd.order)

    def resolve_dict(self, node: cst.BaseExpression, at: cst.CSTNode) -> tuple[Pairs, list[cst.CSTNode]] | None:
        """Literal key/value pairs of a dict (or a name bound to one, plus ``d[k] = v`` writes before
        ``at``), and the statements that built it; None when not static."""
        if isinstance(node, cst.Dict):
            try:
                pairs = dict_items(node)
                pairs_to_arguments(pairs)
            except UnresolvableParams:
                return None
            return pairs, []
        if isinstance(node, cst.Name):
            record = self.binding_record(node.value, at)
            if record is None or node.value in self.facts.mutated or not isinstance(record.value, cst.Dict):
                return None
            try:
                pairs = dict_items(record.value)
            except UnresolvableParams:
                return None
            line = self.facts.order_of(at)
            writes = [w for w in self.facts.item_assigns.get(node.value, []) if record.order < w[2] < line]
            later = [w for w in self.facts.item_assigns.get(node.value, []) if w[2] > line]
            if later:
                return None  # written after the estimator: other code still reads the dict
            merged = merge_pairs(pairs, [(k, v) for k, v, _, _ in writes])
            try:
                pairs_to_arguments(merged)
            except UnresolvableParams:
                return None
            statements: list[cst.CSTNode] = [record.statement] if record.statement is not None else []
            statements += [w[3] for w in writes]
            return merged, statements
        return None

    def resolve_keywords(
        self, node: cst.BaseExpression, at: cst.CSTNode
    ) -> tuple[list[tuple[str, cst.BaseExpression]], cst.CSTNode | None] | None:
        """The keyword arguments ``**node`` passes (a dict literal with string keys, ``dict(k=v, ...)``,
        or a name bound to one and never changed afterwards), with the statement that bound the name;
        None when they cannot be known statically."""
        statement: cst.CSTNode | None = None
        if isinstance(node, cst.Name):
            record = self.binding_record(node.value, at)
            if record is None or node.value in self.facts.mutated or self.facts.item_assigns.get(node.value):
                return None
            # The values move to the call: a name in them bound again in between would change them.
            between = range(record.order + 1, self.facts.order_of(at))
            for used in code_walk(record.value):
                if isinstance(used, cst.Name) and any(
                    bd.order in between for bd in self.facts.bindings.get(used.value, [])
                ):
                    return None
            node, statement = record.value, record.statement
        if isinstance(node, cst.Dict):
            try:
                pairs = dict_items(node)
            except UnresolvableParams:
                return None
            keywords = [
                (b.string_value(key) if isinstance(key, cst.SimpleString) else None, value) for key, value in pairs
            ]
        elif (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Name)
            and node.func.value == "dict"
            and not self.facts.bindings.get("dict")
            and all(arg.keyword is not None and not arg.star for arg in node.args)
        ):
            keywords = [(arg.keyword.value, arg.value) for arg in node.args if arg.keyword is not None]
        else:
            return None
        names = [name for name, _ in keywords]
        if not all(isinstance(name, str) and name.isidentifier() for name in names) or len(set(names)) != len(names):
            return None
        return [(name, value) for name, value in keywords if isinstance(name, str)], statement

    def resolve_list(self, node: cst.BaseExpression, at: cst.CSTNode) -> cst.List | cst.Tuple | None:
        if isinstance(node, cst.List | cst.Tuple):
            return node
        if isinstance(node, cst.Name):
            value = self.binding(node.value, at)
            if isinstance(value, cst.List | cst.Tuple):
                return value
        return None

    def workspace(self, at: cst.CSTNode) -> str | None:
        scope = self.facts.scope(at)
        for name, where in self.facts.workspace_names:
            if where is scope or where is None:
                return name
        return None

    def classify(self, expr: cst.BaseExpression) -> tuple[str | None, cst.Call | None]:
        """Which v1 distribution class / core configuration an expression is (through a variable)."""
        if isinstance(expr, cst.Call):
            cls = self.facts.v1_class(expr.func)
            if cls in DISTRIBUTION_CLASSES:
                return cls, expr
            for q in self.facts.qualified(expr.func):
                tail = q.rsplit(".", 1)[-1]
                if q.startswith("azureml.core") and tail.endswith("Configuration"):
                    return tail, expr
            return None, None
        if isinstance(expr, cst.Name):
            value = self.binding(expr.value, expr)
            if isinstance(value, cst.Call):
                kind, _ = self.classify(value)
                return kind, None
        return None, None

    def local_file(self, kwargs: dict[str, cst.BaseExpression], key: str) -> Path | None:
        """A file named by a literal relative to the literal source_directory, next to the module."""
        if not self.filename or key not in kwargs:
            return None
        name = b.literal_value(kwargs[key])
        source = b.literal_value(kwargs.get("source_directory")) if "source_directory" in kwargs else "."
        if not isinstance(name, str) or not isinstance(source, str):
            return None
        path = Path(self.filename).parent / source / name
        try:
            return path if path.is_file() else None
        except OSError:
            return None

    def local_directory(self, kwargs: dict[str, cst.BaseExpression]) -> Path | None:
        if not self.filename:
            return None
        source = b.literal_value(kwargs.get("source_directory")) if "source_directory" in kwargs else "."
        if not isinstance(source, str):
            return None
        path = Path(self.filename).parent / source
        return path if path.is_dir() else None

    def estimator_blocked(self, expr: cst.BaseExpression | None) -> bool | None:
        """True if expr refers to an estimator left intact, False if to a rewritten one, None unknown."""
        if isinstance(expr, cst.Call) and expr in self.estimators:
            return self.estimators[expr].blocked
        if isinstance(expr, cst.Name) and expr.value in self.by_name:
            return any(p.blocked for p in self.by_name[expr.value])
        return None

    # ------------------------------------------------------------------------------- emitting
    def fresh(self, base: str) -> str:
        name, index = base, 2
        while name in self.allocated:
            name, index = f"{base}_{index}", index + 1
        self.allocated.add(name)
        return name

    def use(self, name: str) -> str:
        """An emitted class name; its import is added at the end."""
        self.emitted += 1
        self.needed_imports.setdefault(import_module_for(name, self.target), set()).add(name)
        return name

    def forget(self, original: cst.CSTNode) -> None:
        """Remember the names a replaced node used, so their imports go if nothing else uses them."""
        names = self.replaced_names
        for node in code_walk(original):
            if type(node) is cst.Name:
                names.add(node.value)  # type: ignore[attr-defined]
            elif type(node) is cst.Attribute:
                dotted = cst.helpers.get_full_name_for_node(node)
                if dotted:
                    names.add(dotted)

    def add_before(self, statement: cst.CSTNode, lines: list[cst.SimpleStatementLine]) -> None:
        self.pending.setdefault(statement, Pending()).before.extend(lines)

    def add_after(self, statement: cst.CSTNode, lines: list[cst.SimpleStatementLine]) -> None:
        self.pending.setdefault(statement, Pending()).after.extend(lines)

    def layout(self) -> tuple[int, str]:
        """(line length, indentation unit) of the file, so emitted code looks like its neighbours."""
        if self._layout is None:
            self._layout = _layout(self.module, self.source)
        return self._layout

    def extra_indent(self, node: cst.CSTNode) -> str:
        """Indentation of the line a nested call starts on, beyond its statement's own indentation."""
        anchor = self.facts.statement_anchor(node)
        if anchor is None:
            return ""
        parent = self.facts.parent_of(node)
        if (
            isinstance(parent, cst.Assign | cst.Return | cst.Expr | cst.AugAssign | cst.AnnAssign)
            and getattr(parent, "value", None) is node
            and not getattr(node, "lpar", None)
        ):
            return ""  # ``x = Call(`` / ``return Call(``: the call starts on the statement's first line
        comprehension = self.facts.comprehension_around(node, anchor)
        tracked = (node, anchor) if comprehension is None else (node, anchor, comprehension.for_in.target)
        found = self.facts.positions(tracked)
        (line, _), (first, _) = found[0], found[1]
        if comprehension is not None and found[2][0] > line:
            # ``[f(Call(...))\n    for x in xs]``: the call's lines go at the indentation of the lines
            # that continue the comprehension, which close it.
            line = found[2][0]
        if line == first:
            return ""
        lines = self._lines()
        if line - 1 >= len(lines) or first - 1 >= len(lines):
            return ""

        def leading(text: str) -> str:
            return text[: len(text) - len(text.lstrip(" \t"))]

        call_indent, statement_indent = leading(lines[line - 1]), leading(lines[first - 1])
        return call_indent[len(statement_indent) :] if call_indent.startswith(statement_indent) else ""

    def statement_indent(self, node: cst.CSTNode) -> int:
        """Columns of indentation of the statement holding ``node``, for the line budget."""
        total = 0
        current = node
        while (parent := self.facts.parent_of(current)) is not None:
            if isinstance(parent, cst.IndentedBlock):
                total += len(parent.indent if parent.indent is not None else self.module.default_indent)
            current = parent
        return total

    def _lines(self) -> list[str]:
        if not hasattr(self, "_code_lines"):
            self._code_lines = (self.source if self.source is not None else self.module.code).splitlines()
        return self._code_lines

    # ------------------------------------------------------------------------------- running
    def run(self) -> cst.Module:
        from migrate.rules import RULES

        b.QUOTE[0] = b.preferred_quote(self.source if self.source is not None else self.module.code)
        for rule in RULES:
            rule.plan(self)
        if not (self.call_rewrites or self.node_rewrites or self.pending or self.todos or self.removed):
            return self.module
        rewritten, counts, first_use = self._apply()
        budget, indent = self.layout()
        rewritten = prune(rewritten, self.replaced_names, counts)
        return add(rewritten, self.needed_imports, self.needed_modules, first_use, budget, indent)

    def _apply(self) -> tuple[cst.Module, Counts, set[int]]:
        """Apply every registered edit, rebuilding only the edited nodes' ancestors.

        Name counts of the result are kept up to date as edits are applied (each outermost edited
        node subtracts what it contained and adds what replaced it; inserted statements add theirs),
        so the import edits know the final uses without another pass. ``first_use`` is the set of
        new top-level statements that use an emitted name (imports must come before the first).
        Rewrites may register statements and comments on an enclosing statement while they run;
        ``finish`` applies those when the statement itself is rebuilt (always after its contents).
        """
        counts = Counts(Counter(self.facts.name_counts), Counter(self.facts.dotted_counts))
        parent = self.facts.parent
        edits: dict[cst.CSTNode, Callable[[cst.CSTNode], object]] = {}
        for call, call_rewrite in self.call_rewrites.items():
            edits[call] = call_rewrite  # type: ignore[assignment]
        for node, rewrite in self.node_rewrites.items():
            edits[node] = rewrite
        for removed in self.removed:
            edits[removed] = lambda updated: cst.RemoveFromParent()
        outermost = set()
        for edited in edits:
            up = parent.get(edited)
            while up is not None and up not in edits:
                up = parent.get(up)
            if up is None:
                outermost.add(edited)
        for statement in [*self.pending, *self.todos]:
            edits.setdefault(statement, lambda updated: updated)  # make sure the statement is rebuilt
        emitting: set[cst.CSTNode] = set()

        def top_of(node: cst.CSTNode) -> cst.CSTNode:
            current = node
            while (up := parent.get(current)) is not None and not isinstance(up, cst.Module):
                current = up
            return current

        def tracked(node: cst.CSTNode, edit: Callable[[cst.CSTNode], object]) -> Callable[[cst.CSTNode], object]:
            def run(updated: cst.CSTNode) -> object:
                before = self.emitted
                result = edit(updated)
                if self.emitted != before:
                    emitting.add(top_of(node))
                return result

            return run

        def on_edit(original: cst.CSTNode, result: object) -> None:
            if original in outermost:
                count(original, counts, -1)
                for item in result.nodes if isinstance(result, cst.FlattenSentinel) else [result]:
                    if isinstance(item, cst.CSTNode):
                        count(item, counts, 1)

        def finish(original: cst.CSTNode, result: object) -> object:
            if original in self.removed:
                return result
            pending = self.pending.get(original) if isinstance(original, cst.SimpleStatementLine) else None
            if pending is not None:
                for statement in [*pending.before, *pending.after]:
                    count(statement, counts, 1)
                result = _with_pending(result, pending)  # type: ignore[arg-type]
            comments = self.todos.get(original)
            if comments:
                result = with_comments(result, comments)
            return result

        tracked_edits = {node: tracked(node, edit) for node, edit in edits.items()}
        new_module, updated = rebuild(self.module, parent, tracked_edits, on_edit, finish)  # type: ignore[arg-type]
        first_use: set[int] = set()
        for statement in emitting:
            result = updated.get(statement, statement)
            nodes = result.nodes if isinstance(result, cst.FlattenSentinel) else [result]
            first_use.update(id(n) for n in nodes)
        return new_module, counts, first_use


def _layout(module: cst.Module, source: str | None = None) -> tuple[int, str]:
    """The line budget is the usual limit (79, 88, 99/100, 119/120) the file's longest line fits in,
    at least black's 88 (a short file says nothing about its project's limit)."""
    text = source if source is not None else module.code
    longest = max((len(line) for line in text.splitlines()), default=0)
    budget = next((limit for limit in (88, 99, 100, 119, 120) if longest <= limit), 120)
    return budget, module.default_indent


def _with_pending(
    node: cst.SimpleStatementLine, pending: Pending
) -> cst.SimpleStatementLine | cst.FlattenSentinel[cst.BaseStatement]:
    # Comments above the original statement stay above everything inserted for it (and above an
    # inserted statement's own comment).
    lines = node.leading_lines
    statements: list[cst.BaseStatement] = [*pending.before, node.with_changes(leading_lines=[]), *pending.after]
    first = statements[0]
    own = first.leading_lines if isinstance(first, cst.SimpleStatementLine | cst.BaseCompoundStatement) else []
    statements[0] = first.with_changes(leading_lines=[*lines, *own])
    return cst.FlattenSentinel(statements)


def with_comments(node, comments: list[str]):  # type: ignore[no-untyped-def]
    if isinstance(node, cst.FlattenSentinel):
        first, *rest = list(node.nodes)
        return cst.FlattenSentinel([with_comments(first, comments), *rest])
    if not hasattr(node, "leading_lines"):
        return node
    existing = {line.comment.value for line in node.leading_lines if line.comment is not None}
    new = [cst.EmptyLine(comment=cst.Comment(text)) for text in dict.fromkeys(comments) if text not in existing]
    if not new:
        return node
    return node.with_changes(leading_lines=[*node.leading_lines, *new])


def migrate_module(
    module: cst.Module,
    target: str = "azureml",
    filename: str | None = None,
    lint_scripts: bool = True,
    source: str | None = None,
) -> tuple[cst.Module, list[Finding]]:
    migration = Migration(module, target, filename, lint_scripts, source)
    if not migration.facts.calls and not migration.facts.unimported_calls and target != "hpcest":
        return module, []
    new = migration.run()
    findings = migration.findings()
    # The rules' edits are closures over the migration, which holds them: a cycle that would keep the
    # whole tree and its analysis alive until the collector's next full pass. Dropping them lets
    # reference counting free everything now (a run over many files stays at one file's memory).
    migration.call_rewrites.clear()
    migration.node_rewrites.clear()
    return new, findings
