"""compute_target="local": the same batch script runs on this machine with no Slurm.

Real processes: the job script runs under bash with hpcest's srun stand-in; MPI ranks are
started by mpirun (Open MPI), torch-style ranks get the variables srun would give them.
"""

from __future__ import annotations

import json
import shutil
import textwrap
import time
import warnings
from pathlib import Path

import pytest

from hpc_estimator import (
    Estimator,
    Experiment,
    Gloo,
    Mpi,
    PyTorch,
    PyTorchConfiguration,
    ScriptRunConfig,
    Workspace,
)
from hpc_estimator.backends import close_all
from hpc_estimator.errors import ActivityFailedException

SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    from azureml.core.run import Run  # the v1 import, served by hpcest's in-job stand-in
    keys = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "NODE_RANK", "MASTER_ADDR", "MASTER_PORT", "SLURM_PROCID",
            "SLURM_LOCALID", "SLURM_NODEID", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "MY_VAR")
    info = {"argv": sys.argv[1:], "cwd": os.getcwd(), "env": {k: os.environ.get(k) for k in keys}}
    if "--mpi" in sys.argv:
        from mpi4py import MPI
        info["mpi"] = [MPI.COMM_WORLD.Get_rank(), MPI.COMM_WORLD.Get_size(), MPI.COMM_WORLD.allreduce(1)]
    rank = int(os.environ.get("OMPI_COMM_WORLD_RANK") or os.environ.get("SLURM_PROCID") or 0)
    os.makedirs("outputs", exist_ok=True)
    with open(f"outputs/rank-{rank}.json", "w") as fh:
        json.dump(info, fh)
    Run.get_context().log("rank", rank)
    if "--sleep" in sys.argv:
        import time; time.sleep(60)
    sys.exit(int(os.environ.get("EXIT_WITH", "0")))
    """
)


@pytest.fixture
def ws(tmp_path: Path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "job.py").write_text(SCRIPT)
    (src / ".amlignore").write_text("big/\n")
    (src / "big").mkdir()
    (src / "big" / "data.bin").write_bytes(b"x" * 1000)
    workspace = Workspace.create(tmp_path / "ws")
    yield workspace, src
    close_all()
    workspace.close()


def _run(workspace, est):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Experiment(workspace, "local").submit(est)


def _est(cls=Estimator, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(compute_target="local", entry_script="job.py", use_docker=False, **kw)


def _outputs(run, tmp_path: Path) -> list[dict]:
    out = tmp_path / "dl"
    run.download_files(prefix="outputs/", output_directory=str(out))
    files = sorted((out / "outputs").glob("rank-*.json"), key=lambda p: int(p.stem.split("-")[1]))
    return [json.loads(p.read_text()) for p in files]


def test_single_process_run_completes_with_metrics_outputs_and_ignore_rules(ws, tmp_path: Path) -> None:
    workspace, src = ws
    run = _run(workspace, _est(source_directory=str(src), script_params={"--a": "b c"},
                               environment_variables={"MY_VAR": "x=1,y"}))
    assert run.wait_for_completion()["status"] == "Completed"
    (rank0,) = _outputs(run, tmp_path)
    assert rank0["argv"] == ["--a", "b c"]
    assert rank0["env"]["MY_VAR"] == "x=1,y"
    assert rank0["cwd"] == f"{run.record.remote_dir}/src"
    assert run.get_metrics() == {"rank": 0}
    assert not (Path(run.record.remote_dir) / "src" / "big").exists()  # .amlignore honoured


@pytest.mark.skipif(shutil.which("mpirun") is None, reason="needs Open MPI (apt-get install openmpi-bin)")
def test_mpi_ranks_are_started_by_mpirun(ws, tmp_path: Path) -> None:
    workspace, src = ws
    run = _run(workspace, _est(source_directory=str(src), script_params={"--mpi": ""}, node_count=2,
                               distributed_training=Mpi(process_count_per_node=2)))
    assert run.wait_for_completion()["status"] == "Completed"
    ranks = _outputs(run, tmp_path)
    assert [r["mpi"] for r in ranks] == [[i, 4, 4] for i in range(4)]


def test_torch_ranks_get_srun_like_identity(ws, tmp_path: Path) -> None:
    workspace, src = ws
    run = _run(workspace, ScriptRunConfig(str(src), script="job.py", compute_target="local",
                                          distributed_job_config=PyTorchConfiguration("Gloo", 4, 2)))
    assert run.wait_for_completion()["status"] == "Completed"
    envs = [r["env"] for r in _outputs(run, tmp_path)]
    assert [e["RANK"] for e in envs] == ["0", "1", "2", "3"]
    assert {e["WORLD_SIZE"] for e in envs} == {"4"}
    assert [e["LOCAL_RANK"] for e in envs] == ["0", "1", "0", "1"]
    assert [e["NODE_RANK"] for e in envs] == ["0", "0", "1", "1"]
    assert {e["MASTER_ADDR"] for e in envs} == {"127.0.0.1"}


def test_pytorch_estimator_with_gloo_runs_one_process_per_node(ws, tmp_path: Path) -> None:
    """v1's Gloo()/Nccl() estimators start one process per node, whatever process_count_per_node says."""
    workspace, src = ws
    run = _run(workspace, _est(PyTorch, source_directory=str(src), node_count=2, process_count_per_node=2,
                               distributed_training=Gloo(), framework_version="1.6"))
    assert run.wait_for_completion()["status"] == "Completed"
    envs = [r["env"] for r in _outputs(run, tmp_path)]
    assert [(e["RANK"], e["WORLD_SIZE"], e["NODE_RANK"]) for e in envs] == [("0", "2", "0"), ("1", "2", "1")]


def test_failure_and_cancel(ws) -> None:
    workspace, src = ws
    failing = _run(workspace, _est(source_directory=str(src), environment_variables={"EXIT_WITH": "7"}))
    with pytest.raises(ActivityFailedException, match="code 7"):
        failing.wait_for_completion()
    sleeping = _run(workspace, _est(source_directory=str(src), script_params={"--sleep": ""}))
    deadline = time.time() + 30
    while sleeping.get_status() != "Running" and time.time() < deadline:
        time.sleep(0.2)
    sleeping.cancel()
    assert sleeping.wait_for_completion(raise_on_error=False)["status"] == "Canceled"


def test_second_submission_of_unchanged_source_sends_nothing(ws) -> None:
    workspace, src = ws
    first = _run(workspace, _est(source_directory=str(src)))
    second = _run(workspace, _est(source_directory=str(src)))
    assert first.properties["files_sent"] >= 1
    assert second.properties["files_sent"] == 0
    for run in (first, second):
        run.wait_for_completion()


def test_local_run_uses_the_container_runtime_found_on_this_machine(ws, tmp_path: Path) -> None:
    """compute_target="local" with use_docker (v1's default) runs inside ch-run when it is installed."""
    import os

    from hpc_estimator.job.containers import CHARLIECLOUD_RUN_DIR
    from hpc_estimator.testing.ch_image import build_test_image, ch_run_missing_reason

    reason = ch_run_missing_reason()
    if reason:
        if os.environ.get("HPCEST_REQUIRE_CLUSTER") == "1":
            pytest.fail(f"ch-run required: {reason}")
        pytest.skip(reason)
    workspace, src = ws
    image = build_test_image()
    (src / "where.py").write_text(
        "import json, os\nos.makedirs('outputs', exist_ok=True)\n"
        "json.dump({'cwd': os.getcwd(), 'run': os.environ['HPCEST_RUN_DIR']}, open('outputs/rank-0.json', 'w'))\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = Estimator(str(src), compute_target="local", entry_script="where.py", custom_docker_image=str(image))
    run = _run(workspace, est)
    assert run.wait_for_completion()["status"] == "Completed"
    (seen,) = _outputs(run, tmp_path)
    # ch-run binds only onto directories the image has: an ordinary image has /mnt.
    assert seen == {"cwd": f"{CHARLIECLOUD_RUN_DIR}/src", "run": CHARLIECLOUD_RUN_DIR}


def test_tags_and_properties_set_inside_the_job_reach_the_client(ws) -> None:
    """run.tag()/set_tags()/add_properties() in the training script show up in Run.get(...).tags,
    .properties and get_details(), merged in order with what the client set."""
    from hpc_estimator import Run

    workspace, src = ws
    (src / "annotate.py").write_text(
        "from azureml.core.run import Run\n"
        "run = Run.get_context()\n"
        "run.tag('epochs', 3)\n"
        "run.set_tags({'stage': 'trained', 'client': 'overwritten-by-job'})\n"
        "run.add_properties({'model_format': 'onnx'})\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = Estimator(str(src), compute_target="local", entry_script="annotate.py", use_docker=False)
    run = _run(workspace, est)
    run.tag("client", "set-before-the-job-ran")
    run.wait_for_completion()
    again = Run.get(workspace, run.id)
    assert again.tags == {"client": "overwritten-by-job", "epochs": "3", "stage": "trained"}
    assert again.properties["model_format"] == "onnx"
    assert again.get_details()["tags"]["stage"] == "trained"
    # A tag the client sets (or removes) after reading is not undone by the job's older records.
    again.tag("stage", "reviewed")
    again.remove_tags(["epochs"])
    assert Run.get(workspace, run.id).tags == {"client": "overwritten-by-job", "stage": "reviewed"}


def test_a_batch_shell_whose_proc_entry_is_unreadable_is_not_taken_for_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Single runs and pipeline steps share one /proc check: our own live batch shell is recognised,
    and a PID whose /proc entry may not be read (another user's process under hidepid) is not ours."""
    import builtins
    import subprocess

    from hpc_estimator.backends.base import SCRIPT_NAME
    from hpc_estimator.backends.local import _pid_is_our_job

    script = tmp_path / SCRIPT_NAME
    script.write_text("sleep 30\n")
    proc = subprocess.Popen(["bash", str(script)])
    try:
        assert _pid_is_our_job(proc.pid, str(tmp_path))
        assert not _pid_is_our_job(proc.pid, str(tmp_path / "elsewhere"))
        real_open = builtins.open

        def hidden(file, *args, **kwargs):  # type: ignore[no-untyped-def]
            if str(file).startswith(f"/proc/{proc.pid}/"):
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", hidden)
        assert not _pid_is_our_job(proc.pid, str(tmp_path))
    finally:
        monkeypatch.undo()
        proc.kill()
        proc.wait()
