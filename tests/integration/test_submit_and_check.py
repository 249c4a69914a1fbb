"""Submission safety and `hpcest cluster check` against the real local cluster."""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from click.testing import CliRunner

from hpc_estimator import Estimator
from hpc_estimator.backends.slurm import SlurmBackend
from hpc_estimator.cli import main
from hpc_estimator.cluster.profile import ClusterProfile
from hpc_estimator.compile import compile_job
from hpc_estimator.errors import TransportError
from hpc_estimator.job.render import render_sbatch
from hpc_estimator.testing import local_cluster as lc
from hpc_estimator.transport.base import CommandResult
from hpc_estimator.transport.local import LocalTransport


class LosesSbatchReply(LocalTransport):
    """Runs every command for real, but loses the reply of the first sbatch (as a dropped link would)."""

    def __init__(self) -> None:
        super().__init__()
        self.lost = 0

    def run(self, argv: Sequence[str], **kwargs) -> CommandResult:  # type: ignore[override]
        result = super().run(argv, **kwargs)
        if argv[0] == "sbatch" and self.lost == 0:
            self.lost += 1
            raise TransportError("connection dropped after the command was sent; outcome unknown")
        return result


def test_lost_sbatch_reply_does_not_submit_twice(local_cluster: lc.LocalCluster, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "t.py").write_text("print('hi')\n")
    profile = ClusterProfile(name="c", workdir=str(tmp_path / "work"), container_runtime="none",
                             python=sys.executable, partition=local_cluster.partition)
    transport = LosesSbatchReply()
    backend = SlurmBackend(profile, transport)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = Estimator(str(src), compute_target="c", entry_script="t.py")
    run_id = "lost_1795000000_abcdef01"
    spec = compile_job(est, profile=profile, run_id=run_id, run_dir=backend.run_dir_for(run_id)).spec
    submitted = backend.submit(run_id, spec, render_sbatch(spec), str(src))
    assert transport.lost == 1
    jobs = subprocess.run(["squeue", "--noheader", "--states=all", f"--name={run_id}", "-o", "%i"],
                          capture_output=True, text=True, check=True).stdout.split()
    assert jobs == [submitted.job_id]  # found again by its unique name, not submitted a second time


def test_cluster_check_reports_the_live_cluster(local_cluster: lc.LocalCluster, tmp_path: Path,
                                                monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HPCEST_WORKSPACE", raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["init", "."]).exit_code == 0
    added = runner.invoke(main, ["cluster", "add", "here", "--partition", local_cluster.partition,
                                 "--gpus-per-node", str(local_cluster.gpus_per_node), "--runtime", "charliecloud"])
    assert added.exit_code == 0, added.output
    result = runner.invoke(main, ["cluster", "check", "here"])
    assert result.exit_code == 0, result.output
    assert "debug (default): up, 2 node(s), gpus/node 4" in result.output
    assert f"MaxArraySize: {local_cluster.max_array_size}" in result.output
    assert "pmix" in result.output
    bad = runner.invoke(main, ["cluster", "add", "wrong", "--partition", "nosuch", "--gpus-per-node", "8"])
    assert bad.exit_code == 0
    checked = runner.invoke(main, ["cluster", "check", "wrong"])
    assert checked.exit_code == 1
    assert "partition 'nosuch' of the profile does not exist" in checked.output
