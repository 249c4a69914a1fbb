"""#SBATCH lines: typed, conservative, and impossible to break out of."""

from __future__ import annotations

import pytest

from hpc_estimator.errors import ConfigError
from hpc_estimator.job.sbatch_options import directive_lines, format_time_limit, safe_job_name
from hpc_estimator.job.spec import JobSpec, ResourceSpec, SchedulerSpec


def _spec(**sched) -> JobSpec:
    return JobSpec(name="n", argv=("x",), run_dir="/r", resources=ResourceSpec(nodes=2, tasks_per_node=3),
                   scheduler=SchedulerSpec(**sched))


@pytest.mark.parametrize(("seconds", "expected"), [(1, "00:01:00"), (60, "00:01:00"), (61, "00:02:00"),
                                                   (3600, "01:00:00"), (86400 + 1, "1-00:01:00")])
def test_time_limit_rounds_up_to_whole_minutes(seconds: int, expected: str) -> None:
    assert format_time_limit(seconds) == expected


@pytest.mark.parametrize("field", ["partition", "account", "qos", "constraint", "reservation"])
@pytest.mark.parametrize("value", ["gpu\n#SBATCH --uid=0", "a b", "x'y", "$(id)"])
def test_values_that_could_add_directives_are_refused(field: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"--{field}"):
        directive_lines(_spec(**{field: value}))


def test_job_name_is_sanitised() -> None:
    assert safe_job_name("my run\n#SBATCH x") == "my_run__SBATCH_x"


def test_extra_directive_with_newline_is_refused() -> None:
    with pytest.raises(ConfigError, match="newline"):
        directive_lines(_spec(extra_directives=("--mail-type=END\n--uid=0",)))


def test_directives_for_a_typical_job() -> None:
    lines = directive_lines(_spec(partition="gpu", time_limit_s=90, dependency="afterok:12:13", array="0-9%2"))
    assert lines == [
        "#SBATCH --job-name=n", "#SBATCH --nodes=2", "#SBATCH --ntasks-per-node=3", "#SBATCH --time=00:02:00",
        "#SBATCH --partition=gpu", "#SBATCH --array=0-9%2", "#SBATCH --dependency=afterok:12:13",
        "#SBATCH --kill-on-invalid-dep=yes", "#SBATCH --no-requeue", "#SBATCH --output=hpcest-logs/slurm-%j.out",
    ]
