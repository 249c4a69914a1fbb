"""Pipeline and StepSequence (v1 ``azureml.pipeline.core``): building the graph of steps.

The graph is built when the Pipeline is constructed, as in v1: steps in list order, each step's
producers (through its PipelineData inputs) and ``run_after`` predecessors brought in when they are
not listed (``resolve_closure=True``), a ``StepSequence`` ordering its elements one after another
and a nested list leaving them side by side. v1's construction-time checks run then (an input
nobody produces, an output two steps claim, parameter defaults that disagree); a cycle is reported
by ``validate()`` and refused at submission.

``_resolved_pipeline(pipeline_parameters)`` gives what a submission runs (a
:class:`~.resolved.ResolvedPipeline`), checking the parameter values as v1 did. Submitting goes
through the workspace the Pipeline was given (``workspace._submit_pipeline``), which knows the run
history and the clusters; this module knows neither.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from ...errors import UserErrorException
from ..data import DatasetConsumptionConfig, FileDataset
from .data import PipelineData, PipelineParameter
from .resolved import ResolvedPipeline, find_cycle
from .step import GraphContext, PipelineStep, _PythonScriptStepBase, node_id


class StepSequence:
    """Steps that run one after another (v1 signature); an element may be a list of parallel steps."""

    def __init__(self, steps: list[Any] | None = None) -> None:
        self._steps = list(steps) if steps is not None else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self._steps)

    def __repr__(self) -> str:
        return f"StepSequence({self._steps!r})"


class _Graph:
    """The steps of a pipeline in the order v1 built them, with their predecessors and parameters."""

    def __init__(
        self,
        steps: list[PipelineStep],
        producers: list[list[int]],
        after: list[list[int]],
        params: dict[str, PipelineParameter],
    ) -> None:
        self.steps = steps
        self.producers = producers  # per step: the steps whose outputs it reads, in input order
        self.after = after  # per step: indices it must run after (run_after, then StepSequence)
        self.params = params

    def upstream(self, index: int) -> tuple[int, ...]:
        return tuple(dict.fromkeys((*self.producers[index], *self.after[index])))

    @property
    def module_nodes(self) -> list[PipelineStep]:
        return list(self.steps)


class _Builder:
    """v1's _PipelineGraphBuilder: closure resolution and sequencing rules."""

    def __init__(self, context: GraphContext, resolve_closure: bool) -> None:
        self.context = context
        self.resolve_closure = resolve_closure
        self.steps: list[PipelineStep] = []
        self.producers: list[list[int]] = []
        self.after: list[list[int]] = []
        self.params: dict[str, PipelineParameter] = {}
        self._sequences: list[list[list[int]]] = []

    def collection(self, item: Any) -> list[int]:
        if isinstance(item, PipelineData):
            if item._producer is None:
                raise ValueError(
                    f"Cannot build graph as step output [{item._name}] does not have a producer. Please add to the "
                    f"outputs list of the step that produces it"
                )
            item = item._producer
        if isinstance(item, PipelineStep):
            return self.step(item)
        if isinstance(item, StepSequence):
            groups = [self.collection(element) for element in item]
            self._sequences.append(groups)
            return [index for group in groups for index in group]
        if isinstance(item, list):
            return [index for element in item for index in self.collection(element)]
        raise NotImplementedError(f"Can not add object of type {type(item).__name__} to Pipeline.")

    def step(self, step: PipelineStep) -> list[int]:
        known = self.context.nodes.get(id(step))
        if known is not None:
            return [known]
        index = len(self.steps)
        self.context.nodes[id(step)] = index
        self.steps.append(step)
        self.producers.append([])
        self.after.append([])
        step._check_in_graph(self.context, self.params)
        added = [index]
        if isinstance(step, _PythonScriptStepBase):
            for port, data in step._pipeline_data_sources():
                producer = data._producer
                if producer is None:
                    raise ValueError(f"Input {port} on step {step.name} is not connected to any previous step")
                if id(producer) not in self.context.nodes:
                    if not self.resolve_closure:
                        raise ValueError(
                            f"step {step.name!r} reads {data.name!r}, produced by step {producer.name!r}, which is not "
                            f"in the pipeline's steps (resolve_closure=False): list it in steps"
                        )
                    added.extend(self.step(producer))
                self.producers[index].append(self.context.nodes[id(producer)])
        for before in step.run_after_steps:
            if id(before) not in self.context.nodes:
                if not self.resolve_closure:
                    raise ValueError(
                        f"step {step.name!r} runs after step {before.name!r}, which is not in the pipeline's steps "
                        f"(resolve_closure=False): list it in steps"
                    )
                added.extend(self.step(before))
            self.after[index].append(self.context.nodes[id(before)])
        return added

    def finish(self) -> _Graph:
        for groups in reversed(self._sequences):
            for previous, following in itertools.pairwise(groups):
                for successor in following:
                    for predecessor in previous:
                        if predecessor not in self.after[successor]:
                            self.after[successor].append(predecessor)
        return _Graph(self.steps, self.producers, self.after, self.params)


class Pipeline:
    """A collection of steps run as one workflow (v1 signature)."""

    def __init__(
        self,
        workspace: Any,
        steps: Any,
        description: str | None = None,
        default_datastore: Any = None,
        default_source_directory: str | None = None,
        resolve_closure: bool = True,
        _workflow_provider: Any = None,
        _service_endpoint: Any = None,
        **kwargs: Any,
    ) -> None:
        self._name = description
        self._workspace = workspace
        self._default_datastore = default_datastore
        # v1 took the working directory at construction when no default was given.
        self._default_source_directory = (
            os.fspath(default_source_directory) if default_source_directory is not None else os.getcwd()
        )
        self._enable_email_notification = None
        for key, value in kwargs.items():
            if key == "enable_email_notification":
                self._enable_email_notification = value
            else:
                raise ValueError(f"parameter {key} is not recognized for Pipeline ")
        builder = _Builder(GraphContext(self._default_source_directory), resolve_closure)
        builder.collection(steps)
        self._graph = builder.finish()
        self._nodes = dict(builder.context.nodes)

    @property
    def graph(self) -> _Graph:
        return self._graph

    @property
    def description(self) -> str | None:
        return self._name

    def validate(self) -> list[str]:
        """v1: a list of problems (a cycle among the steps); empty when the pipeline can run."""
        graph = self._graph
        problem = find_cycle(
            [s.name for s in graph.steps],
            [node_id(i, s.name) for i, s in enumerate(graph.steps)],
            [graph.upstream(i) for i in range(len(graph.steps))],
        )
        return [problem] if problem else []

    def _check_parameters(self, pipeline_parameters: Mapping[str, Any] | None) -> None:
        """v1's submit-time check of parameter values, naming the known parameters."""
        params = self._graph.params
        for key, value in (pipeline_parameters or {}).items():
            if key not in params:
                known = ", ".join(f"{n} (default {p.default_value!r})" for n, p in sorted(params.items()))
                raise UserErrorException(
                    f"Pipeline parameter with name {key} does not exist; this pipeline's parameters are: "
                    f"{known or 'none'}"
                )
            default = params[key].default_value
            if isinstance(value, (FileDataset, DatasetConsumptionConfig)) and not isinstance(
                default, (FileDataset, DatasetConsumptionConfig)
            ):
                raise TypeError(
                    f"Pipeline parameter with name {key} is of incorrect type {type(value).__name__}. Expected type: "
                    f"{type(default).__name__}"
                )

    def _resolved_pipeline(self, pipeline_parameters: Mapping[str, Any] | None = None) -> ResolvedPipeline:
        """What a submission with ``pipeline_parameters`` runs (each step with its ResolvedRun)."""
        self._check_parameters(pipeline_parameters)
        values = {name: p.default_value for name, p in self._graph.params.items()}
        values.update(pipeline_parameters or {})
        context = GraphContext(self._default_source_directory, values)
        context.nodes = dict(self._nodes)
        steps = []
        for index, step in enumerate(self._graph.steps):
            resolved = step._resolve(index, context)
            after = (*resolved.after, *(i for i in self._graph.after[index] if i not in resolved.after))
            steps.append(replace(resolved, after=after))
        return ResolvedPipeline(steps=tuple(steps), parameters=tuple(sorted(values.items())), description=self._name)

    def submit(
        self,
        experiment_name: str,
        pipeline_parameters: Mapping[str, Any] | None = None,
        continue_on_step_failure: bool = False,
        regenerate_outputs: bool = False,
        parent_run_id: str | None = None,
        credential_passthrough: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Submit a pipeline run, as ``Experiment(ws, experiment_name).submit(pipeline, ...)``: a PipelineRun."""
        for key in kwargs:
            if key != "enable_email_notification":
                raise ValueError(f"parameter {key} is not recognized for Pipeline ")
        submit = getattr(self._workspace, "_submit_pipeline", None)
        if submit is None:
            raise UserErrorException(
                f"Pipeline was given {type(self._workspace).__name__} as its workspace, which cannot submit; build "
                f"it with Pipeline(Workspace.from_config(), steps) (from hpc_estimator import Workspace), or submit "
                f"with Experiment(ws, name).submit(pipeline)"
            )
        return submit(
            experiment_name,
            self,
            pipeline_parameters=pipeline_parameters,
            continue_on_step_failure=continue_on_step_failure,
            regenerate_outputs=regenerate_outputs,
            parent_run_id=parent_run_id,
        )

    def publish(
        self,
        name: str | None = None,
        description: str | None = None,
        version: str | None = None,
        continue_on_step_failure: bool | None = None,
    ) -> Any:
        raise UserErrorException(
            "published pipelines (REST endpoints run by the Azure ML service) have no Slurm equivalent; keep the "
            "pipeline's code and run it with pipeline.submit(...) or `hpcest submit FILE.py:pipeline`"
        )

    def __repr__(self) -> str:
        return f"Pipeline(steps={[s.name for s in self._graph.steps]!r})"
