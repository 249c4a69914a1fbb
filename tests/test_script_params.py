"""script_params -> argv with v1's exact rules (behaviour reference §2).

Protects: the argv a migrated job receives is item-for-item what v1 produced: dict order, key then
value, non-string iterables expanded (nested iterables str()-ed, dict values give their keys),
None/"" removed afterwards (bare flags), scalars kept as objects (not stringified), data objects
turned into registered tokens.
"""

from __future__ import annotations

from collections import OrderedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpc_estimator import Estimator, RunConfiguration
from hpc_estimator.errors import UserErrorException
from hpc_estimator.v1.data import Data, Dataset, Datastore
from hpc_estimator.v1.script_params import script_params_to_arguments

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def argv(script_params):
    return script_params_to_arguments(script_params, RunConfiguration())


def test_keys_in_dict_order_each_followed_by_its_value() -> None:
    assert argv({"--b": "x", "--a": "y", "--c": "z"}) == ["--b", "x", "--a", "y", "--c", "z"]


def test_ordered_dict_order_is_kept() -> None:
    assert argv(OrderedDict([("--z", 1), ("--y", 2)])) == ["--z", 1, "--y", 2]


def test_scalars_are_not_stringified() -> None:
    result = argv({"--epochs": 10, "--lr": 0.5, "--flag": True, "--off": False})
    assert result == ["--epochs", 10, "--lr", 0.5, "--flag", True, "--off", False]
    assert type(result[1]) is int and type(result[3]) is float and result[5] is True


@pytest.mark.parametrize("empty", ["", None])
def test_empty_and_none_values_give_bare_flags(empty) -> None:
    assert argv({"--verbose": empty, "--n": 1}) == ["--verbose", "--n", 1]


def test_zero_and_false_are_kept() -> None:
    assert argv({"--n": 0, "--b": False}) == ["--n", 0, "--b", False]


def test_empty_and_none_keys_are_dropped_too() -> None:
    assert argv({"": "positional", None: "other"}) == ["positional", "other"]


@pytest.mark.parametrize("sequence", [[1, 2, 3], (1, 2, 3), range(1, 4)])
def test_sequence_values_are_expanded(sequence) -> None:
    assert argv({"--ids": sequence}) == ["--ids", 1, 2, 3]


def test_set_values_are_expanded() -> None:
    result = argv({"--s": {5}})
    assert result == ["--s", 5]


def test_nested_iterables_are_stringified() -> None:
    assert argv({"--pairs": [(1, 2), [3], "ab"]}) == ["--pairs", "(1, 2)", "[3]", "ab"]


def test_dict_value_contributes_its_keys() -> None:
    assert argv({"--opts": {"a": 1, "b": 2}}) == ["--opts", "a", "b"]


def test_none_and_empty_inside_expanded_values_are_removed() -> None:
    assert argv({"--x": [None, "", 0, "v"]}) == ["--x", 0, "v"]


def test_strings_are_not_expanded() -> None:
    assert argv({"--name": "abc"}) == ["--name", "abc"]


def test_none_script_params_give_no_arguments() -> None:
    assert argv(None) == []


def test_non_dict_script_params_are_refused_with_fix() -> None:
    with pytest.raises(UserErrorException, match="arguments"):
        argv(["--a", 1])


def test_hostile_strings_pass_through_unchanged() -> None:
    hostile = "$(rm -rf /); `x` 'q' \"d\"\n#SBATCH --x"
    assert argv({"--s": hostile}) == ["--s", hostile]


def test_estimator_puts_arguments_on_run_config() -> None:
    est = Estimator("src", compute_target="c", script_params={"--data": "/x", "--debug": ""})
    assert est.run_config.arguments == ["--data", "/x", "--debug"]


def test_data_reference_key_and_value_become_tokens() -> None:
    store = Datastore("store", "/shared/store")
    ref = store.path("train").as_mount()
    rc = RunConfiguration()
    result = script_params_to_arguments({ref: "x", "--data": store}, rc)
    assert result == [f"$AZUREML_DATAREFERENCE_{ref.data_reference_name}", "x",
                      "--data", "$AZUREML_DATAREFERENCE_store"]
    assert set(rc.data_references) == {ref.data_reference_name, "store"}


def test_dataset_consumption_inside_a_list_becomes_token() -> None:
    ds = Dataset.File.from_files("/shared/imgs").as_named_input("imgs").as_download()
    rc = RunConfiguration()
    assert script_params_to_arguments({"--in": [ds, "more"]}, rc) == \
        ["--in", "DatasetConsumptionConfig:imgs", "more"]
    assert rc.data["imgs"] is ds


def test_raw_data_in_script_params_is_a_user_error() -> None:
    with pytest.raises(UserErrorException, match="Raw Data"):
        argv({"--d": Data()})


scalars = st.one_of(st.none(), st.just(""), st.text(max_size=5), st.integers(), st.booleans(),
                    st.floats(allow_nan=False))
values = st.one_of(scalars, st.lists(scalars, max_size=4), st.tuples(scalars, scalars))


@given(st.dictionaries(st.text(min_size=1, max_size=6), values, max_size=6))
def test_property_no_empty_items_and_scalars_survive_in_order(params) -> None:
    """Expected argv computed independently: flatten in order, then drop None/''."""
    expected = []
    for key, value in params.items():
        expected.append(key)
        if isinstance(value, (list, tuple)):
            expected.extend(value)
        else:
            expected.append(value)
    expected = [item for item in expected if item is not None and item != ""]
    result = argv(params)
    assert result == expected
    assert all(type(a) is type(b) for a, b in zip(result, expected))
