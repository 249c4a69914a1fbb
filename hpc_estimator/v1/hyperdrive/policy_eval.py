"""What an early-termination policy decides: trials' metric histories -> trials to stop. Pure.

v1's semantics: an *interval* is one logging of the primary metric by a trial; a trial is
evaluated when it reaches every multiple of ``evaluation_interval`` that is at least
``delay_evaluation`` (and at least 1). At interval N a trial is compared with the other trials'
values up to their N-th logging (all trials that logged anything, finished ones included, as
v1's ``exclude_finished_jobs: False``), so a young trial is not judged against older trials'
later, better values. A trial's value at N is its best value over its first N loggings.

- Bandit: stop if the value falls outside the slack of the best trial's value at N. Maximize:
  below ``best / (1 + slack_factor)`` or ``best - slack_amount`` (docs: best 0.8, factor 0.2 ->
  below 0.667). Minimize, mirrored: above ``best * (1 + slack_factor)`` or ``best + slack_amount``.
- MedianStopping: stop if the value is worse than the median of the *other* trials' running
  averages over their first N loggings.
- TruncationSelection: rank every trial's value at N; stop the trial if it is among the lowest
  ``floor(k * percentage / 100)`` of the k ranked trials, ties counted in its favour (a trial is
  stopped only when at least ``k - cut`` trials are strictly better).

Which trial is best is :func:`rank_trials`'s, shared by every reader of a sweep (the controller's
state, the HyperDriveStep's finish job, HyperDriveRun), so they all name the same trial.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .resolved import PolicySpec


@dataclass(frozen=True)
class Stop:
    """A decision to stop ``trial`` at ``interval``, with the numbers that made it."""

    trial: int
    policy: str
    interval: int
    value: float  # the trial's best value over its first `interval` loggings
    reference: float  # the best trial's value (Bandit), the median (Median), the cut-off value (Truncation)
    threshold: float  # the limit the value crossed
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {
            "trial": self.trial,
            "policy": self.policy,
            "interval": self.interval,
            "value": self.value,
            "reference": self.reference,
            "threshold": self.threshold,
            "reason": self.reason,
        }


def best_value(values: Sequence[float], maximize: bool) -> float:
    """A trial's best value over its loggings: the highest when maximizing, the lowest when minimizing."""
    return max(values) if maximize else min(values)


def rank_trials(values: Mapping[int, float], maximize: bool) -> list[int]:
    """The trials of ``values`` (trial index -> its value), best first: the highest value first when
    maximizing, the lowest when minimizing.

    Among equal values the earliest trial (the lowest index) comes first, whatever the goal; the
    stable sort keeps the index order among equal values, ``reverse`` included.
    """
    return sorted(sorted(values), key=values.__getitem__, reverse=maximize)


def evaluation_points(policy: PolicySpec, logged: int, evaluated_up_to: int) -> list[int]:
    """The intervals in (evaluated_up_to, logged] at which ``policy`` evaluates a trial."""
    every = max(policy.evaluation_interval, 1)
    first = max(policy.delay_evaluation, 1, evaluated_up_to + 1)
    return [n for n in range(first, logged + 1) if n % every == 0]


def _worse(a: float, b: float, maximize: bool) -> bool:
    return a < b if maximize else a > b


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _bandit(policy: PolicySpec, trial: int, n: int, values: Mapping[int, float], maximize: bool) -> Stop | None:
    ref = best_value(list(values.values()), maximize)
    own = values[trial]
    if policy.slack_factor:
        factor = float(policy.slack_factor)
        threshold = ref / (1 + factor) if maximize else ref * (1 + factor)
        how = f"best trial {_fmt(ref)} {'/' if maximize else '*'} (1 + slack_factor {factor:g})"
    else:
        amount = float(policy.slack_amount or 0.0)
        threshold = ref - amount if maximize else ref + amount
        how = f"best trial {_fmt(ref)} {'-' if maximize else '+'} slack_amount {amount:g}"
    if not _worse(own, threshold, maximize):
        return None
    word = "below" if maximize else "above"
    return Stop(trial, "BanditPolicy", n, own, ref, threshold,
                f"BanditPolicy at interval {n}: best value {_fmt(own)} is {word} {_fmt(threshold)} ({how})")


def _median(
    trial: int, n: int, values: Mapping[int, float], averages: Mapping[int, float], maximize: bool
) -> Stop | None:
    others = [avg for t, avg in averages.items() if t != trial]
    if not others:
        return None
    median = statistics.median(others)
    own = values[trial]
    if not _worse(own, median, maximize):
        return None
    return Stop(trial, "MedianStoppingPolicy", n, own, median, median,
                f"MedianStoppingPolicy at interval {n}: best value {_fmt(own)} is worse than the median "
                f"{_fmt(median)} of the other {len(others)} trial(s)' running averages")


def _truncation(policy: PolicySpec, trial: int, n: int, values: Mapping[int, float], maximize: bool) -> Stop | None:
    k = len(values)
    cut = math.floor(k * int(policy.truncation_percentage or 0) / 100)
    if cut == 0:
        return None
    own = values[trial]
    better = sum(1 for t, v in values.items() if t != trial and _worse(own, v, maximize))
    if better < k - cut:
        return None
    ranked = sorted(values.values(), reverse=maximize)
    cutoff = ranked[k - cut - 1]  # the worst value that is kept
    return Stop(trial, "TruncationSelectionPolicy", n, own, cutoff, cutoff,
                f"TruncationSelectionPolicy at interval {n}: best value {_fmt(own)} is in the lowest "
                f"{policy.truncation_percentage}% ({cut} of {k} trials; {better} trial(s) are better)")


def decide(
    policy: PolicySpec,
    maximize: bool,
    histories: Mapping[int, Sequence[float]],
    running: Iterable[int],
    evaluated_up_to: Mapping[int, int],
) -> tuple[list[Stop], dict[int, int]]:
    """The running trials to stop now, and how far each running trial has been evaluated.

    ``histories``: every trial's primary-metric values in logging order (finished trials too).
    ``evaluated_up_to``: per trial, the last interval already evaluated (0 when never).
    """
    stops: list[Stop] = []
    progress = dict(evaluated_up_to)
    if not policy.stops_trials:
        return stops, progress
    for trial in sorted(running):
        history = histories.get(trial, ())
        for n in evaluation_points(policy, len(history), progress.get(trial, 0)):
            progress[trial] = n
            pool = {t: h[:n] for t, h in histories.items() if h}
            values = {t: best_value(h, maximize) for t, h in pool.items()}
            if policy.name == "Bandit":
                stop = _bandit(policy, trial, n, values, maximize)
            elif policy.name == "MedianStopping":
                averages = {t: statistics.fmean(h) for t, h in pool.items()}
                stop = _median(trial, n, values, averages, maximize)
            elif policy.name == "TruncationSelection":
                stop = _truncation(policy, trial, n, values, maximize)
            else:
                stop = None
            if stop is not None:
                stops.append(stop)
                break
        else:
            progress[trial] = max(progress.get(trial, 0), len(history))
    return stops, progress
