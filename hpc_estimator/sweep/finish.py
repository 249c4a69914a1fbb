"""A HyperDriveStep's last job: the sweep's outputs for the steps downstream.

Runs on the cluster (``python -m hpc_estimator.sweep.finish SWEEP_DIR ...``) once every array
chunk and the controller of the step have ended (afterany). It writes, as v1's HyperDriveStep
did for its TrainingOutputs:

- ``--metrics DIR``: ``DIR/metrics.json``, every trial's metrics keyed by child run id, in the
  shape of ``HyperDriveRun.get_metrics()`` (``{run_id: {name: value or list}}``);
- ``--model DIR FILE``: the best trial's ``FILE`` (relative to its run directory, e.g.
  ``outputs/model.pkl``) copied to ``DIR/FILE``; ``-`` for FILE copies its whole ``outputs/``.

The best trial is the completed trial (exit code 0) with the best value of the primary metric
(max or min by the goal, over all its loggings), as ``get_best_run_by_primary_metric`` ranks them
(``policy_eval.rank_trials``: among equal values the earliest trial).
It exits 1 when no trial completed or the best one lacks the model file, so the pipeline's
failure rules apply downstream (the next steps wait with ``afterok``). ``best.json`` in the
sweep directory records the choice.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from ..runtime.context import read_metrics
from ..util.atomic import write_atomic
from ..v1.hyperdrive.policy_eval import best_value, rank_trials
from . import files
from .controller import primary_history

METRICS_FILE = "metrics.json"
BEST_FILE = "best.json"
WHOLE_OUTPUTS = "-"


def _exit_code(run_dir: Path) -> int | None:
    try:
        return int((run_dir / "exit_code").read_text().strip())
    except (OSError, ValueError):
        return None


def best_trial(sweep_dir: Path, plan: dict[str, Any], indices: list[int]) -> tuple[int, float] | None:
    """(trial, value) of the completed trial with the best primary metric, or None."""
    maximize = plan["primary_metric_goal"] == "maximize"
    values: dict[int, float] = {}
    for index in indices:
        run_dir = Path(files.trial_dir(str(sweep_dir), index))
        history = primary_history(run_dir, plan["primary_metric_name"])
        if _exit_code(run_dir) == 0 and history:
            values[index] = best_value(history, maximize)
    ranked = rank_trials(values, maximize)
    if not ranked:
        return None
    return ranked[0], values[ranked[0]]


def _copy_model(trial_dir: Path, model_file: str, out_dir: Path) -> str | None:
    """Copy the model into out_dir; the problem, if any."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if model_file == WHOLE_OUTPUTS:
        source = trial_dir / "outputs"
        if not source.is_dir():
            return f"{source} does not exist"
        shutil.copytree(source, out_dir / "outputs", dirs_exist_ok=True)
        return None
    relative = Path(model_file)
    if relative.is_absolute() or ".." in relative.parts:
        return f"model_file {model_file!r} must be a path inside the trial's run directory (e.g. outputs/model.pkl)"
    source = trial_dir / relative
    if not source.exists():
        return f"the best trial wrote no {model_file} ({source} does not exist)"
    target = out_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        shutil.copy2(source, target)
    return None


def finish(sweep_dir: Path, metrics_dirs: list[str], models: list[tuple[str, str]]) -> int:
    plan = json.loads((sweep_dir / files.SWEEP_FILE).read_text())
    trials = files.latest_by_index(files.parse_lines((sweep_dir / files.TRIALS_FILE).read_text()))
    indices = sorted(trials)
    metrics = {f"{plan['sweep_id']}_{i}": read_metrics(files.trial_dir(str(sweep_dir), i)) for i in indices}
    for directory in metrics_dirs:
        Path(directory).mkdir(parents=True, exist_ok=True)
        write_atomic(Path(directory) / METRICS_FILE, json.dumps(metrics, indent=1, sort_keys=True).encode())
        print(f"wrote the metrics of {len(metrics)} trial(s) to {directory}/{METRICS_FILE}", flush=True)
    best = best_trial(sweep_dir, plan, indices)
    if best is None:
        print(
            f"hpcest: no trial of the sweep completed with a value of {plan['primary_metric_name']!r} "
            f"({len(indices)} trial(s)); nothing to pass on (see `hpcest status` of the step)",
            file=sys.stderr, flush=True,
        )
        return 1
    index, value = best
    run_id = f"{plan['sweep_id']}_{index}"
    trial_dir = Path(files.trial_dir(str(sweep_dir), index))
    record = {"trial": index, "run_id": run_id, "value": value, "metric": plan["primary_metric_name"]}
    write_atomic(sweep_dir / BEST_FILE, json.dumps(record).encode())
    print(f"best trial: {run_id} ({plan['primary_metric_name']} = {value:g})", flush=True)
    for directory, model_file in models:
        problem = _copy_model(trial_dir, model_file, Path(directory))
        if problem:
            print(f"hpcest: {problem}", file=sys.stderr, flush=True)
            return 1
        print(f"copied {model_file} of {run_id} to {directory}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hpc_estimator.sweep.finish")
    parser.add_argument("sweep_dir")
    parser.add_argument("--metrics", action="append", default=[], metavar="DIR")
    parser.add_argument("--model", action="append", nargs=2, default=[], metavar=("DIR", "FILE"))
    args = parser.parse_args(argv)
    os.umask(0o022)
    return finish(Path(args.sweep_dir), list(args.metrics), [tuple(m) for m in args.model])


if __name__ == "__main__":
    sys.exit(main())
