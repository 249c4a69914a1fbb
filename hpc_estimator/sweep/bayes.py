"""Bayesian sampling with Optuna's TPE, its study kept in a journal file in the sweep directory.

The journal backend appends whole records to one file (no SQLite locking, which is unsafe on
NFS). The sampler is seeded from ``properties={"seed": N}`` (or the seed drawn at submission), so
the same results told in the same order give the same suggestions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

JOURNAL = "optuna.journal"


def distributions(space: dict[str, Any]) -> dict[str, Any]:
    """v1's Bayesian expressions (choice, uniform, quniform with ints) as Optuna distributions."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    out: dict[str, Any] = {}
    for key, (name, args) in space.items():
        if name == "choice":
            out[key] = CategoricalDistribution(list(args[0]))
        elif name == "uniform":
            out[key] = FloatDistribution(float(args[0]), float(args[1]))
        elif name == "quniform":
            low, high, q = (int(a) for a in args)
            out[key] = IntDistribution(low, low + ((high - low) // q) * q, step=q)
        else:  # BayesianParameterSampling refused anything else at construction
            raise ValueError(f"{name} is not a Bayesian expression")
    return out


class BayesianSearch:
    def __init__(self, study: Any, dists: dict[str, Any], told: int) -> None:
        self.study = study
        self.dists = dists
        self.told = told

    @classmethod
    def open(cls, sweep_dir: Path, plan: dict[str, Any]) -> BayesianSearch:
        try:
            import optuna
            from optuna.storages import JournalStorage
            from optuna.storages.journal import JournalFileBackend
        except ImportError as exc:  # pragma: no cover - depends on the cluster's Python
            raise SystemExit(
                f"hpcest controller: Bayesian sampling needs optuna in the cluster's Python ({exc}); "
                "`pip install hpcest` (or optuna) there, or point the profile's python= at a venv that has it"
            ) from None
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        storage = JournalStorage(JournalFileBackend(str(sweep_dir / JOURNAL)))
        study = optuna.create_study(
            study_name=plan["sweep_id"],
            storage=storage,
            sampler=optuna.samplers.TPESampler(seed=int(plan["seed"])),
            direction="maximize" if plan["primary_metric_goal"] == "maximize" else "minimize",
            load_if_exists=True,
        )
        from optuna.trial import TrialState

        told = sum(1 for t in study.get_trials(deepcopy=False) if t.state != TrialState.RUNNING)
        return cls(study, distributions(plan["parameter_space"]), told)

    def ask(self, index: int) -> dict[str, Any]:
        trial = self.study.ask(self.dists)
        if trial.number != index:
            raise RuntimeError(f"optuna trial number {trial.number} does not match sweep trial {index}")
        return dict(trial.params)

    def tell(self, index: int, value: float | None) -> None:
        from optuna.trial import TrialState

        if index < self.told:
            return
        if value is None:
            self.study.tell(index, state=TrialState.FAIL)
        else:
            self.study.tell(index, value)
        self.told = index + 1
