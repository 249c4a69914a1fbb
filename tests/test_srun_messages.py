"""srun's own messages reach the batch log once, whatever interrupts the job.

Protects: a launch that fails because slurmctld is unreachable shows srun's message in the batch
log (``hpcest logs --batch``); a SIGTERM (scancel, time limit) that arrives while the script waits to
launch again, or after the last launch has ended, does not print that message a second time, while
a SIGTERM during a launch still shows what srun said. The rendered script runs in bash with a
stand-in ``srun`` that answers as Slurm does, and a ``sleep`` that plays scancel.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import replace
from pathlib import Path

from hpc_estimator.job.render import render_sbatch
from tests.golden_specs import SPECS
from tests.stand_in_tools import install_tools

DOWN = "srun: error: Unable to contact slurm controller (connect failure)"

# $HPCEST_FAKE_SRUN: "down" (the controller is unreachable), "ok", or "hang" (runs until signalled).
FAKE_SRUN = r"""#!/bin/bash
case "$HPCEST_FAKE_SRUN" in
  down) echo "srun: error: Unable to contact slurm controller (connect failure)" >&2; exit 1 ;;
  ok) echo "srun: job step 7.0 done" >&2; exit 0 ;;
  hang) echo "srun: step 7.0 started" >&2; trap 'echo "srun: forcing job termination" >&2; exit 143' TERM
        while :; do /bin/sleep 0.05; done ;;
esac
"""
# The pause before a relaunch: scancel arrives while it sleeps.
TERM_IN_PAUSE = "#!/bin/sh\nkill -TERM $PPID\nexit 0\n"


def _run(tmp_path: Path, srun: str, sleep: str = "#!/bin/sh\nexit 0\n", after: str = "") -> str:
    bin_dir, run_dir = tmp_path / "bin", tmp_path / "run"
    (run_dir / "src").mkdir(parents=True)
    tools = {"srun": FAKE_SRUN, "sleep": sleep, "scontrol": "#!/bin/sh\necho 'Slurmctld(primary) at ctl is UP'\n"}
    env = {**install_tools(bin_dir, tools), "HPCEST_FAKE_SRUN": srun}
    spec = replace(SPECS["single_bare"], run_dir=str(run_dir), env=())
    script = run_dir / "job.sbatch"
    script.write_text(render_sbatch(spec) + after)
    process = subprocess.Popen(
        ["bash", str(script)], cwd=run_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    if srun == "hang":
        said = run_dir / "hpcest-logs" / "srun.err"
        for _ in range(400):  # until the step runs, then scancel
            if said.exists() and "step 7.0 started" in said.read_text(errors="replace"):
                break
            time.sleep(0.05)
        process.terminate()
    _, stderr = process.communicate(timeout=60)
    return stderr


def test_a_term_while_waiting_to_launch_again_does_not_repeat_srun_s_message(tmp_path: Path) -> None:
    stderr = _run(tmp_path, "down", sleep=TERM_IN_PAUSE)
    assert "trying again once it answers" in stderr
    assert "SIGTERM (time limit or cancel)" in stderr
    assert stderr.count(DOWN) == 1, stderr


def test_a_term_after_the_launch_ended_does_not_repeat_srun_s_message(tmp_path: Path) -> None:
    # The job's own work after the launch (here: a sleep that scancel interrupts).
    stderr = _run(tmp_path, "ok", after="\nhpcest_pause 30\n", sleep=TERM_IN_PAUSE)
    assert "SIGTERM (time limit or cancel)" in stderr
    assert stderr.count("srun: job step 7.0 done") == 1, stderr


def test_a_term_during_a_launch_shows_what_srun_said(tmp_path: Path) -> None:
    stderr = _run(tmp_path, "hang")
    assert "SIGTERM (time limit or cancel)" in stderr
    assert stderr.count("srun: step 7.0 started") == 1, stderr
    assert stderr.count("srun: forcing job termination") == 1, stderr
