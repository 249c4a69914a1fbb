"""Smoke tests of the local Slurm cluster itself: if these fail, every other integration test is moot.

All waits are bounded (``timeout`` on every srun, deadlines on every poll): a misconfigured cluster
must fail a test, never hang it (a blocking srun on a down node queues forever).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import paramiko
import pytest

from hpc_estimator.testing import local_cluster as lc
from hpc_estimator.testing.state_dir import new_state_dir, remove_state_dir

SRUN_TIMEOUT = 60  # seconds; a healthy srun here takes well under one


def run(cluster: lc.LocalCluster, argv: list[str], timeout: int = SRUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run a Slurm client command against ``cluster``, killed by `timeout` if it blocks."""
    return subprocess.run(
        ["timeout", "-k", "5", str(timeout), *argv],
        env=cluster.client_env(),
        capture_output=True,
        text=True,
        timeout=timeout + 10,
        check=False,
    )


def checked(cluster: lc.LocalCluster, argv: list[str], timeout: int = SRUN_TIMEOUT) -> str:
    result = run(cluster, argv, timeout)
    assert result.returncode == 0, f"{argv} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result.stdout


def job_state(cluster: lc.LocalCluster, job_id: str) -> str:
    out = checked(cluster, ["scontrol", "show", "job", "-o", job_id], timeout=15)
    match = re.search(r"\bJobState=(\S+)", out)
    assert match, out
    return match.group(1)


def wait_for_state(cluster: lc.LocalCluster, job_id: str, wanted: set[str], limit: float) -> str:
    """Poll the job until it reaches a final state (or one of ``wanted``); fail after ``limit`` s."""
    final = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED"}
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        state = job_state(cluster, job_id)
        if state in wanted or state in final:
            return state
        time.sleep(0.5)
    pytest.fail(f"job {job_id} still {job_state(cluster, job_id)} after {limit:.0f} s (wanted {wanted})")


def sbatch(cluster: lc.LocalCluster, *args: str) -> str:
    return checked(cluster, ["sbatch", "--parsable", *args], timeout=30).strip().split(";")[0]


def test_batch_job_runs_on_two_nodes_with_distinct_resolvable_hostnames(local_cluster, tmp_path):
    """Each slurmd has its own UTS namespace (hostname nodeI) and a private /etc/hosts resolving all
    node names: a 2-node batch job sees node1 and node2, and node2's address inside the job."""
    out = tmp_path / "out.txt"
    probe = "import socket; print(socket.gethostname(), socket.gethostbyname('node2'))"
    job = sbatch(local_cluster, "-N2", "--ntasks-per-node=1", f"--output={out}",
                 f"--wrap=srun {sys.executable} -c \"{probe}\"")
    assert wait_for_state(local_cluster, job, {"COMPLETED"}, 60) == "COMPLETED", out.read_text()
    lines = sorted(out.read_text().split("\n"))
    assert [line for line in lines if line] == ["node1 127.0.1.2", "node2 127.0.1.2"]


def test_srun_pmix_mpi4py_ranks_span_both_nodes(local_cluster):
    """srun --mpi=pmix across two "nodes" on one filesystem works (per-node TmpFS, lo-only OpenMPI):
    4 ranks of one COMM_WORLD, two per node, and a collective across nodes completes."""
    code = ("from mpi4py import MPI; import socket; c = MPI.COMM_WORLD; "
            "print(c.Get_rank(), c.Get_size(), socket.gethostname(), c.allreduce(1))")
    out = checked(local_cluster, ["srun", "--mpi=pmix", "-N2", "--ntasks-per-node=2",
                                  sys.executable, "-c", code])
    rows = [line.split() for line in out.splitlines() if line.strip()]
    assert sorted(int(r[0]) for r in rows) == [0, 1, 2, 3]
    assert {r[1] for r in rows} == {"4"}
    assert {r[3] for r in rows} == {"4"}
    hosts = sorted(r[2] for r in rows)
    assert hosts == ["node1", "node1", "node2", "node2"]


def test_gres_gpus_set_cuda_visible_devices(local_cluster):
    """Fake GPUs are real gres to Slurm: --gres=gpu:2 yields two distinct CUDA_VISIBLE_DEVICES ids,
    and asking for more GPUs than a node has is refused instead of queued forever."""
    out = checked(local_cluster, ["srun", "-N1", "--gres=gpu:2", "sh", "-c", "echo $CUDA_VISIBLE_DEVICES"])
    ids = out.strip().split(",")
    assert len(ids) == 2 and len(set(ids)) == 2, out
    assert all(i.isdigit() and int(i) < local_cluster.gpus_per_node for i in ids), out
    too_many = run(local_cluster, ["srun", "-N1", f"--gres=gpu:{local_cluster.gpus_per_node + 1}", "true"], 30)
    assert too_many.returncode != 0
    assert "configuration is not available" in too_many.stderr, too_many.stderr


def test_lowprio_partition_runs_jobs(local_cluster):
    """The second partition (used for vm_priority='lowpriority') covers the same nodes and runs jobs."""
    assert local_cluster.lowprio_partition
    out = checked(local_cluster, ["srun", "-p", local_cluster.lowprio_partition, "-N2", "hostname"])
    assert sorted(out.split()) == ["node1", "node2"]


def test_configured_scheduler_settings_are_in_effect(local_cluster):
    """slurmctld runs with the settings tests rely on: no accounting, pmix passed by job scripts,
    instant batch scheduling, strict time limits, cancelled invalid dependencies, the array limit."""
    config = checked(local_cluster, ["scontrol", "show", "config"], timeout=15)
    settings = dict(re.findall(r"^(\w+)\s+=\s+(.*?)\s*$", config, re.MULTILINE))
    assert settings["AccountingStorageType"] == "accounting_storage/none"
    assert settings["MpiDefault"] == "none"
    assert "batch_sched_delay=0" in settings["SchedulerParameters"]
    assert settings["OverTimeLimit"] == "0 min"
    assert "kill_invalid_depend" in settings["DependencyParameters"]
    assert settings["MinJobAge"] == "300 sec"
    assert settings["MaxArraySize"] == str(local_cluster.max_array_size)
    too_big = run(local_cluster, ["sbatch", f"--array=0-{local_cluster.max_array_size}", "--wrap=true"], 30)
    assert too_big.returncode != 0 and "array" in too_big.stderr.lower(), too_big.stderr


def test_finished_jobs_are_purged_after_min_job_age(start_local_cluster):
    """min_job_age is honoured: with a few seconds, a finished job vanishes from slurmctld
    (scontrol: Invalid job id), the situation status tracking must survive without accounting."""
    cluster = start_local_cluster(nodes=1, gpus_per_node=0, ssh=False, min_job_age=2)
    job = sbatch(cluster, "--output=/dev/null", "--wrap=true")
    assert wait_for_state(cluster, job, {"COMPLETED"}, 60) == "COMPLETED"
    deadline = time.monotonic() + 120  # slurmctld purges on a periodic sweep
    while time.monotonic() < deadline:
        result = run(cluster, ["scontrol", "show", "job", job], 15)
        if result.returncode != 0:
            assert "Invalid job id" in result.stderr, result.stderr
            return
        time.sleep(1)
    pytest.fail(f"job {job} still known to slurmctld 120 s after finishing with MinJobAge=2")


def test_time_limit_ends_job_with_timeout(local_cluster):
    """Time limits are enforced (OverTimeLimit=0): a job asking --time=1 that runs longer ends TIMEOUT.
    Slurm checks limits on a ~30 s sweep, so this takes 60-100 s."""
    job = sbatch(local_cluster, "--time=1", "--output=/dev/null", "--wrap=sleep 600")
    assert wait_for_state(local_cluster, job, {"TIMEOUT"}, 240) == "TIMEOUT"


def _ssh_client_for(endpoint: lc.SshEndpoint) -> tuple[paramiko.SSHClient, dict]:
    host = paramiko.SSHConfig.from_path(str(endpoint.ssh_config)).lookup(endpoint.alias)
    client = paramiko.SSHClient()
    client.load_host_keys(host["userknownhostsfile"])
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    return client, host


def test_paramiko_connects_through_ssh_config_alias_and_runs_sinfo(ssh_endpoint, local_cluster):
    """The ssh_config alias carries everything needed (HostName/Port/User/IdentityFile/known_hosts),
    login is key-only with the host key checked, and sessions see SLURM_CONF (sshd SetEnv)."""
    client, host = _ssh_client_for(ssh_endpoint)
    assert (host["hostname"], int(host["port"]), host["user"]) == ("127.0.0.1", ssh_endpoint.port, "root")
    assert host["identitiesonly"] == "yes"
    try:
        client.connect(host["hostname"], port=int(host["port"]), username=host["user"],
                       key_filename=host["identityfile"], allow_agent=False, look_for_keys=False, timeout=10)
        _, stdout, stderr = client.exec_command("sinfo -h -o '%R %D'; echo SLURM_CONF=$SLURM_CONF", timeout=30)
        out = stdout.read().decode()
        assert stdout.channel.recv_exit_status() == 0, stderr.read().decode()
    finally:
        client.close()
    assert f"{local_cluster.partition} {len(local_cluster.nodes)}" in out
    assert f"SLURM_CONF={local_cluster.slurm_conf}" in out


def test_openssh_client_uses_the_alias(ssh_endpoint, local_cluster):
    """`ssh -F <ssh_config> hpcest-test` works non-interactively (BatchMode, strict host key)."""
    result = subprocess.run(
        ["ssh", "-F", str(ssh_endpoint.ssh_config), ssh_endpoint.alias, "hostname; sinfo -h -o %D"],
        capture_output=True, text=True, timeout=30, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == str(len(local_cluster.nodes))


def test_unknown_or_changed_host_key_is_refused(ssh_endpoint, tmp_path):
    """The sshd is only trusted through its known_hosts entry: with RejectPolicy an unknown host key,
    and a different key recorded for [127.0.0.1]:port, both abort the connection."""
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        with pytest.raises(paramiko.SSHException, match="not found in known_hosts"):
            client.connect(ssh_endpoint.host, port=ssh_endpoint.port, username=ssh_endpoint.user,
                           key_filename=str(ssh_endpoint.identity_file), allow_agent=False,
                           look_for_keys=False, timeout=10)
    finally:
        client.close()

    wrong = paramiko.Ed25519Key.from_private_key_file(str(ssh_endpoint.identity_file))  # not the host key
    wrong_known = tmp_path / "known_hosts"
    wrong_known.write_text(f"[{ssh_endpoint.host}]:{ssh_endpoint.port} {wrong.get_name()} {wrong.get_base64()}\n")
    client = paramiko.SSHClient()
    client.load_host_keys(str(wrong_known))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        with pytest.raises(paramiko.BadHostKeyException):
            client.connect(ssh_endpoint.host, port=ssh_endpoint.port, username=ssh_endpoint.user,
                           key_filename=str(ssh_endpoint.identity_file), allow_agent=False,
                           look_for_keys=False, timeout=10)
    finally:
        client.close()


def test_start_refuses_a_port_base_that_is_taken(cluster_tools):
    """An explicit port_base whose ports are busy is refused up front with the port named, and
    nothing is started (no daemon, no cluster.json)."""
    with socket.socket() as blocker:
        blocker.bind(("0.0.0.0", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        state = new_state_dir()
        try:
            with pytest.raises(lc.LocalClusterError, match=str(port)):
                lc.start(state, port_base=port, ssh=False)
            assert not (state / "cluster.json").exists()
            assert _processes_referring_to(state) == {}
        finally:
            remove_state_dir(state)


# --------------------------------------------------------------------------- tear-down


def _processes_referring_to(state: Path) -> dict[int, str]:
    """Live processes whose environment, command line, cwd or open files mention ``state``.

    Deliberately independent of hpc_estimator.testing.processes: it is the judge of stop(), not its twin.
    """
    root = str(state)
    found: dict[int, str] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        proc = Path("/proc") / name
        try:
            if proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            blobs = [proc.joinpath("environ").read_bytes().decode(errors="replace"),
                     proc.joinpath("cmdline").read_bytes().decode(errors="replace")]
            links = [os.readlink(proc / "cwd")]
            for fd in os.listdir(proc / "fd"):
                with contextlib.suppress(OSError):
                    links.append(os.readlink(proc / "fd" / fd))
        except OSError:
            continue  # gone meanwhile
        if any(root in text for text in blobs + links):
            found[int(name)] = proc.joinpath("cmdline").read_bytes().decode(errors="replace").replace("\0", " ")
    return found


@pytest.mark.parametrize("how", ["api", "cli"])
def test_stop_leaves_no_process_behind(how, local_cluster):
    """stop() with running multi-node jobs and an open SSH session ends every process of that cluster
    (daemons, slurmstepd, job tasks, sshd session), is idempotent, and leaves other clusters alone.

    "api": started in this process (daemons are our children); "cli": started by `... up` in a
    separate process (daemons reparented to init) and stopped by `... down`.
    """
    state = new_state_dir("hpcest-stoptest-")
    module = [sys.executable, "-m", "hpc_estimator.testing.local_cluster"]
    try:
        if how == "api":
            cluster = lc.start(state, nodes=2, gpus_per_node=1)
        else:
            up = subprocess.run([*module, "up", str(state), "--nodes", "2", "--gpus", "1"],
                                capture_output=True, text=True, timeout=120, check=False)
            assert up.returncode == 0, up.stderr
            assert f"export SLURM_CONF={state}/etc/slurm.conf" in up.stdout
            assert (state / "env.sh").read_text() == up.stdout
            cluster = lc.load(state)
        assert cluster.slurm_conf != local_cluster.slurm_conf
        job = sbatch(cluster, "-N2", "--output=/dev/null", "--wrap=srun sleep 600")
        assert wait_for_state(cluster, job, {"RUNNING"}, 60) == "RUNNING"
        assert cluster.ssh is not None
        client, host = _ssh_client_for(cluster.ssh)
        client.connect(host["hostname"], port=int(host["port"]), username=host["user"],
                       key_filename=host["identityfile"], allow_agent=False, look_for_keys=False, timeout=10)
        client.exec_command("sleep 600")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the job's sleep tasks on both nodes have started
            tasks = [c for c in _processes_referring_to(state).values() if c.startswith(("sleep", "/usr/bin/sleep"))]
            if len(tasks) >= 3:
                break
            time.sleep(0.2)
        before = _processes_referring_to(state)
        assert len(before) >= 8, json.dumps(before, indent=1)  # munged, ctld, 2 slurmd, sshd, steps, tasks

        if how == "api":
            lc.stop(str(state))
        else:
            down = subprocess.run([*module, "down", str(state)], capture_output=True, text=True, timeout=120,
                                  check=False)
            assert down.returncode == 0, down.stderr
        client.close()
        assert _processes_referring_to(state) == {}
        lc.stop(state)  # idempotent: nothing left to do, no error
        assert _processes_referring_to(state) == {}
        # The session cluster was not touched.
        assert checked(local_cluster, ["sinfo", "-h", "-o", "%D"], timeout=15).split()[0] == "2"
    finally:
        lc.stop(state)
        remove_state_dir(state)
