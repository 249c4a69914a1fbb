"""Re-record the Slurm outputs in this directory from a real cluster (dev-time tool, not a test).

Usage (root, Slurm 22.05 cluster with accounting up and SLURM_CONF exported):

    python3 tests/data/slurm/record.py tests/data/slurm

Every command is built with hpc_estimator.slurm's own argv builders, so the files hold exactly
what the parsers meet in production. The scenario takes about two minutes (one job has to reach
its time limit).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from hpc_estimator import slurm

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
WORK = Path("/tmp/hpcest-slurm-record")
WORK.mkdir(parents=True, exist_ok=True)


def run(argv: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(argv, capture_output=True, text=True, cwd=WORK)
    if check and r.returncode != 0:
        raise SystemExit(f"{argv} failed: {r.stderr}")
    return r


def save(name: str, argv: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    r = run(argv, check=check)
    (OUT / f"{name}.txt").write_text(r.stdout)
    if r.stderr or r.returncode:
        (OUT / f"{name}.stderr.txt").write_text(r.stderr)
    return r


def script(body: str) -> str:
    path = WORK / f"job-{abs(hash(body))}.sh"
    path.write_text(f"#!/bin/sh\n{body}\n")
    return str(path)


def submit(*extra: str, wrap: str) -> str:
    r = run(slurm.sbatch_argv(script(wrap), extra=[*extra, "-o", str(WORK / "%j.out")]))
    return slurm.parse_sbatch_parsable(r.stdout).job_id


def wait_state(job: str, states: set[str], limit: float = 150) -> None:
    end = time.time() + limit
    while time.time() < end:
        rec = slurm.parse_scontrol_show_job(run(slurm.scontrol_show_job_argv(job)).stdout)
        if slurm.normalize_state(rec["JobState"])[0] in states:
            return
        time.sleep(0.5)
    raise SystemExit(f"job {job} never reached {states}")


jobs: dict[str, str] = {}
save("sbatch_parsable", slurm.sbatch_argv(script("true"), extra=["-o", "/dev/null"]))
save("sbatch_invalid_partition", slurm.sbatch_argv(script("true"), extra=["-p", "nosuch"]), check=False)
save("sbatch_too_many_gpus", slurm.sbatch_argv(script("true"), extra=["--gres=gpu:9"]), check=False)

jobs["completed"] = submit("-J", "rec-completed", wrap="true")
jobs["failed_exit3"] = submit("-J", "rec-failed", wrap="exit 3")
jobs["timeout"] = submit("-J", "rec-timeout", "-t", "1", wrap="sleep 300")
jobs["running"] = submit("-J", "rec-running", wrap="sleep 600")
jobs["pending_dependency"] = submit("-J", "rec-dep", f"--dependency=afterok:{jobs['running']}", wrap="true")
jobs["array"] = submit("-J", "rec-array", "--array=0-5%2", wrap="sleep 600")
jobs["cancelled"] = submit("-J", "rec-cancelled", wrap="sleep 600")
jobs["held"] = submit("-J", "rec-held", "--hold", wrap="true")
jobs["requeued"] = submit("-J", "rec-requeue", "--requeue", wrap="sleep 600")
jobs["killed_by_signal"] = submit("-J", "rec-signal", wrap="kill -9 $$")
jobs["dep_never"] = submit("-J", "rec-depnever", f"--dependency=afterok:{jobs['failed_exit3']}", wrap="true")
# a name with spaces and the separator characters of other formats
jobs["odd_name"] = submit("-J", "rec odd|name;x", wrap="true")
wait_state(jobs["running"], {"RUNNING"})
wait_state(jobs["cancelled"], {"RUNNING"})
wait_state(jobs["requeued"], {"RUNNING"})
jobs["pending_resources"] = submit("-J", "rec-resources", "-N", "2", "--exclusive", wrap="true")
run(slurm.scancel_argv([jobs["cancelled"]]))
run(["scontrol", "requeue", jobs["requeued"]])
wait_state(jobs["timeout"], {"TIMEOUT"})
time.sleep(3)  # let accounting records arrive

all_ids = list(jobs.values())
(OUT / "jobs.json").write_text(json.dumps(jobs, indent=1) + "\n")
save("squeue", slurm.squeue_argv(all_ids))
save("squeue_json", slurm.squeue_json_argv(all_ids))
save("squeue_by_name", slurm.squeue_by_name_argv("rec-array", user="root"))
save("squeue_invalid_job", slurm.squeue_argv(["999999"]), check=False)
save("sacct", slurm.sacct_argv(all_ids))
save("sacct_with_steps", [a for a in slurm.sacct_argv(all_ids) if a != "-X"])
for key in ("pending_dependency", "running", "failed_exit3", "cancelled", "array", "timeout", "held",
            "requeued", "pending_resources"):
    save(f"scontrol_show_job_{key}", slurm.scontrol_show_job_argv(jobs[key]))
save("scontrol_show_job_multiline", ["scontrol", "show", "job", jobs["pending_dependency"]])
save("scontrol_show_job_invalid", slurm.scontrol_show_job_argv("999999"), check=False)
save("show_config", slurm.scontrol_show_config_argv())
save("sinfo", slurm.sinfo_argv())
run(["scontrol", "update", "nodename=node2", "state=drain", "reason=disk check (ticket 42)"])
save("sinfo_drain", slurm.sinfo_argv())
run(["scontrol", "update", "nodename=node2", "state=resume"])
run(slurm.scancel_argv(all_ids), check=False)
print(json.dumps(jobs, indent=1))
