"""A sweep's directory on the cluster: what is in it, and the small formats of its files.

``<sweep>/`` (the sweep's run directory, on the shared filesystem):

- ``sweep.json``: the plan (sampling, space, metric, limits, policy, deadline, array script);
- ``job.sbatch``: the array script every trial runs; ``src/`` and ``.hpcest/``: shared by all trials;
- ``trial_args.tsv``: ``<trial>\\t<shell-quoted arguments>``, one line per trial, read by its task;
- ``trials.jsonl``: one JSON line per submitted trial (index, job id, parameters);
- ``stops.jsonl``: one line per trial a policy (or the deadline) stopped, with the numbers;
- ``controller.json``: the controller's state; ``cancel_requested``: the user cancelled the sweep;
- ``trials/<N>/``: trial N's own run directory (metrics, outputs, logs, exit code).

Everything here is written by one writer (the client before the sweep starts, then the
controller), appended line by line, so readers never see half a record they would act on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from ..util.shellquote import join as shjoin
from ..v1.hyperdrive.draw import trial_arguments

SWEEP_FILE = "sweep.json"
SCRIPT = "job.sbatch"
CONTROLLER_SCRIPT = "controller.sbatch"
ARGS_FILE = "trial_args.tsv"
TRIALS_FILE = "trials.jsonl"
STOPS_FILE = "stops.jsonl"
CONTROLLER_FILE = "controller.json"
CANCEL_FILE = "cancel_requested"
TRIALS_DIR = "trials"
# hpcest itself for the controller job (not under .hpcest/, which every trial copies).
CONTROLLER_LIB = "controller-lib"


def trial_dir(sweep_dir: str, index: int | str) -> str:
    """Trial ``index``'s run directory; ``index`` may be ``job.spec.ARRAY_TASK``, which the array
    script expands to the trial its task runs."""
    return f"{sweep_dir.rstrip('/')}/{TRIALS_DIR}/{index}"


def args_line(index: int, argv: Sequence[str]) -> str:
    """One line of ``trial_args.tsv`` (shellquote keeps every value on one line)."""
    return f"{index}\t{shjoin(argv)}\n"


def chunks(first: int, count: int, max_array_size: int) -> list[tuple[int, int]]:
    """(offset, length) of the arrays covering trials first..first+count-1, each within MaxArraySize.

    Every chunk numbers its tasks from 0 (Slurm's task ids must stay below MaxArraySize) and the
    task adds the offset to find its trial.
    """
    size = max(1, max_array_size)
    return [(first + start, min(size, count - start)) for start in range(0, count, size)]


def array_range(length: int, max_concurrent: int | None) -> str:
    text = "0" if length == 1 else f"0-{length - 1}"
    return f"{text}%{max_concurrent}" if max_concurrent else text


def trial_record(index: int, job_id: str, parameters: dict[str, Any], arguments: Sequence[str]) -> str:
    return json.dumps({"index": index, "job_id": job_id, "parameters": parameters, "arguments": list(arguments)}) + "\n"


def chunk_trials(array_job_id: str, offset: int, parameters: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The trials one array chunk runs, with the fields of :func:`trial_record`: the chunk's task t
    (job id ``<array_job_id>_<t>``) is trial ``offset + t``, run with ``parameters[t]``."""
    return [
        {"index": offset + task, "job_id": f"{array_job_id}_{task}", "parameters": params,
         "arguments": trial_arguments(params)}
        for task, params in enumerate(parameters)
    ]


def parse_lines(text: str) -> list[dict[str, Any]]:
    """JSON lines; a torn last line (a writer stopped mid-write) is skipped."""
    out: list[dict[str, Any]] = []
    for line in text.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            out.append(value)
    return out


def latest_by_index(records: Iterable[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for record in records:
        if isinstance(record.get("index"), int):
            out[record["index"]] = record
    return out
