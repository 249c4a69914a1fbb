"""Real jobs on the real local Slurm cluster, through the local transport and through SSH.

Each test builds estimators exactly as v1 code does, submits them with ``Experiment.submit``
and checks what the ranks saw. The session cluster has 2 nodes with 4 CPUs and 4 fake GPUs
each; accounting is off, so status comes from squeue and the jobs' own exit-code files.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from hpc_estimator import (
    DataReference,
    Datastore,
    DockerConfiguration,
    Estimator,
    Experiment,
    Gloo,
    Mpi,
    PyTorch,
    PyTorchConfiguration,
    Run,
    ScriptRunConfig,
    Workspace,
)
from hpc_estimator.backends import close_all, get_backend
from hpc_estimator.errors import ActivityFailedException, HostKeyError
from hpc_estimator.job.containers import CHARLIECLOUD_RUN_DIR
from hpc_estimator.testing import local_cluster as lc

REPORT = textwrap.dedent(
    """
    import json, os, socket, sys
    from hpc_estimator import Run

    rank = int(os.environ.get("SLURM_PROCID", "0"))
    mpi = None
    if "--mpi" in sys.argv:
        from mpi4py import MPI
        comm = MPI.COMM_WORLD
        local = comm.Split_type(MPI.COMM_TYPE_SHARED)
        mpi = {"rank": comm.Get_rank(), "size": comm.Get_size(), "local_rank": local.Get_rank(),
               "sum": comm.allreduce(comm.Get_rank())}
        rank = comm.Get_rank()
    info = {
        "argv": sys.argv[1:],
        "host": socket.gethostname(),
        "env": {k: v for k, v in os.environ.items()
                if k.startswith(("SLURM_", "OMPI_COMM_WORLD", "PMIX_RANK", "AZUREML_", "HPCEST_"))
                or k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "NODE_RANK", "MASTER_ADDR", "MASTER_PORT",
                         "CUDA_VISIBLE_DEVICES", "LOCAL_WORLD_SIZE")},
        "cwd": os.getcwd(),
    }
    if mpi is not None:
        info["mpi"] = mpi
    os.makedirs("outputs", exist_ok=True)
    with open(f"outputs/rank-{rank}.json", "w") as fh:
        json.dump(info, fh)
    run = Run.get_context()
    run.log("rank_seen", rank)
    if rank == 0:
        run.log("accuracy", 0.5)
        run.log("accuracy", 0.75)
        run.log_list("losses", [3, 2, 1])
    print("rank", rank, "done", flush=True)
    """
)

RENDEZVOUS = textwrap.dedent(
    """
    import json, os, socket, time
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    addr, port = os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"])
    os.makedirs("outputs", exist_ok=True)
    env = {k: os.environ[k] for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "NODE_RANK", "MASTER_ADDR",
                                      "MASTER_PORT", "LOCAL_WORLD_SIZE")}
    env["host"] = socket.gethostname()
    if rank == 0:
        srv = socket.create_server(("0.0.0.0", port))
        srv.settimeout(60)
        seen = []
        for _ in range(world - 1):
            conn, _ = srv.accept()
            seen.append(int(conn.recv(16).decode()))
            conn.close()
        env["peers"] = sorted(seen)
    else:
        deadline = time.time() + 60
        while True:
            try:
                with socket.create_connection((addr, port), timeout=5) as s:
                    s.sendall(str(rank).encode())
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
    with open(f"outputs/rank-{rank}.json", "w") as fh:
        json.dump(env, fh)
    """
)


def _write_src(root: Path) -> Path:
    src = root / "src"
    src.mkdir(parents=True, exist_ok=True)
    (src / "report.py").write_text(REPORT)
    (src / "rendezvous.py").write_text(RENDEZVOUS)
    (src / "sleep.py").write_text("import sys, time\nprint('sleeping', flush=True)\ntime.sleep(float(sys.argv[1]))\n")
    (src / "fail.py").write_text("import sys\nprint('failing on purpose', flush=True)\nsys.exit(3)\n")
    return src


@pytest.fixture(scope="module")
def workspace(local_cluster: lc.LocalCluster) -> Iterator[Workspace]:
    """A workspace with two profiles for the session cluster: direct ('slurm') and over SSH ('ssh')."""
    assert local_cluster.ssh is not None
    root = Path(tempfile.mkdtemp(prefix="hpcest-ws-"))
    ws = Workspace.create(root, name="it")
    common = {
        "workdir": str(root / "cluster-work"),
        "partition": local_cluster.partition,
        "gpus_per_node": local_cluster.gpus_per_node,
        "container_runtime": "none",
        "python": sys.executable,
        "image_cache": str(root / "images"),
    }
    ws.add_profile("slurm", {"transport": "local", **common})
    ws.add_profile(
        "ssh",
        {
            "transport": "ssh",
            "host": local_cluster.ssh.alias,
            "ssh_config": str(local_cluster.ssh.ssh_config),
            **common,
        },
    )
    try:
        yield ws
    finally:
        close_all()
        ws.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def src(workspace: Workspace) -> Path:
    return _write_src(workspace.path / "project")


TARGETS = ["slurm", "ssh"]


def _submit(ws: Workspace, est: object, name: str = "it") -> Run:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Experiment(ws, name).submit(est)


def _estimator(cls: type = Estimator, **kwargs: object) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(**kwargs)


def _ranks(run: Run, tmp_path: Path) -> list[dict]:
    out = tmp_path / run.id
    run.download_files(prefix="outputs/", output_directory=str(out))
    files = sorted((out / "outputs").glob("rank-*.json"), key=lambda p: int(p.stem.split("-")[1]))
    return [json.loads(p.read_text()) for p in files]


@pytest.mark.parametrize("target", TARGETS)
def test_single_node_job_completes_with_outputs_and_metrics(
    workspace: Workspace, src: Path, target: str, tmp_path: Path
) -> None:
    est = _estimator(
        source_directory=str(src),
        compute_target=target,
        entry_script="report.py",
        script_params={"--lr": 0.5, "--name": "it's a $test", "--flag": ""},
    )
    run = _submit(workspace, est)
    details = run.wait_for_completion(show_output=False)
    assert details["status"] == "Completed", details
    (rank0,) = _ranks(run, tmp_path)
    assert rank0["argv"] == ["--lr", "0.5", "--name", "it's a $test", "--flag"]
    assert rank0["env"]["AZUREML_RUN_ID"] == run.id
    assert rank0["cwd"].endswith(f"/runs/{run.id}/src")
    metrics = run.get_metrics()
    assert metrics["accuracy"] == [0.5, 0.75]
    assert metrics["losses"] == [3, 2, 1]
    assert metrics["rank_seen"] == 0
    assert "outputs/rank-0.json" in run.get_file_names()
    assert run.get_details()["hpcest"]["exitCode"] == 0


@pytest.mark.parametrize("target", TARGETS)
def test_mpi_2_nodes_x_2_ranks(workspace: Workspace, src: Path, target: str, tmp_path: Path) -> None:
    est = _estimator(
        source_directory=str(src),
        compute_target=target,
        entry_script="report.py",
        script_params={"--mpi": ""},
        node_count=2,
        distributed_training=Mpi(process_count_per_node=2),
    )
    run = _submit(workspace, est)
    assert run.wait_for_completion()["status"] == "Completed"
    ranks = _ranks(run, tmp_path)
    assert [r["mpi"]["rank"] for r in ranks] == [0, 1, 2, 3]
    assert {r["mpi"]["size"] for r in ranks} == {4}
    assert {r["mpi"]["sum"] for r in ranks} == {6}  # an allreduce across both nodes
    assert [r["host"] for r in ranks] == ["node1", "node1", "node2", "node2"]
    assert [r["mpi"]["local_rank"] for r in ranks] == [0, 1, 0, 1]
    assert [int(r["env"]["SLURM_LOCALID"]) for r in ranks] == [0, 1, 0, 1]
    assert sorted(run.get_metrics()["rank_seen"]) == [0, 1, 2, 3]


@pytest.mark.parametrize("target", TARGETS)
def test_pytorch_gloo_rank_variables_and_rendezvous(
    workspace: Workspace, src: Path, target: str, tmp_path: Path
) -> None:
    """torch.distributed with 2 processes on each of 2 nodes (v1: ScriptRunConfig + PyTorchConfiguration)."""
    config = ScriptRunConfig(
        source_directory=str(src),
        script="rendezvous.py",
        compute_target=target,
        distributed_job_config=PyTorchConfiguration("Gloo", process_count=4, node_count=2),
        docker_runtime_config=DockerConfiguration(use_docker=False),
    )
    run = _submit(workspace, config)
    assert run.wait_for_completion()["status"] == "Completed"
    ranks = _ranks(run, tmp_path)
    assert [int(r["RANK"]) for r in ranks] == [0, 1, 2, 3]
    assert {r["WORLD_SIZE"] for r in ranks} == {"4"}
    assert {r["MASTER_ADDR"] for r in ranks} == {"node1"}  # the first host of the allocation
    assert [int(r["LOCAL_RANK"]) for r in ranks] == [0, 1, 0, 1]
    assert [int(r["NODE_RANK"]) for r in ranks] == [0, 0, 1, 1]
    assert [r["host"] for r in ranks] == ["node1", "node1", "node2", "node2"]
    assert ranks[0]["peers"] == [1, 2, 3]  # every rank reached rank 0 at MASTER_ADDR:MASTER_PORT


def test_pytorch_estimator_with_gloo_runs_one_process_per_node(
    workspace: Workspace, src: Path, tmp_path: Path
) -> None:
    """v1's PyTorch(..., distributed_training=Gloo()) starts one process per node whatever
    process_count_per_node says; the world is the nodes."""
    est = _estimator(
        PyTorch,
        source_directory=str(src),
        compute_target="slurm",
        entry_script="rendezvous.py",
        node_count=2,
        process_count_per_node=2,
        distributed_training=Gloo(),
        framework_version="1.6",
        use_docker=False,
    )
    run = _submit(workspace, est)
    assert run.wait_for_completion()["status"] == "Completed"
    ranks = _ranks(run, tmp_path)
    assert [(int(r["RANK"]), r["WORLD_SIZE"], r["host"]) for r in ranks] == [(0, "2", "node1"), (1, "2", "node2")]
    assert ranks[0]["peers"] == [1]


@pytest.mark.parametrize("target", TARGETS)
def test_gpu_job_binds_one_gpu_slice_per_rank(workspace: Workspace, src: Path, target: str, tmp_path: Path) -> None:
    est = _estimator(
        source_directory=str(src),
        compute_target=target,
        entry_script="report.py",
        node_count=2,
        distributed_training=Mpi(process_count_per_node=2),
        use_gpu=True,
        use_docker=False,
    )
    run = _submit(workspace, est)
    assert run.wait_for_completion()["status"] == "Completed"
    ranks = _ranks(run, tmp_path)
    assert len(ranks) == 4
    for node in ("node1", "node2"):
        on_node = [r["env"]["CUDA_VISIBLE_DEVICES"] for r in ranks if r["host"] == node]
        assert len(on_node) == 2
        slices = [set(v.split(",")) for v in on_node]
        assert all(len(s) == 2 for s in slices), on_node  # 4 GPUs per node, 2 ranks: 2 each
        assert not slices[0] & slices[1], on_node  # disjoint


def test_time_limit_ends_failed_with_reason_on_both_transports(workspace: Workspace, src: Path) -> None:
    runs = []
    for target in TARGETS:
        est = _estimator(
            source_directory=str(src),
            compute_target=target,
            entry_script="sleep.py",
            script_params={"": "600"},
            max_run_duration_seconds=30,
        )
        runs.append(_submit(workspace, est))
    for run in runs:
        with pytest.raises(ActivityFailedException, match="TIMEOUT"):
            run.wait_for_completion()
        assert run.get_status() == "Failed"
        assert "TIMEOUT" in (run.record.status_detail or "")


@pytest.mark.parametrize("target", TARGETS)
def test_cancel_ends_canceled(workspace: Workspace, src: Path, target: str) -> None:
    est = _estimator(
        source_directory=str(src), compute_target=target, entry_script="sleep.py", script_params={"": "600"}
    )
    run = _submit(workspace, est)
    deadline = time.time() + 60
    while run.get_status() not in ("Running",) and time.time() < deadline:
        time.sleep(0.5)
    run.cancel()
    details = run.wait_for_completion(raise_on_error=False)
    assert details["status"] == "Canceled", details


@pytest.mark.parametrize("target", TARGETS)
def test_failing_script_ends_failed_with_exit_code(workspace: Workspace, src: Path, target: str) -> None:
    run = _submit(workspace, _estimator(source_directory=str(src), compute_target=target, entry_script="fail.py"))
    with pytest.raises(ActivityFailedException):
        run.wait_for_completion()
    assert run.record.exit_code == 3


def test_dropped_ssh_connection_during_wait_recovers(workspace: Workspace, src: Path) -> None:
    est = _estimator(source_directory=str(src), compute_target="ssh", entry_script="sleep.py", script_params={"": "6"})
    run = _submit(workspace, est)
    transport = get_backend(workspace, "ssh").transport
    connects_before = transport.connects  # type: ignore[attr-defined]

    def drop() -> None:
        time.sleep(2)
        transport.transport.sock.close()  # type: ignore[attr-defined]  # TCP gone, paramiko not told

    dropper = threading.Thread(target=drop)
    dropper.start()
    details = run.wait_for_completion(show_output=True)
    dropper.join()
    assert details["status"] == "Completed"
    assert transport.connects > connects_before  # type: ignore[attr-defined]


def test_unknown_host_key_is_refused_before_anything_is_recorded(
    local_cluster: lc.LocalCluster, workspace: Workspace, src: Path
) -> None:
    assert local_cluster.ssh is not None
    empty = workspace.path / "empty_known_hosts"
    empty.write_text("")
    ws = Workspace.create(workspace.path / "other", name="other")
    ws.add_profile(
        "stranger",
        {
            "transport": "ssh",
            "host": local_cluster.ssh.host,
            "port": local_cluster.ssh.port,
            "user": local_cluster.ssh.user,
            "identity_file": str(local_cluster.ssh.identity_file),
            "known_hosts": str(empty),
            "workdir": "/tmp/hpcest-never",
        },
    )
    before = ws.run_store.count()
    with pytest.raises(HostKeyError, match="SHA256:"):
        _submit(ws, _estimator(source_directory=str(src), compute_target="stranger", entry_script="report.py"))
    assert ws.run_store.count() == before


def test_status_resolves_after_purge_without_accounting(start_local_cluster, src: Path, tmp_path: Path) -> None:
    cluster = start_local_cluster(nodes=1, ssh=False, min_job_age=2)
    ws = Workspace.create(tmp_path / "ws", name="purge")
    ws.add_profile(
        "short",
        {
            "transport": "local",
            "workdir": str(tmp_path / "work"),
            "container_runtime": "none",
            "python": sys.executable,
            "partition": cluster.partition,
            "client_env": {"SLURM_CONF": str(cluster.slurm_conf)},
        },
    )
    ok = _submit(ws, _estimator(source_directory=str(src), compute_target="short", entry_script="report.py"))
    bad = _submit(ws, _estimator(source_directory=str(src), compute_target="short", entry_script="fail.py"))
    env = cluster.client_env()
    deadline = time.time() + 90
    while time.time() < deadline:
        out = subprocess.run(
            ["squeue", "--noheader", "--states=all", "-o", "%i", f"--jobs={ok.record.job_id},{bad.record.job_id}"],
            env=env,
            capture_output=True,
            text=True,
        )
        if not out.stdout.strip():
            break  # slurmctld forgot both jobs
        time.sleep(1)
    else:
        pytest.fail("jobs were not purged by slurmctld within 90 s")
    acct = subprocess.run(["sacct", "-j", ok.record.job_id or ""], env=env, capture_output=True, text=True)
    assert "accounting storage is disabled" in (acct.stdout + acct.stderr).lower()
    assert ok.get_status() == "Completed"
    assert bad.get_status() == "Failed"
    assert bad.record.exit_code == 3
    close_all()
    ws.close()


def test_charliecloud_job_sees_source_inputs_and_outputs(
    workspace: Workspace, local_cluster: lc.LocalCluster, tmp_path: Path
) -> None:
    from hpc_estimator.testing.ch_image import build_test_image, ch_run_missing_reason

    reason = ch_run_missing_reason()
    if reason:
        pytest.fail(f"ch-run required: {reason}")
    image = build_test_image()
    project = tmp_path / "ch-project"
    project.mkdir()
    (project / "helper_data.txt").write_text("from the snapshot\n")
    (project / "train.py").write_text(
        textwrap.dedent(
            """
        import json, os, sys
        data_dir = sys.argv[sys.argv.index("--data") + 1]
        out = {
            "cwd": os.getcwd(),
            "snapshot": open("helper_data.txt").read(),
            "input_files": sorted(os.listdir(data_dir)),
            "input_text": open(os.path.join(data_dir, "a.txt")).read(),
            "env_path": os.environ["AZUREML_DATAREFERENCE_images"],
            "data_dir": data_dir,
        }
        os.makedirs("outputs", exist_ok=True)
        with open("outputs/result.json", "w") as fh:
            json.dump(out, fh)
        """
        )
    )
    store_root = tmp_path / "datastore"
    (store_root / "imgs").mkdir(parents=True)
    (store_root / "imgs" / "a.txt").write_text("input data\n")
    ref = DataReference(Datastore("ds", str(store_root)), data_reference_name="images", path_on_datastore="imgs")
    workspace.add_profile(
        "ch",
        {
            "transport": "local",
            "workdir": str(tmp_path / "chwork"),
            "partition": local_cluster.partition,
            "container_runtime": "charliecloud",
            "python": sys.executable,
        },
        replace=True,
    )
    est = _estimator(
        source_directory=str(project),
        compute_target="ch",
        entry_script="train.py",
        script_params={"--data": ref},
        inputs=[ref],
        custom_docker_image=str(image),
    )
    run = _submit(workspace, est)
    details = run.wait_for_completion(show_output=True, raise_on_error=False)
    assert details["status"] == "Completed", (details, _batch_log(run))
    out = tmp_path / "dl"
    run.download_file("outputs/result.json", str(out / "result.json"))
    result = json.loads((out / "result.json").read_text())
    assert result["cwd"] == f"{CHARLIECLOUD_RUN_DIR}/src"
    assert result["snapshot"] == "from the snapshot\n"
    assert result["input_files"] == ["a.txt"]
    assert result["input_text"] == "input data\n"
    assert result["data_dir"] == result["env_path"] == f"{CHARLIECLOUD_RUN_DIR}/inputs/images"


def _batch_log(run: Run) -> str:
    rec = run.record
    path = Path(rec.remote_dir or "") / "hpcest-logs" / f"slurm-{rec.job_id}.out"
    try:
        return path.read_text()
    except OSError:
        return ""
