"""What a sweep is told before anything is sent: warnings and refusals at submission (no cluster)."""

from __future__ import annotations

import warnings
from pathlib import Path

from hpc_estimator import HyperDriveConfig, PrimaryMetricGoal, RandomParameterSampling, Run, ScriptRunConfig, choice


def _config(src: ScriptRunConfig, **kwargs: object) -> HyperDriveConfig:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        space = RandomParameterSampling({"lr": choice(0.1, 0.2)})
        return HyperDriveConfig(run_config=src, hyperparameter_sampling=space, primary_metric_name="acc",
                                primary_metric_goal=PrimaryMetricGoal.MAXIMIZE, max_total_runs=2,
                                **kwargs)  # type: ignore[arg-type]


def test_resume_from_and_resume_child_runs_warn_at_submission_that_they_are_not_acted_on(tmp_path: Path) -> None:
    """v1's checks stay, but nothing warm-starts or resumes yet: the sweep says so when submitted
    (its notes are the warnings both submit_sweep and a HyperDriveStep's pipeline give)."""
    (tmp_path / "train.py").write_text("print('hi')\n")
    src = ScriptRunConfig(source_directory=str(tmp_path), script="train.py", compute_target="cpu")

    class Parent:
        id, _runtype = "old_sweep", "hyperdrive"

        def __init__(self) -> None:
            self.hyperdrive_config = _config(src)

        def get_status(self) -> str:
            return "Completed"

    class Child(Run):
        id = "old_sweep_0"  # type: ignore[assignment]
        parent = Parent()  # type: ignore[assignment]

        def __init__(self) -> None:
            pass

        def get_status(self) -> str:
            return "Completed"

    assert _config(src)._resolved_sweep().notes == ()
    notes = _config(src, resume_from=[Parent()], resume_child_runs=[Child()])._resolved_sweep().notes
    assert len(notes) == 2
    assert notes[0].startswith("resume_from is not implemented by hpcest: the trials of old_sweep are not given")
    assert notes[1].startswith("resume_child_runs is not implemented by hpcest: old_sweep_0 are not resumed")
