"""Status polling over SSH: one reused SshTransport connection vs one ``ssh`` process per poll.

Three ways to run the same poll N times (default 200) against a real loopback sshd:

* ``SshTransport``: hpcest's transport, one connection opened once and reused;
* ``ssh per poll``: the OpenSSH client started afresh for every poll (same key and known_hosts),
  which is what a naive ``subprocess.run(["ssh", host, "squeue ..."])`` backend does;
* ``raw paramiko``: ``exec_command`` on one SSHClient, the floor for any paramiko-based design.

Prints total time, time per poll and ratios. Starts its own local cluster (root, slurm-wlm and
openssh-server needed) unless ``--ssh-config``/``--alias`` point at an existing endpoint.

    python3 bench/bench_ssh.py [--polls 200] [--command squeue|true]
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import paramiko

from hpc_estimator import slurm
from hpc_estimator.transport.ssh import SshTransport


def interleaved(polls: int, variants: dict[str, Callable[[], None]]) -> dict[str, float]:
    """Total seconds per variant, running them round-robin so load drift on a shared machine
    (other test suites, the 1 s slurmctld tick) hits every variant alike."""
    for fn in variants.values():
        fn()  # warm-up outside the measurement (first connection of the reused variants)
    totals = dict.fromkeys(variants, 0.0)
    for _ in range(polls):
        for label, fn in variants.items():
            start = time.perf_counter()
            fn()
            totals[label] += time.perf_counter() - start
    for label, total in totals.items():
        print(f"{label:<22} {total:8.3f} s total  {1000 * total / polls:8.2f} ms/poll", flush=True)
    return totals


def bench(ssh_config: Path, alias: str, argv: list[str], polls: int) -> None:
    transport = SshTransport(alias, ssh_config=ssh_config)
    target = transport.target
    command = shlex.join(argv)

    def via_transport() -> None:
        r = transport.run(argv)
        assert r.ok, r.stderr

    def via_ssh_process() -> None:
        subprocess.run(["ssh", "-F", str(ssh_config), alias, command], check=True, capture_output=True)

    client = paramiko.SSHClient()
    client.load_host_keys(target.known_hosts[0])
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(target.hostname, port=target.port, username=target.user,
                   key_filename=list(target.identity_files), allow_agent=False, look_for_keys=False)

    def via_raw_paramiko() -> None:
        _, out, err = client.exec_command(command)
        out.read()
        err.read()
        assert out.channel.recv_exit_status() == 0

    print(f"{polls} polls of: {command}")
    totals = interleaved(polls, {
        "SshTransport (reused)": via_transport,
        "ssh process per poll": via_ssh_process,
        "raw paramiko (reused)": via_raw_paramiko,
    })
    t_transport, t_process, t_raw = totals.values()
    print(f"load average while measuring: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    print(f"ssh-per-poll / SshTransport   = {t_process / t_transport:6.2f}x")
    print(f"SshTransport / raw paramiko   = {t_transport / t_raw:6.2f}x  (overhead of threads, retries, quoting)")
    print(f"connections opened by SshTransport: {transport.connects}")
    transport.close()
    client.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--polls", type=int, default=200)
    ap.add_argument("--command", choices=("squeue", "true"), default="squeue")
    ap.add_argument("--ssh-config", type=Path, help="use this existing endpoint instead of starting a cluster")
    ap.add_argument("--alias", default="hpcest-test")
    ap.add_argument("--job-id", help="job to poll with --ssh-config (default: submit one)")
    args = ap.parse_args()

    if args.ssh_config:
        job = args.job_id or "1"
        argv = slurm.squeue_argv([job]) if args.command == "squeue" else ["true"]
        bench(args.ssh_config, args.alias, argv, args.polls)
        return 0

    from hpc_estimator.testing import local_cluster
    from hpc_estimator.testing.state_dir import new_state_dir, remove_state_dir

    state = new_state_dir("hpcest-bench-ssh-")
    cluster = local_cluster.start(state, nodes=2, ssh=True)
    try:
        assert cluster.ssh is not None
        env = cluster.client_env()
        script = state / "bench-job.sh"
        script.write_text("#!/bin/sh\nsleep 600\n")
        job = slurm.parse_sbatch_parsable(subprocess.run(
            slurm.sbatch_argv(str(script), extra=["--output=/dev/null"]),
            env=env, capture_output=True, text=True, check=True).stdout).job_id
        argv = slurm.squeue_argv([job]) if args.command == "squeue" else ["true"]
        bench(cluster.ssh.ssh_config, cluster.ssh.alias, argv, args.polls)
        subprocess.run(slurm.scancel_argv([job]), env=env, check=False)
    finally:
        local_cluster.stop(cluster)
        remove_state_dir(state)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
