"""The sweep controller: a one-CPU Slurm job that makes a sweep's decisions while it runs.

Started by submission when the sweep needs decisions during its life (Bayesian sampling, an
early-termination policy, or a max_duration_minutes shorter than v1's 7-day default), it runs on
the cluster (``python -m hpc_estimator.sweep.controller SWEEP_DIR``), so the sweep goes on when
the submitting laptop closes. Each tick it asks squeue once about every trial, reads the trials'
metrics files from the shared filesystem, applies the policy (SIGTERM first so a trial can
checkpoint, Slurm's kill after a grace period), cancels what is left at the deadline, and for
Bayesian sweeps tells Optuna the finished trials and submits the next suggestions as array
chunks. It records everything in the sweep directory (``stops.jsonl``, ``trials.jsonl``,
``controller.json``), which is all the client reads.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import slurm
from ..backends.array_status import TaskRef, poll_tasks, squeue_tasks
from ..job.state import JobState
from ..runtime.context import merge_metrics, read_events
from ..transport.base import Transport
from ..util.argv_chunks import argv_chunks
from ..util.atomic import write_atomic
from ..v1.hyperdrive.draw import trial_arguments
from ..v1.hyperdrive.policy_eval import Stop, best_value, decide, rank_trials
from ..v1.hyperdrive.resolved import PolicySpec
from . import files

KILL_GRACE_S = 30.0  # after SIGTERM, how long a stopped trial may take to checkpoint before scancel


def primary_history(run_dir: str | Path, metric: str) -> list[float]:
    """The primary metric's numeric values in logging order (each logging is one interval)."""
    value = merge_metrics(read_events(run_dir)).get(metric)
    values = value if isinstance(value, list) else [] if value is None else [value]
    return [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]


@dataclass
class Controller:
    sweep_dir: Path
    transport: Transport
    plan: dict[str, Any] = field(default_factory=dict)
    tick_seconds: float = 2.0
    kill_grace_s: float = KILL_GRACE_S
    _evaluated: dict[int, int] = field(default_factory=dict)
    _stopped: dict[int, float] = field(default_factory=dict)  # trial -> when SIGTERM was sent
    _killed: set[int] = field(default_factory=set)
    _histories: dict[int, list[float]] = field(default_factory=dict)
    _terminal: set[int] = field(default_factory=set)
    # Trials the scheduler answered without listing (and no exit code yet): since when (monotonic).
    _unseen: dict[int, float] = field(default_factory=dict)
    _running_before: set[int] = field(default_factory=set)
    _bayes: Any = None
    _deadline_hit: bool = False  # the deadline's cancel was taken by the scheduler
    _cancel_logged: set[int] = field(default_factory=set)  # trials whose cancel is in stops.jsonl

    @classmethod
    def load(cls, sweep_dir: str | Path, transport: Transport) -> Controller:
        sweep_dir = Path(sweep_dir)
        plan = json.loads((sweep_dir / files.SWEEP_FILE).read_text())
        if plan.get("deadline") is None:
            # A pipeline's sweep: max_duration_minutes counts from when the sweep starts, not its submission.
            plan["deadline"] = time.time() + float(plan["max_duration_minutes"]) * 60
        ctl = cls(sweep_dir=sweep_dir, transport=transport, plan=plan, tick_seconds=float(plan.get("tick_seconds", 2)))
        ctl.kill_grace_s = float(plan.get("kill_grace_seconds", KILL_GRACE_S))
        for stop in files.parse_lines(_read(sweep_dir / files.STOPS_FILE)):
            if isinstance(stop.get("trial"), int):
                ctl._stopped[stop["trial"]] = float(stop.get("at", 0))
        if plan["sampling"] == "BayesianOptimization":
            from .bayes import BayesianSearch

            ctl._bayes = BayesianSearch.open(sweep_dir, plan)
        return ctl

    # -- what the sweep directory says --------------------------------------------------------

    @property
    def policy(self) -> PolicySpec:
        return PolicySpec(**self.plan["policy"])

    def trials(self) -> dict[int, dict[str, Any]]:
        return files.latest_by_index(files.parse_lines(_read(self.sweep_dir / files.TRIALS_FILE)))

    def _append(self, name: str, text: str) -> None:
        with open(self.sweep_dir / name, "a", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())

    def _state(self, **values: Any) -> None:
        data = {"pid": os.getpid(), "job_id": os.environ.get("SLURM_JOB_ID"), "updated": time.time(), **values}
        write_atomic(self.sweep_dir / files.CONTROLLER_FILE, json.dumps(data).encode())

    # -- one tick -----------------------------------------------------------------------------

    def tick(self) -> bool:
        """Look, decide, act once. True when the sweep is over."""
        trials = self.trials()
        now = time.monotonic()
        refs = [
            TaskRef(
                str(i),
                t["job_id"],
                files.trial_dir(str(self.sweep_dir), i),
                unseen_for=now - self._unseen[i] if i in self._unseen else None,
            )
            for i, t in trials.items()
        ]
        query = squeue_tasks(self.transport, sorted({r.job_id.split("_", 1)[0] for r in refs}))
        states = poll_tasks(self.transport, [r for r in refs if int(r.key) not in self._terminal], query=query)
        running: set[int] = set()
        for key, update in states.items():
            index = int(key)
            if update.state is None:
                # No evidence either way (slurmctld not answering, or a task not listed whose exit
                # code has not appeared yet): nothing is decided about it this tick.
                if update.unseen:
                    self._unseen.setdefault(index, now)
                elif index in self._running_before:
                    running.add(index)
                continue
            self._unseen.pop(index, None)
            if update.state.is_terminal:
                self._terminal.add(index)
            elif update.state in (JobState.RUNNING, JobState.STARTING):
                running.add(index)
        self._running_before = running
        metric = self.plan["primary_metric_name"]
        for index in trials:
            # Running trials, and those that ended since the last tick (their last loggings count).
            if index not in self._histories or index in running or str(index) in states:
                self._histories[index] = primary_history(files.trial_dir(str(self.sweep_dir), index), metric)
        if (self.sweep_dir / files.CANCEL_FILE).exists():
            # Over only once the scheduler took the cancel; else the next tick tries again.
            if not self._cancel_remaining(trials, "the sweep was canceled"):
                return False
            self._state(state="canceled")
            return True
        past_deadline = time.time() >= float(self.plan["deadline"])
        if past_deadline and not self._deadline_hit:
            reason = f"max_duration_minutes ({self.plan['max_duration_minutes']}) reached"
            self._deadline_hit = self._cancel_remaining(trials, reason)
        self._apply_policy(trials, running)
        self._finish_kills(trials)
        if self._bayes is not None and not past_deadline:
            self._bayes_step(trials)
            trials = self.trials()
        planned = int(self.plan["trial_count"]) if self._bayes is None else int(self.plan["max_total_runs"])
        done = len(self._terminal) >= len(trials) and (len(trials) >= planned or self._deadline_hit)
        best = self._best()
        self._state(
            state="done" if done else "running",
            trials=len(trials),
            finished=len(self._terminal),
            running=len(running),
            stopped=len(self._stopped),
            best=best,
            deadline_reached=self._deadline_hit,
        )
        return done

    def _best(self) -> dict[str, Any] | None:
        maximize = self.plan["primary_metric_goal"] == "maximize"
        values = {i: best_value(h, maximize) for i, h in self._histories.items() if h}
        ranked = rank_trials(values, maximize)
        if not ranked:
            return None
        return {"trial": ranked[0], "value": values[ranked[0]]}

    def _apply_policy(self, trials: dict[int, dict[str, Any]], running: set[int]) -> None:
        policy = self.policy
        if not policy.stops_trials:
            return
        maximize = self.plan["primary_metric_goal"] == "maximize"
        candidates = {i for i in running if i not in self._stopped}
        stops, self._evaluated = decide(policy, maximize, self._histories, candidates, self._evaluated)
        for stop in stops:
            self._stop(trials[stop.trial], stop)

    def _stop(self, trial: dict[str, Any], stop: Stop) -> None:
        index = trial["index"]
        run_dir = Path(files.trial_dir(str(self.sweep_dir), index))
        run_dir.mkdir(parents=True, exist_ok=True)
        record = {**stop.as_dict(), "at": time.time(), "job_id": trial["job_id"]}
        write_atomic(run_dir / "policy_stop.json", json.dumps(record).encode())
        (run_dir / "cancel_requested").write_text(stop.reason + "\n")
        self._append(files.STOPS_FILE, json.dumps(record) + "\n")
        self._stopped[index] = time.time()
        _say(f"trial {index} ({trial['job_id']}): {stop.reason}")
        self._signal_ranks(index, trial["job_id"])

    def _signal_ranks(self, index: int, job_id: str) -> None:
        """SIGTERM to the trial's ranks only, so it can checkpoint; scancel follows after the grace.

        The signal goes to the job's steps, named one by one: signalling the batch step too
        (``--full``) reaches srun, which answers a SIGTERM of its own by SIGKILLing the ranks at
        once ("srun: forcing job termination"), before any handler runs; signalling the array task
        as a whole makes scancel retry for 5 s while the array has pending tasks, and the steps are
        named with scancel's confirmation answered so that each gets the signal once (see
        :func:`slurm.scancel_steps_argv`). The ranks exit by themselves, srun with them, and the
        batch shell records 143. A trial with no step (still setting up, or just ended) has nothing
        to save: it is cancelled.
        """
        listed = self.transport.run(slurm.squeue_steps_argv([job_id]))
        if not listed.ok:  # the slower whole-task form still signals the steps only
            self.transport.run(slurm.scancel_argv([job_id], signal="TERM", full=False))
            return
        steps = slurm.parse_task_steps(listed.stdout)
        if steps:
            answers = slurm.scancel_steps_stdin(len(steps))
            self.transport.run(slurm.scancel_steps_argv(steps, "TERM"), stdin=answers, timeout=60)
            _say(f"trial {index}: SIGTERM to {', '.join(steps)}; scancel in {self.kill_grace_s:g} s if still running")
        elif _scancel(self.transport, [job_id]):
            self._killed.add(index)  # else _finish_kills tries again after the grace period

    def _finish_kills(self, trials: dict[int, dict[str, Any]]) -> None:
        now = time.time()
        for index, at in self._stopped.items():
            if index in self._killed or index in self._terminal or index not in trials:
                continue
            if now - at >= self.kill_grace_s:
                _say(f"trial {index}: still running {self.kill_grace_s:g} s after SIGTERM, scancel")
                if _scancel(self.transport, [trials[index]["job_id"]]):
                    self._killed.add(index)  # else tried again next tick

    def _cancel_remaining(self, trials: dict[int, dict[str, Any]], reason: str) -> bool:
        """Mark and cancel every open trial; True once the scheduler took the cancel (or none was open)."""
        open_trials = [t for i, t in trials.items() if i not in self._terminal]
        for trial in open_trials:
            run_dir = Path(files.trial_dir(str(self.sweep_dir), trial["index"]))
            run_dir.mkdir(parents=True, exist_ok=True)
            if not (run_dir / "cancel_requested").exists():
                (run_dir / "cancel_requested").write_text(reason + "\n")
            if trial["index"] not in self._cancel_logged:  # once, however many attempts the cancel takes
                self._cancel_logged.add(trial["index"])
                self._append(
                    files.STOPS_FILE,
                    json.dumps({"trial": trial["index"], "policy": None, "reason": reason, "at": time.time()}) + "\n",
                )
        if not open_trials:
            return True
        _say(f"{reason}: cancelling trial(s) {', '.join(str(t['index']) for t in open_trials)}")
        return _scancel(self.transport, sorted({t["job_id"] for t in open_trials}))

    # -- Bayesian -----------------------------------------------------------------------------

    def _bayes_step(self, trials: dict[int, dict[str, Any]]) -> None:
        maximize = self.plan["primary_metric_goal"] == "maximize"
        total, window = int(self.plan["max_total_runs"]), int(self.plan["max_concurrent_runs"])
        # Suggestion k sees exactly trials 0..k-window (told in index order), whatever the timing,
        # so a seeded sweep whose trials give the same results makes the same suggestions.
        new: list[tuple[int, dict[str, Any]]] = []
        k = len(trials)
        while k < total:
            need = k - window  # trials 0..need must be finished and told before suggestion k
            if need >= 0 and any(j not in self._terminal for j in range(need + 1)):
                break
            for j in range(self._bayes.told, need + 1):
                history = self._histories.get(j) or []
                self._bayes.tell(j, best_value(history, maximize) if history else None)
            new.append((k, self._bayes.ask(k)))
            k += 1
        if new:
            self._submit(new)
        if k >= total and len(self._terminal) >= len(trials) and trials:
            for j in range(self._bayes.told, len(trials)):
                history = self._histories.get(j) or []
                self._bayes.tell(j, best_value(history, maximize) if history else None)

    def _submit(self, new: list[tuple[int, dict[str, Any]]]) -> None:
        """Submit the new trials (consecutive indices from ``new[0]``'s) as array chunks."""
        with open(self.sweep_dir / files.ARGS_FILE, "a", encoding="utf-8") as fh:
            for k, params in new:
                fh.write(files.args_line(k, trial_arguments(params)))
            fh.flush()
            os.fsync(fh.fileno())
        first = new[0][0]
        for offset, length in files.chunks(first, len(new), int(self.plan["max_array_size"])):
            job_id = submit_array(self.transport, self.sweep_dir, offset, length, None)
            _say(f"submitted trial(s) {offset}..{offset + length - 1} as array {job_id}")
            chunk = [params for _, params in new[offset - first : offset - first + length]]
            for trial in files.chunk_trials(job_id, offset, chunk):
                self._append(files.TRIALS_FILE, files.trial_record(**trial))

    # -- the loop -----------------------------------------------------------------------------

    def run(self, max_ticks: int | None = None) -> int:
        ticks = 0
        while True:
            try:
                if self.tick():
                    return 0
            except Exception as exc:  # one bad tick (a torn file, a slow squeue) must not end the sweep
                print(f"hpcest controller: tick failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            ticks += 1
            if max_ticks is not None and ticks >= max_ticks:
                return 0
            time.sleep(self.tick_seconds)


def submit_array(
    transport: Transport,
    sweep_dir: Path | str,
    offset: int,
    length: int,
    max_concurrent: int | None,
    dependency: str | None = None,
) -> str:
    """One ``sbatch --array`` of the sweep's script for trials offset..offset+length-1; the array job id."""
    extra = [
        f"--chdir={sweep_dir}",
        f"--array={files.array_range(length, max_concurrent)}",
        f"--export=ALL,HPCEST_TASK_OFFSET={offset}",
    ]
    if dependency:
        extra.append(f"--dependency={dependency}")
    result = transport.run(slurm.sbatch_argv(f"{sweep_dir}/{files.SCRIPT}", extra=extra), idempotent=False)
    slurm.check(result)
    return slurm.parse_sbatch_parsable(result.stdout).job_id


def _scancel(transport: Transport, job_ids: list[str]) -> bool:
    """scancel, one command (more only for more ids than fit one: ``util.argv_chunks``, each
    run); False (and why, in the log) when the scheduler did not take one, to be tried again."""
    taken = True
    for chunk in argv_chunks(job_ids):
        result = transport.run(slurm.scancel_argv(chunk))
        if not result.ok:
            why = result.stderr.strip() or f"exit status {result.returncode}"
            _say(f"scancel {' '.join(chunk)} failed ({why}); trying again next tick")
            taken = False
    return taken


def _say(text: str) -> None:
    """One line of the controller's log (``hpcest logs SWEEP``), with the time."""
    print(f"{time.strftime('%H:%M:%S')} {text}", flush=True)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hpc_estimator.sweep.controller")
    parser.add_argument("sweep_dir")
    args = parser.parse_args(argv)
    from ..transport.local import LocalTransport

    controller = Controller.load(args.sweep_dir, LocalTransport())
    print(f"hpcest controller for {args.sweep_dir} (pid {os.getpid()})", flush=True)
    return controller.run()


if __name__ == "__main__":
    sys.exit(main())
