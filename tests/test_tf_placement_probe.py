"""The TF parameter-server placement probe is an srun like the launch, and is checked like it.

Protects: the script's probe ``srun`` (where each task lands, for TF_CONFIG) is launched again when
it fails before any task answered because slurmctld is unreachable, as the training launch is; and
a probe that reports fewer tasks than the layout has stops the job with an error instead of giving
every rank an empty TF_CONFIG cluster. The rendered script runs in bash with a stand-in ``srun``
that answers as Slurm does (the controller-down message is Slurm's own), and instant ``sleep`` and
``scontrol ping`` so the relaunch pauses take no time.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

from hpc_estimator.job.render import render_sbatch
from hpc_estimator.job.spec import ContainerSpec
from tests.golden_specs import SPECS
from tests.stand_in_tools import install_tools

# $HPCEST_FAKE_PROBES: how each probe call answers ("down": the controller is unreachable; N: N tasks report).
FAKE_SRUN = r"""#!/bin/bash
n=$(( $(cat "$HPCEST_FAKE/calls" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$HPCEST_FAKE/calls"
if [[ "$*" == *SLURM_PROCID* ]]; then
  plan=( $HPCEST_FAKE_PROBES )
  answer=${plan[n-1]:-3}
  if [ "$answer" = down ]; then
    echo "srun: error: Unable to contact slurm controller (connect failure)" >&2
    exit 1
  fi
  for (( i = answer - 1; i >= 0; i-- )); do echo "$i node$(( i % 2 + 1 )) $(( i / 2 ))"; done
  exit 0
fi
printf '%s\n' "$HPCEST_TF_HOSTS" > "$HPCEST_FAKE/launched"
"""


def _run(tmp_path: Path, probes: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    fake = tmp_path / "fake"
    bin_dir = tmp_path / "bin"
    run_dir = tmp_path / "run"
    for d in (fake, run_dir / "src"):
        d.mkdir(parents=True)
    tools = {"srun": FAKE_SRUN, "sleep": "#!/bin/sh\nexit 0\n",
             "scontrol": "#!/bin/sh\necho 'Slurmctld(primary) at ctl is UP'\n"}  # fmt: skip
    path_env = install_tools(bin_dir, tools)
    spec = replace(SPECS["tf_ps_2w_1ps"], run_dir=str(run_dir), container=ContainerSpec(), env=())
    script = run_dir / "job.sbatch"
    script.write_text(render_sbatch(spec))
    env = {**path_env, "HPCEST_FAKE": str(fake), "HPCEST_FAKE_PROBES": probes}
    result = subprocess.run(["bash", str(script)], cwd=run_dir, env=env, capture_output=True, text=True, timeout=60)
    return result, fake


def test_a_placement_probe_during_a_controller_outage_is_tried_again(tmp_path: Path) -> None:
    result, fake = _run(tmp_path, "down 3")
    assert result.returncode == 0, result.stderr
    assert "srun could not reach slurmctld (launch 1); trying again once it answers" in result.stderr
    assert (fake / "calls").read_text().strip() == "3"  # probe, probe again, then the launch
    assert (fake / "launched").read_text().split() == ["node1:2222,node2:2222,node1:2223"]


def test_a_probe_that_places_fewer_tasks_than_the_layout_stops_the_job(tmp_path: Path) -> None:
    result, fake = _run(tmp_path, "1")
    assert result.returncode == 1
    assert "hpcest: srun could not place the TF tasks (1 of 3 reported where they land)" in result.stderr
    assert not (fake / "launched").exists()
    assert (tmp_path / "run" / "exit_code").read_text().strip() == "1"
