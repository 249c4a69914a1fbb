"""Submit overhead on a real Slurm cluster: hpcest submit -> training script start, vs sbatch --wrap.

    python bench/bench_submit.py [N]

Starts its own 1-node local cluster (root and slurm-wlm needed; see scripts/test.sh), then for
N rounds measures the time from the submit call until the training process writes its first
line: (a) ``Experiment.submit`` of an Estimator (compile, render, stage, write script, sbatch);
(b) a bare ``sbatch --wrap`` running the same Python one-liner. Both pay Slurm's scheduling tick.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from hpc_estimator import Estimator, Experiment, Workspace
from hpc_estimator.backends import close_all
from hpc_estimator.testing import local_cluster as lc
from hpc_estimator.testing.state_dir import new_state_dir, remove_state_dir

STAMP = "import sys, time; open(sys.argv[1], 'w').write(repr(time.time()))"


def wait_for(path: Path, timeout: float = 60.0) -> float:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists() and path.read_text():
            return float(path.read_text())
        time.sleep(0.01)
    raise TimeoutError(f"{path} never appeared")


def main(n: int = 10) -> None:
    problems = lc.missing_requirements(ssh=False)
    if problems:
        sys.exit("cannot start a local cluster: " + "; ".join(problems))
    state = new_state_dir("hpcest-bench-")
    cluster = lc.start(state, nodes=1, ssh=False)
    work = Path(tempfile.mkdtemp(prefix="hpcest-bench-ws-"))
    env = cluster.client_env()
    try:
        ws = Workspace.create(work / "ws")
        ws.add_profile("bench", {"transport": "local", "workdir": str(work / "cluster"), "container_runtime": "none",
                                 "python": sys.executable, "client_env": {"SLURM_CONF": str(cluster.slurm_conf)}})
        src = work / "src"
        src.mkdir()
        (src / "stamp.py").write_text(STAMP.replace("; ", "\n"))
        hpcest, wrap = [], []
        for i in range(n):
            out = work / f"h{i}"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est = Estimator(str(src), compute_target="bench", entry_script="stamp.py",
                                script_params={"": str(out)})
            t0 = time.time()
            Experiment(ws, "bench").submit(est)
            hpcest.append(wait_for(out) - t0)
            out = work / f"w{i}"
            t0 = time.time()
            subprocess.run(["sbatch", "--parsable", f"--chdir={work}", "--output=/dev/null", "--wrap",
                            f"{sys.executable} -c \"{STAMP}\" {out}"], env=env, check=True, capture_output=True)
            wrap.append(wait_for(out) - t0)
        med_h, med_w = statistics.median(hpcest), statistics.median(wrap)
        print(f"rounds: {n} (1-node local cluster, slurmctld scheduling tick included in both)")
        print(f"hpcest submit -> training start: median {med_h * 1e3:.0f} ms (min {min(hpcest) * 1e3:.0f})")
        print(f"sbatch --wrap -> process start:  median {med_w * 1e3:.0f} ms (min {min(wrap) * 1e3:.0f})")
        print(f"overhead ratio hpcest / sbatch --wrap: {med_h / med_w:.2f}x (+{(med_h - med_w) * 1e3:.0f} ms)")
    finally:
        close_all()
        lc.stop(cluster)
        remove_state_dir(state)
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
