"""The rewrite against facts recorded from the real v1 SDK (tests/migrate/data/v1_facts.json).

script_params conversion: the literal rewrite and the run-time conversion emitted for non-literal
dicts give exactly what v1's own ``_get_arguments`` gave; counts given to the emitted distribution
objects reach ScriptRunConfig's run_config.node_count.
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from migrate.arguments import UnresolvableParams, arguments_list, dict_items, pairs_to_arguments
from migrate.lint_script import local_module_files
from migrate.packages import missing_packages
from migrate.rules.script_params import runtime_conversion
from migrate.transform import migrate_source
from tests.migrate.v1_facts import LOCAL_TREE, V1_PYTHON, probe, recorded

FACTS = recorded()


def _evaluate(expression: cst.BaseExpression) -> object:
    return eval(cst.Module(body=[]).code_for_node(expression), {})


@pytest.mark.parametrize("source,expected", FACTS["script_params"])  # type: ignore[arg-type]
def test_runtime_conversion_matches_v1(source: str, expected: str) -> None:
    """The comprehension emitted for a non-literal script_params reproduces v1's arguments."""
    conversion = runtime_conversion(cst.parse_expression(source), "        ")
    assert repr(_evaluate(conversion)) == expected


@pytest.mark.parametrize("source,expected", FACTS["script_params"])  # type: ignore[arg-type]
def test_literal_conversion_matches_v1(source: str, expected: str) -> None:
    """A literal dict becomes a literal list with the same items as v1's conversion."""
    node = cst.parse_expression(source)
    if not isinstance(node, cst.Dict):
        pytest.skip("not a dict literal: converted at run time")
    try:
        items = pairs_to_arguments(dict_items(node))
    except UnresolvableParams:
        pytest.skip("not literal")
    assert repr(_evaluate(arguments_list(items))) == expected


def test_node_count_reaches_the_script_run_config() -> None:
    """What the rewrite emits for node_count=10 with an inline MpiConfiguration runs on 10 nodes in v1."""
    source = (
        "from azureml.core.runconfig import MpiConfiguration\n"
        "from azureml.train.estimator import Estimator\n"
        "est = Estimator(source_directory='.', entry_script='t.py', compute_target=ct, node_count=10,\n"
        "                distributed_training=MpiConfiguration())\n"
    )
    code = migrate_source(source).code
    emitted = "MpiConfiguration(node_count=10)"
    assert f"distributed_job_config={emitted}" in code
    assert FACTS["node_count"][emitted] == 10  # type: ignore[index]
    assert FACTS["node_count"]["MpiConfiguration()"] == 1  # type: ignore[index]


def _run_before_and_after(key: str) -> pytest.MarkDecorator:
    """One test per recorded [before, after, v1 facts of before, v1 facts of after]."""
    cases = FACTS[key]
    return pytest.mark.parametrize(
        "before,after,v1_before,v1_after",
        cases,  # type: ignore[arg-type]
        ids=[f"case{index}" for index in range(len(cases))],  # type: ignore[arg-type]
    )


# The documented replacements (v1's own deprecation messages): ``Mpi`` → ``MpiConfiguration``, whose
# communicator v1 spells IntelMpi; PyTorchConfiguration spells the backend in lower case.
SAME_COMMUNICATOR = {("Mpi", "IntelMpi"), ("Nccl", "nccl"), ("Gloo", "gloo")}


@_run_before_and_after("distribution_counts")
def test_rewrite_runs_the_counts_v1_ran(
    before: str, after: str, v1_before: dict[str, object], v1_after: dict[str, object]
) -> None:
    """Each estimator and the code the rewrite makes of it, both run in the real SDK: the same node
    count, processes per node, workers, parameter servers and process count (a TensorFlow
    estimator's node_count that is not its worker count, a Gloo/Nccl estimator's ignored
    process_count_per_node). The one difference is HPM116's: a PyTorchConfiguration that v1's
    estimator ignored is applied by the ScriptRunConfig."""
    assert migrate_source(before).code == after, "the rewrite changed: re-record (python -m tests.migrate.v1_facts)"
    differs = {key: (v1_before[key], v1_after[key]) for key in v1_before if v1_before[key] != v1_after[key]}
    communicator = differs.pop("communicator", None)
    assert communicator is None or communicator in SAME_COMMUNICATOR or (
        communicator[0] == "None" and "HPM116" in {f.code for f in migrate_source(before).findings}
    ), communicator
    if communicator is not None and communicator[0] == "None":
        differs.pop("pytorch.process_count", None)  # the PyTorchConfiguration's own, now applied
    assert not differs


def _packages(facts: dict[str, object]) -> dict[str, object]:
    """Environment facts up to what the job cannot tell apart: conda's own ``pip`` (which
    ``Environment.from_pip_requirements`` lists and every conda environment with pip packages has) and
    v1's second copy of azureml-defaults when the user listed it too."""
    return {
        **facts,
        "pip": sorted(set(facts["pip"])),  # type: ignore[call-overload]
        "conda": [p for p in facts["conda"] if p != "pip"],  # type: ignore[attr-defined]
    }


@_run_before_and_after("environment_packages")
def test_rewrite_builds_the_environment_v1_built(
    before: str, after: str, v1_before: dict[str, object], v1_after: dict[str, object]
) -> None:
    """Each estimator and the code the rewrite makes of it, both run in the real SDK: the same Python
    pin (CondaDependencies()'s, not create()'s), pip and conda packages (a pip requirements file with
    azureml-defaults and the estimator's own lists added, as v1), image and user_managed flag."""
    assert migrate_source(before).code == after, "the rewrite changed: re-record (python -m tests.migrate.v1_facts)"
    assert _packages(v1_after) == _packages(v1_before)


@_run_before_and_after("data_reference_inputs")
def test_rewrite_registers_the_data_references_v1_registered(
    before: str, after: str, v1_before: dict[str, object], v1_after: dict[str, object]
) -> None:
    """DataReferences among inputs and script_params, run before and after in the real SDK: the same
    ``$AZUREML_DATAREFERENCE_<name>`` arguments and the same registered references (mode included)."""
    assert migrate_source(before).code == after, "the rewrite changed: re-record (python -m tests.migrate.v1_facts)"
    assert v1_after == v1_before


@_run_before_and_after("hyperdrive_trial_arguments")
def test_rewrite_gives_each_trial_the_arguments_v1_gave(
    before: str, after: str, v1_before: dict[str, object], v1_after: dict[str, object]
) -> None:
    """A HyperDrive config over an estimator and the code the rewrite makes of it (run_config= a
    ScriptRunConfig), both run in the real SDK up to the run definition it submits: the same arguments
    before the sampled values, since v1 dropped sampled script_params from an estimator only (HPM117).
    Where the rewrite cannot drop them (HPM118: the estimator is used elsewhere too), the recorded
    difference is exactly the TODO's."""
    assert migrate_source(before).code == after, "the rewrite changed: re-record (python -m tests.migrate.v1_facts)"
    codes = {f.code for f in migrate_source(before).findings}
    if "HPM118" in codes:
        assert v1_after["arguments"] == ["--lr", "0.1", *v1_before["arguments"]]  # type: ignore[misc]
        assert {**v1_after, "arguments": v1_before["arguments"]} == v1_before
    else:
        assert v1_after == v1_before


# Spelling only: the PyTorch estimator's run config says framework "python", RunConfiguration's
# default (a ScriptRunConfig's) "Python".
SAME_FRAMEWORK = {("python", "Python")}


@_run_before_and_after("pipeline_steps")
def test_rewritten_step_runs_what_the_estimator_step_ran(
    before: str, after: str, v1_before: dict[str, object], v1_after: dict[str, object]
) -> None:
    """An EstimatorStep and the CommandStep the rewrite makes of it (an estimator built in the call
    moves into a variable of its own), both built in the real SDK: the same command line, source
    directory, compute, inputs and outputs, reuse, node count and processes, environment variables,
    packages and image; the communicator and framework only spelled differently."""
    assert migrate_source(before).code == after, "the rewrite changed: re-record (python -m tests.migrate.v1_facts)"
    differs = {key: (v1_before[key], v1_after[key]) for key in v1_before if v1_before[key] != v1_after[key]}
    assert differs.pop("communicator", ("Mpi", "IntelMpi")) in SAME_COMMUNICATOR
    assert differs.pop("framework", ("python", "Python")) in SAME_FRAMEWORK
    assert not differs


def test_run_config_data_and_data_references_are_dicts() -> None:
    """The emitted ``src.run_config.data[name] = ...`` assignments work on v1's RunConfiguration."""
    assert FACTS["run_config_data_is_a_dict"] and FACTS["run_config_data_references_is_a_dict"]


def test_conda_dependencies_rewrite_changes_what_v1_changed() -> None:
    """``est.conda_dependencies.add_pip_package(...)`` becomes ``env.python.conda_dependencies...``: in
    v1 the estimator's conda_dependencies is its environment's own (no copy), the ScriptRunConfig holds
    the environment it is given, and assigning to the property raised (so that stays marked)."""
    source = (
        "from azureml.train.estimator import Estimator\n"
        "est = Estimator(source_directory='.', entry_script='t.py', compute_target=ct, environment_definition=env)\n"
        "est.conda_dependencies.add_pip_package('pandas')\n"
    )
    code = migrate_source(source).code
    assert "environment=env" in code and "env.python.conda_dependencies.add_pip_package('pandas')" in code
    assert FACTS["estimator_conda_dependencies_is_its_environments"] is True
    assert FACTS["script_run_config_holds_its_environment"] is True
    assert FACTS["estimator_conda_dependencies_assignment"] == "AttributeError"
    assigned = migrate_source(source.replace(".add_pip_package('pandas')", " = None"))
    assert [f.code for f in assigned.findings] == ["HPM103"]


def test_package_check_takes_for_local_what_v1_took(tmp_path: Path) -> None:
    """On a source directory whose entry script extends sys.path, the imports reported as possibly
    missing packages and the files followed (and linted) are v1's own: modules anywhere under the
    source directory are local, venv/ and the like are not looked at, the standard library is left out."""
    for relative, text in LOCAL_TREE.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    files = local_module_files(tmp_path / "train.py", tmp_path)
    followed = sorted(path.relative_to(tmp_path).as_posix() for path, _, _ in files)
    assert followed == FACTS["local_tree_followed_files"]
    reported = {
        message.split("import '", 1)[1].split("'", 1)[0].split(".")[0]
        for _, message, _ in missing_packages(tmp_path / "train.py", tmp_path, [], [])
    }
    assert sorted(reported) == FACTS["local_tree_external_imports"]


@pytest.mark.skipif(not V1_PYTHON.exists(), reason="no v1 SDK interpreter on this machine")
def test_recorded_facts_are_current() -> None:
    """Re-run the probe under the real v1 SDK: the recorded facts still hold."""
    assert probe(V1_PYTHON) == FACTS
