"""A graph submit script run again after its reply was lost finds the jobs of a big graph by name.

Protects: the jobs already queued whose ``job_id`` file is not there (sbatch answered, the file was
not written yet) are looked up with squeue by name in calls of ``NAMES_PER_SQUEUE`` names, so that a
graph of thousands of steps (one --name= list of them would be over Linux's 128 KiB limit on one
argument, and the kernel refuses to start squeue) has none of them submitted a second time.

The script runs for real in ``sh``; sbatch and squeue are stand-ins on PATH: squeue answers for the
names it is given from a table of queued jobs and logs the size of each --name= argument, sbatch
logs every call.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from hpc_estimator.slurm import graph_submit_script, parse_graph_submit
from hpc_estimator.slurm.graph import NAMES_PER_SQUEUE, GraphJob

SQUEUE = r"""#!/bin/sh
for a in "$@"; do case $a in --name=*) names=${a#--name=} ;; esac; done
printf '%s\n' "${#names}" >> "$FAKE/squeue.sizes"
printf '%s\n' "$names" | tr ',' '\n' |
  awk -v sep="$(printf '\037')" 'NR == FNR {id[$1] = $2; next} ($0 in id) {print $0 sep id[$0]}' "$FAKE/queued" -
"""
SBATCH = """#!/bin/sh
echo "$*" >> "$FAKE/sbatch.log"
echo "9$$;cluster"
"""


def _run(tmp_path: Path, jobs: list[GraphJob], squeue: str = SQUEUE) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, text in (("squeue", squeue), ("sbatch", SBATCH)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    script = tmp_path / "submit.sh"
    script.write_text(graph_submit_script(jobs))
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "FAKE": str(tmp_path)}
    return subprocess.run(["sh", str(script)], capture_output=True, text=True, env=env, check=False)


def _graph(tmp_path: Path, count: int) -> list[GraphJob]:
    jobs = []
    for index in range(count):
        # Step run ids as pipelines make them (experiment, time, a hash), with a long experiment name.
        name = f"nightly_retraining_of_the_recommendation_model_for_the_european_market_1733100000_{index:06d}_abcdef12"
        run_dir = tmp_path / "runs" / name
        run_dir.mkdir(parents=True)
        after = (index - 1,) if index else ()
        jobs.append(GraphJob(name=name, run_dir=str(run_dir), script=str(run_dir / "job.sbatch"), after=after))
    return jobs


def test_thousands_of_queued_steps_are_found_by_name_and_none_is_submitted_again(tmp_path: Path) -> None:
    jobs = _graph(tmp_path, 1500)
    assert len(",".join(job.name for job in jobs)) > 128 * 1024  # one list would not go through
    (tmp_path / "queued").write_text("".join(f"{job.name} {1000 + i}\n" for i, job in enumerate(jobs)))
    result = _run(tmp_path, jobs)
    assert result.returncode == 0, result.stderr
    found = parse_graph_submit(result.stdout)
    assert set(found.how.values()) == {"found"}
    assert found.job_ids == {job.name: str(1000 + i) for i, job in enumerate(jobs)}
    assert not (tmp_path / "sbatch.log").exists()
    sizes = [int(n) for n in (tmp_path / "squeue.sizes").read_text().split()]
    assert len(sizes) == -(-len(jobs) // NAMES_PER_SQUEUE) and max(sizes) < 64 * 1024


def test_a_squeue_that_does_not_answer_leaves_the_job_id_files_to_decide(tmp_path: Path) -> None:
    """No answer from squeue is no knowledge: a job whose job_id file is there is not submitted
    again, the others are (nothing says they are queued)."""
    jobs = _graph(tmp_path, 4)
    (Path(jobs[0].run_dir) / "job_id").write_text("77\n")
    broken = "#!/bin/sh\necho 'slurm_load_jobs error: Socket timed out' >&2\nexit 1\n"
    result = _run(tmp_path, jobs, squeue=broken)
    assert result.returncode == 0, result.stderr
    how = parse_graph_submit(result.stdout).how
    assert how[jobs[0].name] == "recorded"
    assert {how[job.name] for job in jobs[1:]} == {"submitted"}
    assert len((tmp_path / "sbatch.log").read_text().splitlines()) == 3
