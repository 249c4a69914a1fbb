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
from hpc_estimator.slurm.recorded_submit import SUBMIT_COMMAND_NAME
from hpc_estimator.testing import local_cluster as lc
from hpc_estimator.transport.base import CommandResult
from hpc_estimator.transport.local import LocalTransport


class LosesSbatchReply(LocalTransport):
    """Runs every command for real, but loses the reply of the first submit command (as a dropped link would)."""

    def __init__(self) -> None:
        super().__init__()
        self.lost = 0

    def run(self, argv: Sequence[str], **kwargs) -> CommandResult:  # type: ignore[override]
        result = super().run(argv, **kwargs)
        if SUBMIT_COMMAND_NAME in argv and self.lost == 0:
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
    assert jobs == [submitted.job_id]  # found again (its recorded id), not submitted a second time
    assert (Path(submitted.run_dir) / "job_id").read_text() == f"{submitted.job_id}\n"


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


def _probe(profile: ClusterProfile, transport: LocalTransport | None = None):
    from hpc_estimator.backends.check import probe

    return probe(transport or LocalTransport(), profile)


def test_cluster_check_finds_an_unwritable_workdir_and_a_python_that_does_not_run(
    local_cluster: lc.LocalCluster, tmp_path: Path
) -> None:
    """Before: 'OK' for both, then a raw remote traceback at the next submit."""
    profile = ClusterProfile(name="c", workdir="/proc/nope", python="/nonexistent/python",
                             container_runtime="none", partition=local_cluster.partition)  # fmt: skip
    report = _probe(profile)
    assert not report.ok
    (workdir,) = [p for p in report.problems if p.startswith("workdir")]
    assert "'/proc/nope' cannot be created or written" in workdir and "scratch" in workdir
    (python,) = [p for p in report.problems if p.startswith("python")]
    assert "'/nonexistent/python' does not run on the login node" in python and "not found" in python
    good = _probe(ClusterProfile(name="c", workdir=str(tmp_path / "w"), python=sys.executable,
                                 container_runtime="none", partition=local_cluster.partition))  # fmt: skip
    assert good.ok, good.problems
    version = ".".join(map(str, sys.version_info[:3]))
    assert any(f"runs: Python {version}" in n for n in good.notes)


def test_cluster_check_tests_flock_on_the_image_cache(local_cluster: lc.LocalCluster, tmp_path: Path) -> None:
    ok = _probe(ClusterProfile(name="c", workdir=str(tmp_path / "w"), python=sys.executable,
                               container_runtime="charliecloud", partition=local_cluster.partition))  # fmt: skip
    assert not [p for p in ok.problems if "flock" in p], ok.problems
    # /proc refuses files: the same words a filesystem without locks would give come back.
    bad = _probe(ClusterProfile(name="c", workdir=str(tmp_path / "w"), image_cache="/proc/self/nocache",
                                python=sys.executable, container_runtime="charliecloud",
                                partition=local_cluster.partition))  # fmt: skip
    assert any("flock does not work in image_cache = '/proc/self/nocache'" in p for p in bad.problems)


def _path_without_slurm(tmp_path: Path) -> dict[str, str]:
    """A PATH like a site's non-login one: the basic tools, but no Slurm (which /etc/profile adds)."""
    import os
    import shutil

    bin_dir = tmp_path / "nologin-bin"
    bin_dir.mkdir()
    for tool in ("sh", "bash", "env", "mkdir", "mktemp", "rm", "flock", "cat", "id", "head"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    assert shutil.which("sbatch", path=str(bin_dir)) is None
    return {**os.environ, "PATH": str(bin_dir), "HOME": str(tmp_path)}


def test_cluster_check_says_when_slurm_is_only_on_a_login_shells_path(
    local_cluster: lc.LocalCluster, tmp_path: Path
) -> None:
    """Debian's /etc/profile sets the full PATH for login shells; commands without one lack sbatch."""
    env = _path_without_slurm(tmp_path)
    profile = ClusterProfile(name="site", workdir=str(tmp_path / "w"), python=sys.executable,
                             container_runtime="none", partition=local_cluster.partition)  # fmt: skip
    report = _probe(profile, LocalTransport(env=env))
    assert any("sbatch is only on PATH of login shells" in p and "login_shell = true" in p
               and "[clusters.site]" in p for p in report.problems), report.problems  # fmt: skip
    from dataclasses import replace

    fixed = _probe(replace(profile, login_shell=True), LocalTransport(env=env, login_shell=True))
    assert fixed.ok, fixed.problems
    assert fixed.partitions[local_cluster.partition]["available"] == "up"


def test_login_shell_output_of_profile_scripts_never_reaches_parsers(tmp_path: Path) -> None:
    """A site profile that prints a banner: commands still return only their own output."""
    import os

    (tmp_path / ".bash_profile").write_text("echo 'Welcome to the cluster! Quota: 93% used'\n")
    t = LocalTransport(env={**os.environ, "HOME": str(tmp_path)}, login_shell=True)
    result = t.run(["printf", "%s|", "a b", "$HOME", "it's"])
    assert result.stdout == "a b|$HOME|it's|"
