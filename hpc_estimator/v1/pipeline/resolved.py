"""What a v1 pipeline would run: its steps as ResolvedRuns plus the graph between them.

Each step resolves to the same :class:`~hpc_estimator.v1.resolved.ResolvedRun` the estimators and
ScriptRunConfig give (command, distribution, image, packages, data, environment), with the data it
exchanges with other steps kept symbolic: a :class:`StepInput` names the producing step and its
output, a :class:`StepOutput` the name another step reads. Paths exist only once a pipeline run
does, so the lowering (``hpc_estimator.compile.pipeline``) binds them. Plain values only; nothing
here knows Slurm.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..data import DATA_REFERENCE_TOKEN
from ..hyperdrive.resolved import ResolvedSweep
from ..resolved import ResolvedRun


@dataclass(frozen=True)
class StepInput:
    """PipelineData a step reads: another step's output, mounted or copied at ``name``."""

    name: str  # the input (port) name: token $AZUREML_DATAREFERENCE_<name>
    mode: str  # "mount" | "download"
    producer: int  # index of the producing step in ResolvedPipeline.steps
    output: str  # the producer's output name
    path_on_compute: str | None = None

    @property
    def token(self) -> str:
        return DATA_REFERENCE_TOKEN.format(self.name)


@dataclass(frozen=True)
class StepOutput:
    """PipelineData a step writes."""

    name: str  # the output name: token $AZUREML_DATAREFERENCE_<name>
    data_name: str  # the PipelineData's own name (differs when output_name= was given)
    pipeline_output_name: str | None = None  # PipelineData(pipeline_output_name=...): PipelineRun.get_pipeline_output
    # PipelineData(training_output=TrainingOutput(...)): "metrics" or "model" (lower case), what a
    # HyperDriveStep writes into it; model_file is the best trial's file to copy (relative to its run dir).
    training_output: str | None = None
    model_file: str | None = None

    @property
    def token(self) -> str:
        return DATA_REFERENCE_TOKEN.format(self.name)


@dataclass(frozen=True)
class ResolvedStep:
    index: int
    name: str
    step_type: str  # "PythonScriptStep", "EstimatorStep", "CommandStep", "MpiStep"
    node_id: str  # 8 hex digits, as v1 names graph nodes in its messages
    run: ResolvedRun  # arguments keep v1's tokens: $AZUREML_DATAREFERENCE_<name>, $AML_PARAMETER_<name>
    inputs: tuple[StepInput, ...] = ()
    outputs: tuple[StepOutput, ...] = ()
    after: tuple[int, ...] = ()  # explicit order: run_after() and StepSequence
    allow_reuse: bool = True
    version: str | None = None
    # (AML_PARAMETER_<name>, value): the step's params and the PipelineParameters in its arguments,
    # with the values of this submission; v1 set them as environment variables.
    parameters: tuple[tuple[str, str], ...] = ()
    # A HyperDriveStep: the sweep it runs (``sweep.trial`` is ``run``, what every trial runs).
    sweep: ResolvedSweep | None = None

    @property
    def upstream(self) -> tuple[int, ...]:
        """Steps that must complete first: producers of inputs, then explicit predecessors."""
        seen: dict[int, None] = {}
        for item in (*(i.producer for i in self.inputs), *self.after):
            seen.setdefault(item, None)
        return tuple(seen)


@dataclass(frozen=True)
class ResolvedPipeline:
    steps: tuple[ResolvedStep, ...]  # in the order v1 built the graph
    parameters: tuple[tuple[str, object], ...] = ()  # every PipelineParameter with the value used
    description: str | None = None

    def cycle(self) -> str | None:
        """v1's validate() message for a cycle ("Cycle detected including node <name>(<id>)"), or None."""
        steps = self.steps
        return find_cycle([s.name for s in steps], [s.node_id for s in steps], [s.upstream for s in steps])

    def order(self) -> tuple[int, ...]:
        """Step indices, every step after the steps it depends on (graph order among equals).

        Raises ValueError with v1's message when the steps form a cycle.
        """
        problem = self.cycle()
        if problem:
            raise ValueError(f"{problem}: the pipeline's steps depend on each other in a loop, so none can start")
        done: dict[int, None] = {}

        def place(index: int) -> None:
            if index in done:
                return
            for before in self.steps[index].upstream:
                place(before)
            done[index] = None

        for index in range(len(self.steps)):
            place(index)
        return tuple(done)

    def downstream(self, index: int) -> tuple[int, ...]:
        """Every step that (transitively) depends on step ``index``."""
        found: dict[int, None] = {}
        frontier = [index]
        while frontier:
            current = frontier.pop()
            for step in self.steps:
                if current in step.upstream and step.index not in found:
                    found[step.index] = None
                    frontier.append(step.index)
        return tuple(sorted(found))


def find_cycle(names: list[str], node_ids: list[str], upstream: list[tuple[int, ...]]) -> str | None:
    """v1's depth-first cycle search (steps in graph order, predecessors in input order), so the step
    named in the message is the one v1 names."""
    white, gray, black = 0, 1, 2
    colour = [white] * len(names)

    def visit(index: int) -> str | None:
        colour[index] = gray
        for before in upstream[index]:
            if colour[before] == gray:
                return f"Cycle detected including node {names[index]}({node_ids[index]})"
            if colour[before] == white:
                found = visit(before)
                if found:
                    return found
        colour[index] = black
        return None

    for index in range(len(names)):
        if colour[index] == white:
            found = visit(index)
            if found:
                return found
    return None
