"""Warnings the codemod reports, each with a stable code.

Codes never change meaning once released: tooling (SARIF code scanning, CI filters) keys on them.
HPM1xx = rewrite could not be done / was partial, HPL2xx = lint, HPP3xx = packages, HPE9xx = errors.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

TODO_MARKER = "TODO(hpcest-migrate)"

# code -> (severity, short title)
CODES: dict[str, tuple[str, str]] = {
    "HPM101": ("warning", "package lists or submit-time script_params cannot be resolved statically"),
    "HPM102": ("warning", "call uses *args/**kwargs; parameters cannot be known statically"),
    "HPM103": ("warning", "estimator attributes are read after construction"),
    "HPM104": ("warning", "call shape is not valid v1 (extra positional arguments)"),
    "HPM105": ("warning", "estimator sits where new statements cannot be inserted"),
    "HPM106": ("warning", "submit-time overrides cannot be folded into the ScriptRunConfig"),
    "HPM107": ("warning", "estimator given to a step/HyperDrive config cannot be resolved"),
    "HPM108": ("note", "step arguments stay on the HyperDriveStep"),
    "HPM109": ("warning", "vm_size without compute_target: ScriptRunConfig needs an existing compute"),
    "HPM110": ("warning", "distributed training setting cannot be resolved statically"),
    "HPM111": ("warning", "code cell or block is not valid Python and was skipped"),
    "HPM112": ("warning", "framework_version/use_gpu not literal: curated environment cannot be chosen"),
    "HPM113": ("warning", "call looks like a v1 estimator but its class is imported nowhere"),
    "HPM114": ("warning", "estimator= value is not known to be a ScriptRunConfig; left as it is"),
    "HPM115": ("warning", "an estimator input could not be attached to the ScriptRunConfig"),
    "HPM116": ("warning", "v1 ignored this setting of the estimator; the ScriptRunConfig applies it"),
    "HPM117": ("note", "script_params that HyperDrive samples are left out of arguments, as v1 left them out"),
    "HPM118": ("warning", "v1 left sampled script_params out of a HyperDrive estimator; not done here"),
    "HPL201": ("warning", "parameter has no ScriptRunConfig equivalent"),
    "HPL202": ("warning", "deprecated parameter or class"),
    "HPL203": ("error", "entry script has a syntax error"),
    "HPL204": ("warning", "entry script uses an undefined name"),
    "HPL205": ("warning", "entry script uses a local variable before assigning it"),
    "HPP301": ("error", "invalid requirement string"),
    "HPP302": ("warning", "deprecated or renamed package"),
    "HPP303": ("warning", "package pin contradicts framework_version"),
    "HPP304": ("warning", "duplicate or conflicting package pins"),
    "HPP305": ("warning", "Horovod without MPI distribution"),
    "HPP306": ("warning", "azureml-defaults missing from the environment"),
    "HPP307": ("warning", "entry script imports a package the environment may not provide"),
    "HPE901": ("error", "file could not be parsed"),
    "HPE902": ("error", "rewritten output does not parse; file left untouched"),
    "HPE903": ("error", "internal error while migrating the file"),
    "HPE904": ("error", "file could not be read or written"),
}


@dataclass(frozen=True)
class Finding:
    """One reported problem at a position (1-based line, 1-based column)."""

    code: str
    message: str
    line: int = 1
    col: int = 1
    fix: str | None = None
    path: str = ""
    cell: int | None = None  # notebook cell / markdown block index, when relevant
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        return CODES.get(self.code, ("warning", ""))[0]

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["severity"] = self.severity
        if not self.extra:
            data.pop("extra")
        return data

    def located(self, path: str, line: int, col: int, cell: int | None) -> Finding:
        return Finding(self.code, self.message, line, col, self.fix, path, cell, self.extra)
