"""One submission path: a dry run is the real preparation with a backend that contacts nothing.

Protects: ``hpc_estimator.dry_run`` and ``hpcest submit ... --dry-run`` print byte for byte the
same script for the same run id, and the script a real submission writes into the run directory
is that script too; nothing is recorded and nothing is contacted (the profile's host does not
exist).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from hpc_estimator import ClusterProfile, Workspace, dry_run
from hpc_estimator.cli import main
from hpc_estimator.runs.submission import submit

JOB = textwrap.dedent(
    """
    import os
    from hpc_estimator import Environment, PyTorchConfiguration, ScriptRunConfig
    src = ScriptRunConfig(os.path.dirname(os.path.abspath(__file__)), script="train.py", arguments=["--lr", 0.1],
                          compute_target="gpu", environment=Environment.get(None, "AzureML-PyTorch-1.6-GPU"),
                          distributed_job_config=PyTorchConfiguration(process_count=8, node_count=2))
    """
)
TOML = textwrap.dedent(
    """
    [workspace]
    name = "dry"
    default_target = "local"

    [clusters.gpu]
    transport = "ssh"
    host = "login.invalid"
    user = "alice"
    workdir = "/scratch/alice/hpcest"
    gpus_per_node = 4
    """
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "train.py").write_text("print('hi')\n")
    (tmp_path / "job.py").write_text(JOB)
    (tmp_path / "hpcest.toml").write_text(TOML)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HPCEST_WORKSPACE", raising=False)
    return tmp_path


def _config(project: Path) -> object:
    namespace: dict[str, object] = {"__file__": str(project / "job.py")}
    exec(compile((project / "job.py").read_text(), str(project / "job.py"), "exec"), namespace)
    return namespace["src"]


def test_cli_dry_run_and_python_dry_run_are_byte_identical(project: Path) -> None:
    result = CliRunner().invoke(main, ["submit", "job.py:src", "--dry-run", "--json", "--run-id", "job_1_feedface"])
    assert result.exit_code == 0, result.output
    cli_script = json.loads(result.output)["script"]
    ws = Workspace.from_config()
    api = dry_run(_config(project), profile=ws.get_profile("gpu"), run_id="job_1_feedface", experiment="job")
    assert api.script == cli_script
    assert api.run_dir == "/scratch/alice/hpcest/runs/job_1_feedface"
    assert (api.spec.resources.nodes, api.spec.resources.total_tasks) == (2, 8)


def test_dry_run_with_a_profile_needs_no_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no hpcest.toml anywhere
    (tmp_path / "train.py").write_text("")
    (tmp_path / "job.py").write_text(JOB)
    profile = ClusterProfile(name="gpu", transport="ssh", host="login.invalid", user="bob", gpus_per_node=4)
    result = dry_run(_config(tmp_path), profile=profile, run_id="r_1_a")
    assert result.run_dir == "/home/bob/hpcest/runs/r_1_a"  # ~ shown as the cluster user's home
    assert "#SBATCH --nodes=2" in result.script and "#SBATCH --gres=gpu:4" in result.script


def test_local_submission_writes_exactly_the_dry_run_script(project: Path) -> None:
    """The local target really runs what the dry run shows (same preparation, run directory, script)."""
    from hpc_estimator import Estimator

    ws = Workspace.from_config()
    est = Estimator(str(project), compute_target="local", entry_script="train.py", use_docker=False)
    record = submit(ws, "job", est)
    shown = dry_run(est, profile=ws.get_profile("local"), run_id=record.run_id, experiment="job", workspace=ws)
    assert Path(record.remote_dir or "", "job.sbatch").read_text() == shown.script


def test_show_lint_and_package_warnings_appear_in_the_dry_run(tmp_path: Path) -> None:
    """v1's _show_lint_warnings / _show_package_warnings (with _disable_validation=False) report on the
    entry script and the local modules it imports: v1 named pandas and yaml for this source folder."""
    from hpc_estimator import PyTorch

    (tmp_path / "train.py").write_text("import numpy\nimport pandas\nimport helper\n\nprint(undefined_name)\n")
    (tmp_path / "helper.py").write_text("import yaml\n")
    est = PyTorch(str(tmp_path), compute_target="gpu", entry_script="train.py", framework_version="1.6",
                  _disable_validation=False, _show_lint_warnings=True, _show_package_warnings=True)
    profile = ClusterProfile(name="gpu", container_runtime="apptainer", workdir="/w")
    warnings = dry_run(est, profile=profile, run_id="r_1_a").warnings
    assert "lint: train.py:5: undefined name 'undefined_name'" in warnings
    missing = sorted(w.split("import ")[1].split()[0].strip("'") for w in warnings if w.startswith("packages:"))
    assert missing == ["pandas", "yaml"]  # numpy comes with torch, as v1's dependency table knew


LOCAL_JOB = textwrap.dedent(
    """
    import os
    from hpc_estimator import ScriptRunConfig
    src = ScriptRunConfig(os.path.dirname(os.path.abspath(__file__)), script="train.py", compute_target="local")
    """
)


def test_a_run_sent_to_another_target_is_the_same_job_whichever_way_it_is_sent(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ScriptRunConfig naming "local" sent to an apptainer cluster: ``--target``, $HPCEST_TARGET and
    ``dry_run(profile=...)`` all give it v1's container default for a cluster, so one script."""
    (project / "job2.py").write_text(LOCAL_JOB)
    (project / "hpcest.toml").write_text(TOML + 'container_runtime = "apptainer"\n')
    args = ["submit", "job2.py:src", "--dry-run", "--json", "--run-id", "job2_1_feedface"]
    monkeypatch.delenv("HPCEST_TARGET", raising=False)
    by_option = json.loads(CliRunner().invoke(main, [*args, "--target", "gpu"]).output)
    monkeypatch.setenv("HPCEST_TARGET", "gpu")
    by_env = json.loads(CliRunner().invoke(main, args).output)
    monkeypatch.delenv("HPCEST_TARGET")
    namespace: dict[str, object] = {"__file__": str(project / "job2.py")}
    exec(compile(LOCAL_JOB, str(project / "job2.py"), "exec"), namespace)
    ws = Workspace.from_config()
    api = dry_run(namespace["src"], profile=ws.get_profile("gpu"), run_id="job2_1_feedface", experiment="job2")  # type: ignore[arg-type]
    assert by_option["target"] == by_env["target"] == "gpu"
    assert by_option["script"] == by_env["script"] == api.script
    assert "apptainer exec" in api.script and api.spec.container.runtime == "apptainer"
