"""Early-termination policies and parameter drawing: pure functions against hand-computed tables."""

from __future__ import annotations

import pytest

from hpc_estimator.v1.hyperdrive import PolicySpec
from hpc_estimator.v1.hyperdrive.draw import (
    draw_grid,
    draw_random,
    draw_value,
    grid_size,
    option_name,
    plan_parameters,
    trial_arguments,
)
from hpc_estimator.v1.hyperdrive.policy_eval import decide, evaluation_points

BANDIT_F = PolicySpec("Bandit", evaluation_interval=1, slack_factor=0.2)
BANDIT_A = PolicySpec("Bandit", evaluation_interval=1, slack_amount=0.1)


def _stopped(policy: PolicySpec, histories: dict, running: set, maximize: bool = True) -> dict[int, int]:
    stops, _ = decide(policy, maximize, histories, running, {})
    return {s.trial: s.interval for s in stops}


# -- evaluation points ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "delay", "logged", "already", "expected"),
    [
        (1, 0, 3, 0, [1, 2, 3]),
        (2, 0, 5, 0, [2, 4]),
        (1, 5, 6, 0, [5, 6]),
        (2, 5, 9, 0, [6, 8]),  # multiples of 2 that are >= 5
        (3, 0, 9, 3, [6, 9]),  # already evaluated up to 3
        (1, 0, 0, 0, []),
    ],
)
def test_evaluation_points(interval: int, delay: int, logged: int, already: int, expected: list[int]) -> None:
    policy = PolicySpec("Bandit", evaluation_interval=interval, delay_evaluation=delay, slack_factor=0.1)
    assert evaluation_points(policy, logged, already) == expected


# -- Bandit -----------------------------------------------------------------------------------


def test_bandit_docs_example_best_0_8_factor_0_2_cuts_below_0_667() -> None:
    # best 0.8 -> threshold 0.8 / 1.2 = 0.6667: 0.66 is cut, 0.67 is kept.
    histories = {0: [0.8], 1: [0.66], 2: [0.67]}
    stops, _ = decide(BANDIT_F, True, histories, {1, 2}, {})
    assert [s.trial for s in stops] == [1]
    assert stops[0].threshold == pytest.approx(0.8 / 1.2)
    assert stops[0].reference == 0.8 and stops[0].value == 0.66
    assert "0.666667" in stops[0].reason and "slack_factor 0.2" in stops[0].reason


def test_bandit_minimize_is_mirrored() -> None:
    # best (lowest) loss 0.5 -> threshold 0.5 * 1.2 = 0.6: 0.61 cut, 0.59 kept.
    assert _stopped(BANDIT_F, {0: [0.5], 1: [0.61], 2: [0.59]}, {1, 2}, maximize=False) == {1: 1}


def test_bandit_slack_amount() -> None:
    # best 0.8 - 0.1 = 0.7: 0.69 cut; minimize: 0.3 + 0.1 = 0.4: 0.41 cut.
    assert _stopped(BANDIT_A, {0: [0.8], 1: [0.69], 2: [0.71]}, {1, 2}) == {1: 1}
    assert _stopped(BANDIT_A, {0: [0.3], 1: [0.41], 2: [0.39]}, {1, 2}, maximize=False) == {1: 1}


def test_bandit_uses_each_trials_best_value_up_to_the_interval() -> None:
    # Trial 1 logged 0.9 then 0.1: its best up to interval 2 is 0.9, so it survives.
    # Trial 0's later 1.0 (interval 3) does not count against trial 1 at interval 2.
    histories = {0: [0.5, 0.8, 1.0], 1: [0.9, 0.1]}
    assert _stopped(BANDIT_F, histories, {1}) == {}


def test_bandit_compares_at_equal_intervals() -> None:
    # At interval 1 the best is 0.5 (trial 0's first value): trial 1's 0.45 is within 0.5/1.2=0.417.
    # At interval 2 the best is 0.9: trial 1's best 0.45 < 0.75 is cut at interval 2.
    histories = {0: [0.5, 0.9], 1: [0.45, 0.3]}
    assert _stopped(BANDIT_F, histories, {1}) == {1: 2}


def test_bandit_delay_and_interval() -> None:
    policy = PolicySpec("Bandit", evaluation_interval=2, delay_evaluation=3, slack_factor=0.2)
    # Evaluated only at 4 (multiple of 2, >= 3): bad at 1..3 is not judged before interval 4.
    histories = {0: [0.9, 0.9, 0.9, 0.9], 1: [0.1, 0.1, 0.1]}
    assert _stopped(policy, histories, {1}) == {}
    histories[1].append(0.1)
    assert _stopped(policy, histories, {1}) == {1: 4}


def test_the_best_trial_is_never_cut_by_bandit() -> None:
    assert _stopped(BANDIT_F, {0: [0.1], 1: [0.01]}, {0}) == {}


def test_evaluation_progress_is_remembered() -> None:
    histories = {0: [0.8, 0.8], 1: [0.7, 0.7]}
    stops, progress = decide(BANDIT_F, True, histories, {1}, {})
    assert stops == [] and progress[1] == 2
    # Already evaluated: a later worse *other* trial does not re-evaluate old intervals.
    stops, progress = decide(BANDIT_F, True, {**histories, 0: [0.8, 0.8, 5.0]}, {1}, progress)
    assert stops == []


# -- Median -----------------------------------------------------------------------------------

MEDIAN = PolicySpec("MedianStopping", evaluation_interval=1, delay_evaluation=0)


def test_median_stopping_table() -> None:
    # At interval 2: running averages of the others: t0 (0.6+0.8)/2=0.7, t1 (0.5+0.7)/2=0.6, t2 0.65
    # -> median 0.65. Trial 3's best up to 2 is max(0.5, 0.6)=0.6 < 0.65 -> stopped at 2.
    # At interval 1 the others' averages are 0.6, 0.5, 0.65 -> median 0.6; trial 3's 0.5 < 0.6 -> stopped at 1.
    histories = {0: [0.6, 0.8], 1: [0.5, 0.7], 2: [0.65, 0.65], 3: [0.5, 0.6]}
    stops, _ = decide(MEDIAN, True, histories, {3}, {})
    assert [(s.trial, s.interval, s.reference) for s in stops] == [(3, 1, pytest.approx(0.6))]
    # Delay to 2: judged first at 2, against median 0.65.
    delayed = PolicySpec("MedianStopping", evaluation_interval=1, delay_evaluation=2)
    stops, _ = decide(delayed, True, histories, {3}, {})
    assert [(s.trial, s.interval, s.reference) for s in stops] == [(3, 2, pytest.approx(0.65))]


def test_median_keeps_a_trial_at_the_median_and_mirrors_minimize() -> None:
    histories = {0: [1.0], 1: [3.0], 2: [2.0]}
    # Others of trial 2: averages 1.0 and 3.0 -> median 2.0; 2.0 is not worse -> kept (either goal).
    assert _stopped(MEDIAN, histories, {2}) == {}
    assert _stopped(MEDIAN, histories, {2}, maximize=False) == {}
    # Minimize: trial 1 (3.0) vs median of 1.0 and 2.0 = 1.5 -> stopped; trial 0 (1.0) kept.
    assert _stopped(MEDIAN, histories, {0, 1}, maximize=False) == {1: 1}


def test_median_alone_is_never_stopped() -> None:
    assert _stopped(MEDIAN, {0: [0.0, 0.0]}, {0}) == {}


# -- Truncation -------------------------------------------------------------------------------


def test_truncation_table() -> None:
    policy = PolicySpec("TruncationSelection", truncation_percentage=25)
    # 4 trials at interval 1: 0.1, 0.2, 0.3, 0.4 -> cut floor(4*25/100) = 1 -> the lowest (trial 0).
    histories = {0: [0.1], 1: [0.2], 2: [0.3], 3: [0.4]}
    assert _stopped(policy, histories, {0, 1, 2, 3}) == {0: 1}
    assert _stopped(policy, histories, {0, 1, 2, 3}, maximize=False) == {3: 1}


def test_truncation_ties_favour_the_trial() -> None:
    policy = PolicySpec("TruncationSelection", truncation_percentage=50)
    # 4 trials, cut 2. Values 0.1, 0.2, 0.2, 0.4: trial 0 is stopped (3 better >= 4-2);
    # trials 1 and 2 tie: each has only 1 strictly better trial (< 2), so both are kept.
    histories = {0: [0.1], 1: [0.2], 2: [0.2], 3: [0.4]}
    assert _stopped(policy, histories, {0, 1, 2, 3}) == {0: 1}


def test_truncation_small_pools_cut_nothing() -> None:
    policy = PolicySpec("TruncationSelection", truncation_percentage=20)
    # floor(4 * 20 / 100) = 0: nobody is cut until 5 trials have logged.
    assert _stopped(policy, {0: [0.1], 1: [0.2], 2: [0.3], 3: [0.4]}, {0}) == {}
    assert _stopped(policy, {0: [0.1], 1: [0.2], 2: [0.3], 3: [0.4], 4: [0.5]}, {0}) == {0: 1}


def test_truncation_compares_only_values_up_to_the_interval() -> None:
    policy = PolicySpec("TruncationSelection", truncation_percentage=50, evaluation_interval=1)
    # Trial 1 at interval 1 has 0.3; trial 0's values up to 1: 0.2 -> trial 1 is not the lowest.
    histories = {0: [0.2, 0.9, 0.95], 1: [0.3]}
    assert _stopped(policy, histories, {1}) == {}


def test_no_termination_stops_nothing() -> None:
    assert _stopped(PolicySpec("Default"), {0: [0.0], 1: [1.0]}, {0, 1}) == {}


# -- drawing ----------------------------------------------------------------------------------


def test_random_draws_are_seeded_and_in_range() -> None:
    space = {
        "a": ["choice", [[1, 2, 3]]],
        "b": ["randint", [4]],
        "c": ["uniform", [0.5, 1.5]],
        "d": ["quniform", [0, 10, 2]],
        "e": ["loguniform", [-3, 0]],
        "f": ["qlognormal", [0, 1, 1]],
        "g": ["normal", [10, 0]],
    }
    first = draw_random(space, 50, seed=7)
    assert first == draw_random(space, 50, seed=7)
    assert first != draw_random(space, 50, seed=8)
    for p in first:
        assert p["a"] in (1, 2, 3) and p["b"] in range(4) and 0.5 <= p["c"] <= 1.5
        assert p["d"] in (0, 2, 4, 6, 8, 10) and isinstance(p["d"], int)
        assert 0.0497 < p["e"] <= 1.0 and isinstance(p["f"], int) and p["f"] >= 0 and p["g"] == 10


def test_grid_is_the_product_capped_by_max_total_runs() -> None:
    space = {"a": ["choice", [[1, 2, 3]]], "b": ["choice", [["x", "y", "z"]]]}
    assert grid_size(space) == 9
    full = draw_grid(space, 100)
    assert len(full) == 9 and full[0] == {"a": 1, "b": "x"} and full[1] == {"a": 1, "b": "y"}
    assert draw_grid(space, 4) == full[:4]
    assert plan_parameters("GRID", space, 9, seed=0) == full


def test_trial_arguments_as_the_service_appended_them() -> None:
    assert option_name("lr") == "--lr" and option_name("--batch-size") == "--batch-size"
    assert trial_arguments({"lr": 0.01, "--batch": 16, "act": "relu"}) == [
        "--lr", "0.01", "--batch", "16", "--act", "relu"]


def test_plain_values_are_kept_as_v1_let_them_through() -> None:
    import random

    assert draw_value(3, random.Random(0)) == 3
    assert draw_grid({"a": 3, "b": ["choice", [[1, 2]]]}, 10) == [{"a": 3, "b": 1}, {"a": 3, "b": 2}]
