"""A real multi-node Slurm cluster (plus a loopback sshd) on this one machine, for tests and demos.

"Ports mode": munged, slurmctld and N slurmd run on this host, every slurmd on its own TCP port and
in its own UTS + mount namespace, so ``hostname`` prints node1, node2, ... inside jobs and a private
/etc/hosts (bind-mounted in that namespace only) makes the node names resolve there. GPUs are fake
(character devices cloned from /dev/null) but Slurm's gres machinery is real, so
CUDA_VISIBLE_DEVICES is set exactly as on a GPU cluster. Everything lives under one state directory.

Use::

    from hpc_estimator.testing import local_cluster
    cluster = local_cluster.start(Path("/tmp/c1"))
    subprocess.run(["sbatch", "--wrap", "hostname"], env=cluster.client_env())
    local_cluster.stop(cluster)

or from a shell::

    python -m hpc_estimator.testing.local_cluster up /tmp/c1 --nodes 3 && . /tmp/c1/env.sh
    python -m hpc_estimator.testing.local_cluster down /tmp/c1

Needs root (slurmd switches to the job user's uid; unshare/mount need CAP_SYS_ADMIN) and the Debian
packages slurm-wlm, munge, openssh-server, openmpi-bin, libpmix2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
import shutil
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from hpc_estimator.errors import HpcestError
from hpc_estimator.testing import processes, ssh_server
from hpc_estimator.testing.ports import PortPlan, choose_port_plan
from hpc_estimator.testing.slurm_config import (
    ClusterLayout,
    SlurmSettings,
    node_names,
    render_gres_conf,
    render_hosts,
    render_slurm_conf,
)

__all__ = [
    "LocalCluster",
    "LocalClusterError",
    "SshEndpoint",
    "load",
    "main",
    "missing_requirements",
    "start",
    "stop",
]


class LocalClusterError(HpcestError):
    """The local test cluster could not be started or stopped; the message says why and what to do."""


@dataclass(frozen=True)
class SshEndpoint:
    host: str  # "127.0.0.1"
    port: int
    user: str  # "root"
    identity_file: Path
    known_hosts: Path
    ssh_config: Path  # contains "Host hpcest-test"
    alias: str  # "hpcest-test"


@dataclass(frozen=True)
class LocalCluster:
    state_dir: Path
    slurm_conf: Path
    env: dict[str, str]  # SLURM_CONF + OMPI_* ...: merge into os.environ for clients
    nodes: tuple[str, ...]  # ("node1", "node2")
    cpus_per_node: int
    gpus_per_node: int
    partition: str  # "debug"
    lowprio_partition: str | None
    max_array_size: int
    ssh: SshEndpoint | None

    def client_env(self) -> dict[str, str]:
        """os.environ plus ``env``, for subprocess calls of sbatch/srun/squeue/... against this cluster.

        Slurm variables inherited from an outer allocation (SLURM_JOB_ID, SBATCH_*, ...) are dropped:
        srun would otherwise try to run inside a job that does not exist on this cluster.
        """
        return {**without_slurm_vars(os.environ), **self.env}


SLURM_ENV_PREFIXES = ("SLURM_", "SBATCH_", "SALLOC_", "SRUN_", "SQUEUE_", "SINFO_", "SACCT_", "SCANCEL_")


def without_slurm_vars(environ: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in environ.items() if not k.startswith(SLURM_ENV_PREFIXES)}


# Binaries each part needs; checked up front so a missing package gives one clear message.
_SLURM_TOOLS = ("munged", "munge", "unmunge", "slurmctld", "slurmd", "slurmstepd", "scontrol", "sinfo",
                "squeue", "scancel", "sbatch", "srun", "unshare", "mount", "hostname")
_SSH_TOOLS = ("sshd", "ssh-keygen")
_SBIN_PATH = os.pathsep.join(["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"])
# A unix socket path must fit sockaddr_un (108 bytes); munged's socket is the deepest one we create.
_MAX_SOCKET_PATH = 100
_SAFE_PATH = re.compile(r"^[A-Za-z0-9._/+-]+$")

_TIMEOUT_MUNGE = 15.0
_TIMEOUT_CTLD = 30.0
_TIMEOUT_NODES = 60.0
_TIMEOUT_SSH = 15.0
_TIMEOUT_CMD = 20.0

# Popen objects of daemons started by this process, so stop() can reap them (no zombies left).
_children: dict[int, subprocess.Popen[bytes]] = {}


def _which(name: str) -> str | None:
    return shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), _SBIN_PATH]))


def missing_requirements(*, ssh: bool = True) -> list[str]:
    """Why this machine cannot run a local cluster (empty list: it can)."""
    problems = []
    if os.geteuid() != 0:
        problems.append("must run as root (slurmd switches to job users; unshare/mount need CAP_SYS_ADMIN)")
    tools = _SLURM_TOOLS + (_SSH_TOOLS if ssh else ())
    missing = [t for t in tools if _which(t) is None]
    if missing:
        problems.append(
            f"missing programs {', '.join(missing)}: apt-get install slurm-wlm munge openssh-server "
            "openssh-client util-linux"
        )
    return problems


def _cluster_env(layout: ClusterLayout) -> dict[str, str]:
    return {
        # Without SLURM_CONF clients fall back to a DNS SRV lookup and fail.
        "SLURM_CONF": str(layout.slurm_conf),
        # OpenMPI's TCP BTL skips 127.0.0.0/8 by default and would talk over eth0 between "nodes".
        "OMPI_MCA_btl_tcp_if_include": "lo",
        "OMPI_MCA_oob_tcp_if_include": "lo",
        # Everything runs as root here; mpirun refuses that without these two.
        "OMPI_ALLOW_RUN_AS_ROOT": "1",
        "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    }


# --------------------------------------------------------------------------- metadata


def _write_json(path: Path, data: object) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    tmp.replace(path)


def _cluster_to_json(cluster: LocalCluster) -> dict[str, object]:
    data = asdict(cluster)
    data["nodes"] = list(cluster.nodes)
    return data


def _cluster_from_json(data: dict[str, object]) -> LocalCluster:
    ssh_data = data.get("ssh")
    ssh = None
    if isinstance(ssh_data, dict):
        ssh = SshEndpoint(
            host=ssh_data["host"],
            port=int(ssh_data["port"]),
            user=ssh_data["user"],
            identity_file=Path(ssh_data["identity_file"]),
            known_hosts=Path(ssh_data["known_hosts"]),
            ssh_config=Path(ssh_data["ssh_config"]),
            alias=ssh_data["alias"],
        )
    return LocalCluster(
        state_dir=Path(str(data["state_dir"])),
        slurm_conf=Path(str(data["slurm_conf"])),
        env=dict(data["env"]),  # type: ignore[call-overload]
        nodes=tuple(data["nodes"]),  # type: ignore[arg-type]
        cpus_per_node=int(data["cpus_per_node"]),  # type: ignore[call-overload]
        gpus_per_node=int(data["gpus_per_node"]),  # type: ignore[call-overload]
        partition=str(data["partition"]),
        lowprio_partition=data.get("lowprio_partition"),  # type: ignore[arg-type]
        max_array_size=int(data["max_array_size"]),  # type: ignore[call-overload]
        ssh=ssh,
    )


def load(state_dir: Path | str) -> LocalCluster:
    """The LocalCluster recorded in ``state_dir`` by a successful start() (possibly in another process)."""
    layout = ClusterLayout(Path(state_dir).resolve())
    try:
        data = json.loads(layout.metadata.read_text())
    except FileNotFoundError:
        raise LocalClusterError(
            f"{layout.state_dir} holds no started cluster (no cluster.json); start one with "
            f"`python -m hpc_estimator.testing.local_cluster up {layout.state_dir}`"
        ) from None
    return _cluster_from_json(data["cluster"])


@dataclass(frozen=True)
class _Daemon:
    name: str
    pid: int
    start_time: int | None  # with the pid, identifies the process even if the pid is reused later


def _read_daemons(layout: ClusterLayout) -> list[_Daemon]:
    try:
        raw = json.loads((layout.run / "daemons.json").read_text())
    except (FileNotFoundError, ValueError):
        return []
    return [_Daemon(str(r["name"]), int(r["pid"]), r.get("start_time")) for r in raw]


# --------------------------------------------------------------------------- daemons


class _BringUp:
    """One bring-up attempt: starts daemons, records each PID at once, knows how to report failure."""

    def __init__(self, layout: ClusterLayout, daemon_env: dict[str, str]) -> None:
        self.layout = layout
        self.daemon_env = daemon_env
        self.started: dict[str, subprocess.Popen[bytes]] = {}
        self.timings: dict[str, float] = {}
        self._lap = time.monotonic()

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.timings[name] = round(now - self._lap, 3)
        self._lap = now

    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        # Daemons run in the foreground (-D/-F) as our children: their PID is known at once, an early
        # exit is noticed at once, and stdout/stderr land in a log file instead of a pipe.
        out = open(self.layout.log / f"{name}.out", "ab")  # noqa: SIM115 - handed to the child
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.daemon_env,
                cwd=self.layout.state_dir,
                start_new_session=True,  # a Ctrl-C in the caller's terminal must not hit the daemons
            )
        finally:
            out.close()
        _children[proc.pid] = proc
        self.started[name] = proc
        info = processes.read_stat(proc.pid)
        records = _read_daemons(self.layout)
        records.append(_Daemon(name, proc.pid, info.start_time if info else None))
        _write_json(self.layout.run / "daemons.json", [asdict(r) for r in records])
        return proc

    def wait_for(self, what: str, check: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            for name, proc in self.started.items():
                if proc.poll() is not None:
                    self.fail(f"{name} exited with status {proc.returncode} while waiting for {what}")
            with contextlib.suppress(Exception):
                if check():
                    return
            if time.monotonic() >= deadline:
                self.fail(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(0.05)

    def fail(self, problem: str) -> None:
        where = self.layout.state_dir
        raise LocalClusterError(f"local cluster in {where}: {problem}\n{log_tails(self.layout)}")


def log_tails(layout: ClusterLayout, lines: int = 12) -> str:
    """The last lines of every log of the cluster, for error messages."""
    parts = []
    for path in sorted(layout.log.glob("*")) if layout.log.is_dir() else []:
        if path.is_file() and path.stat().st_size:
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path}\n" + "\n".join(tail))
    return "\n".join(parts) if parts else "(no log output)"


def _run(argv: list[str], env: Mapping[str, str], timeout: float = _TIMEOUT_CMD,
         stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=dict(env), input=stdin, capture_output=True, text=True, timeout=timeout,
                          check=False)


def _munge_works(layout: ClusterLayout, env: Mapping[str, str]) -> bool:
    sock = str(layout.munge_socket)
    cred = _run(["munge", "-n", "-S", sock], env, timeout=5)
    if cred.returncode != 0:
        return False
    return _run(["unmunge", "-S", sock], env, timeout=5, stdin=cred.stdout).returncode == 0


def _controller_up(env: Mapping[str, str]) -> bool:
    # A healthy ping takes milliseconds; a short timeout keeps the readiness loop checking whether the
    # daemon died (e.g. something else holds its port and accepts the connection but never answers).
    ping = _run(["scontrol", "ping"], env, timeout=3)
    return ping.returncode == 0 and "UP" in ping.stdout


def _nodes_idle(env: Mapping[str, str], nodes: tuple[str, ...]) -> bool:
    out = _run(["sinfo", "-h", "-N", "-o", "%N %t"], env, timeout=5).stdout
    states = dict(line.split()[:2] for line in out.splitlines() if len(line.split()) >= 2)
    return all(states.get(node) == "idle" for node in nodes)


def _prepare_dirs(layout: ClusterLayout, nodes: int, gpus: int) -> None:
    # A fresh cluster every time: old job state in spool/ctld would be recovered otherwise (old job IDs,
    # old jobs requeued). Keys are kept; regenerating them buys nothing.
    for old in (layout.spool, layout.tmp, layout.run, layout.log, layout.dev, layout.etc):
        shutil.rmtree(old, ignore_errors=True)
    for d in (layout.etc, layout.log, layout.run, layout.spool / "ctld", layout.dev, layout.munge_run_dir):
        d.mkdir(parents=True, exist_ok=True)
    layout.munge_key_dir.mkdir(parents=True, exist_ok=True)
    layout.state_dir.chmod(0o755)
    layout.munge_run_dir.parent.chmod(0o755)
    layout.munge_run_dir.chmod(0o755)  # munged: "execute permissions for all required"
    layout.munge_key_dir.chmod(0o700)
    for node in node_names(nodes):
        (layout.spool / "slurmd" / node).mkdir(parents=True, exist_ok=True)
        node_tmp = layout.tmp / node
        node_tmp.mkdir(parents=True, exist_ok=True)
        node_tmp.chmod(0o1777)  # jobs of any user write their pmix appdir here
    if not layout.munge_key.exists():
        layout.munge_key.write_bytes(os.urandom(1024))
    layout.munge_key.chmod(0o400)
    # gres/gpu only sets CUDA_VISIBLE_DEVICES for character devices; clones of /dev/null are harmless.
    for index in range(gpus):
        dev = layout.dev / f"nvidia{index}"
        os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        dev.chmod(0o666)


def _memory_mb_per_node(nodes: int) -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return max(256, int(line.split()[1]) // 1024 // nodes)
    return 1024


def _check_state_dir(state_dir: Path) -> None:
    if not _SAFE_PATH.match(str(state_dir)):
        raise LocalClusterError(
            f"state dir {state_dir} contains characters slurm.conf/sshd_config cannot carry; "
            "use a path made of letters, digits and ._+-/ only"
        )
    sock = ClusterLayout(state_dir).munge_socket
    if len(str(sock)) > _MAX_SOCKET_PATH:
        raise LocalClusterError(
            f"state dir {state_dir} is too deep: the munge socket path {sock} would exceed "
            f"{_MAX_SOCKET_PATH} bytes (unix socket limit); use a shorter directory such as "
            "/tmp/hpcest-cluster"
        )


def _refuse_if_running(layout: ClusterLayout) -> None:
    running = processes.find_cluster_processes(layout.state_dir)
    if running:
        listing = ", ".join(f"{pid} ({why})" for pid, (_, why) in sorted(running.items())[:8])
        raise LocalClusterError(
            f"a cluster from {layout.state_dir} is still running ({listing}); stop it first with "
            f"`python -m hpc_estimator.testing.local_cluster down {layout.state_dir}`"
        )


def _write_env_sh(cluster: LocalCluster) -> str:
    lines = ["# Generated by hpc_estimator.testing.local_cluster: source this file."]
    lines += [f"export {k}={shlex.quote(v)}" for k, v in cluster.env.items()]
    if cluster.ssh is not None:
        lines.append(f"# ssh -F {cluster.ssh.ssh_config} {cluster.ssh.alias} sinfo")
    lines.append(f"# stop: python -m hpc_estimator.testing.local_cluster down {cluster.state_dir}")
    text = "\n".join(lines) + "\n"
    (cluster.state_dir / "env.sh").write_text(text)
    return text


def _bring_up(layout: ClusterLayout, settings: SlurmSettings, plan: PortPlan, ssh: bool) -> LocalCluster:
    env = _cluster_env(layout)
    daemon_env = {**without_slurm_vars(os.environ), **env, processes.MARKER_VAR: str(layout.state_dir)}
    daemon_env["PATH"] = os.pathsep.join([daemon_env.get("PATH", ""), _SBIN_PATH])
    up = _BringUp(layout, daemon_env)
    nodes = node_names(settings.nodes)

    layout.slurm_conf.write_text(render_slurm_conf(layout, settings, plan))
    if settings.gpus_per_node > 0:
        layout.gres_conf.write_text(render_gres_conf(layout, settings))
    layout.hosts.write_text(render_hosts(Path("/etc/hosts").read_text(), settings.nodes))
    up.lap("config")

    up.spawn("munged", [
        _which("munged") or "munged", "--foreground",
        f"--socket={layout.munge_socket}", f"--key-file={layout.munge_key}",
        f"--pid-file={layout.run}/munged.pid", f"--seed-file={layout.munge_key_dir}/munged.seed",
        f"--log-file={layout.log}/munged.log",
    ])
    up.wait_for("munged to encode and decode a credential", lambda: _munge_works(layout, env), _TIMEOUT_MUNGE)
    up.lap("munged")

    up.spawn("slurmctld", [_which("slurmctld") or "slurmctld", "-D", "-f", str(layout.slurm_conf)])
    up.wait_for("slurmctld to answer `scontrol ping`", lambda: _controller_up(env), _TIMEOUT_CTLD)
    up.lap("slurmctld")

    slurmd = _which("slurmd") or "slurmd"
    for node in nodes:
        # unshare --uts: this slurmd and every task it starts see hostname nodeI.
        # unshare --mount (private propagation): our /etc/hosts is bind-mounted for this node only.
        inner = (
            f"mount --bind {shlex.quote(str(layout.hosts))} /etc/hosts && hostname {node} && "
            f"exec {shlex.quote(slurmd)} -D -f {shlex.quote(str(layout.slurm_conf))} -N {node}"
        )
        up.spawn(f"slurmd-{node}", [_which("unshare") or "unshare", "--uts", "--mount", "sh", "-c", inner])

    endpoint = None
    if ssh:
        # Started before waiting for the nodes: sshd needs no Slurm, and the two waits overlap.
        endpoint = _start_sshd(up, layout, plan, env)
    up.wait_for(f"nodes {', '.join(nodes)} to be idle in sinfo", lambda: _nodes_idle(env, nodes),
                _TIMEOUT_NODES)
    up.lap("slurmd")
    if endpoint is not None:
        files = ssh_server.SshFiles(layout.ssh)
        up.wait_for(
            "sshd to accept the client key (paramiko probe)",
            lambda: ssh_server.probe(endpoint.host, endpoint.port, endpoint.user, files) == env["SLURM_CONF"],
            _TIMEOUT_SSH,
        )
        up.lap("sshd")

    cluster = LocalCluster(
        state_dir=layout.state_dir,
        slurm_conf=layout.slurm_conf,
        env=env,
        nodes=nodes,
        cpus_per_node=settings.cpus_per_node,
        gpus_per_node=settings.gpus_per_node,
        partition=settings.partition,
        lowprio_partition=settings.lowprio_partition,
        max_array_size=settings.max_array_size,
        ssh=endpoint,
    )
    _write_json(layout.metadata, {"cluster": _cluster_to_json(cluster), "ports": asdict(plan),
                                  "timings_s": up.timings})
    _write_env_sh(cluster)
    return cluster


def _start_sshd(up: _BringUp, layout: ClusterLayout, plan: PortPlan, env: dict[str, str]) -> SshEndpoint:
    files = ssh_server.SshFiles(layout.ssh)
    ssh_server.generate_keys(files)
    user = "root"
    host_pub = files.host_key.with_suffix(".pub").read_text()
    files.known_hosts.write_text(ssh_server.known_hosts_line("127.0.0.1", plan.sshd, host_pub))
    # The marker travels into every SSH session, so stop() can prove those processes are ours too.
    session_env = {**env, processes.MARKER_VAR: str(layout.state_dir)}
    files.sshd_config.write_text(
        ssh_server.render_sshd_config(files, port=plan.sshd, pid_file=layout.run / "sshd.pid",
                                      session_env=session_env)
    )
    files.ssh_config.write_text(ssh_server.render_ssh_config(files, port=plan.sshd, user=user))
    Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # privilege separation directory
    sshd = _which("sshd") or "/usr/sbin/sshd"  # sshd re-execs itself: it needs an absolute path
    check = _run([sshd, "-t", "-f", str(files.sshd_config)], up.daemon_env)
    if check.returncode != 0:
        up.fail(f"sshd rejects its configuration {files.sshd_config}: {check.stderr.strip()}")
    up.spawn("sshd", [sshd, "-D", "-f", str(files.sshd_config), "-E", str(layout.log / "sshd.log")])
    return SshEndpoint(
        host="127.0.0.1",
        port=plan.sshd,
        user=user,
        identity_file=files.client_key,
        known_hosts=files.known_hosts,
        ssh_config=files.ssh_config,
        alias=ssh_server.SSH_ALIAS,
    )


def start(state_dir: Path, *, nodes: int = 2, cpus_per_node: int = 4, gpus_per_node: int = 4,
          ssh: bool = True, min_job_age: int = 300, max_array_size: int = 1001,
          port_base: int | None = None) -> LocalCluster:
    """Start a fresh cluster with all its state under ``state_dir``; return once jobs can run.

    Ports are chosen automatically (free ones, checked by binding) unless ``port_base`` is given.
    On any failure everything already started is stopped again and LocalClusterError is raised with
    the tails of the daemons' logs.
    """
    problems = missing_requirements(ssh=ssh)
    if problems:
        raise LocalClusterError("cannot start a local Slurm cluster: " + "; ".join(problems))
    if not 1 <= nodes <= 200:
        raise LocalClusterError(f"nodes={nodes}: a local cluster has 1..200 nodes")
    if cpus_per_node < 1 or gpus_per_node < 0 or max_array_size < 1 or min_job_age < 0:
        raise LocalClusterError(
            "cpus_per_node and max_array_size must be >= 1, gpus_per_node and min_job_age >= 0"
        )
    state = Path(state_dir).resolve()
    _check_state_dir(state)
    layout = ClusterLayout(state)
    state.mkdir(parents=True, exist_ok=True)
    _refuse_if_running(layout)

    settings = SlurmSettings(
        nodes=nodes,
        cpus_per_node=cpus_per_node,
        gpus_per_node=gpus_per_node,
        memory_mb_per_node=_memory_mb_per_node(nodes),
        min_job_age=min_job_age,
        max_array_size=max_array_size,
        controller_host=socket.gethostname().split(".")[0],
    )
    # With automatic ports another program may grab a port between our check and the daemon's bind;
    # then the whole bring-up is retried on a new block.
    attempts = 3 if port_base is None else 1
    for attempt in range(1, attempts + 1):
        try:
            plan = choose_port_plan(nodes, ssh=ssh, port_base=port_base)
        except (OSError, ValueError) as exc:
            raise LocalClusterError(f"cannot use the requested ports: {exc}") from exc
        try:
            layout.metadata.unlink(missing_ok=True)
            _prepare_dirs(layout, nodes, gpus_per_node)
            return _bring_up(layout, settings, plan, ssh)
        except BaseException as exc:
            # Never leave half a cluster behind, whatever went wrong (KeyboardInterrupt included).
            try:
                stop(layout.state_dir)
            except LocalClusterError as stop_exc:
                if hasattr(exc, "add_note"):  # Python >= 3.11
                    exc.add_note(f"cleanup after the failed start also failed: {stop_exc}")
            port_race = isinstance(exc, LocalClusterError) and "Address already in use" in str(exc)
            if port_race and attempt < attempts:
                continue
            if isinstance(exc, (LocalClusterError, KeyboardInterrupt, SystemExit)):
                raise
            raise LocalClusterError(
                f"local cluster in {state}: start failed: {exc!r}\n{log_tails(layout)}"
            ) from exc
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- stop


def _cancel_all_jobs(env: Mapping[str, str]) -> None:
    """scancel every job while slurmctld still runs, so slurmd ends their tasks cleanly."""
    try:
        # A dead controller answers ping at once, while squeue would retry it for ~10 s.
        if not _controller_up(env):
            return
        listed = _run(["squeue", "-h", "-o", "%A"], env, timeout=10)
        job_ids = sorted(set(listed.stdout.split()))
        if listed.returncode != 0 or not job_ids:
            return
        _run(["scancel", *job_ids], env, timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if not _run(["squeue", "-h", "-o", "%A"], env, timeout=10).stdout.split():
                return
            time.sleep(0.2)
    except subprocess.TimeoutExpired:
        return  # the sweep below ends whatever the controller could not


def stop(cluster_or_state_dir: LocalCluster | Path | str) -> None:
    """Stop everything of the cluster: jobs, daemons, SSH sessions; idempotent.

    Jobs are cancelled through Slurm first; then the daemons get TERM by recorded PID (KILL after
    10 s); finally /proc is swept for leftovers that are provably ours (see ``processes``). Raises
    LocalClusterError if some process of the cluster survives all that.
    """
    if isinstance(cluster_or_state_dir, LocalCluster):
        state = cluster_or_state_dir.state_dir
    else:
        state = Path(cluster_or_state_dir)
    layout = ClusterLayout(state.resolve())
    env = {**without_slurm_vars(os.environ), **_cluster_env(layout)}
    records = _read_daemons(layout)

    def alive(name_prefix: str) -> list[tuple[int, int | None]]:
        return [(d.pid, d.start_time) for d in records
                if d.name.startswith(name_prefix) and processes.is_alive(d.pid, d.start_time)]

    controller_alive = bool(alive("slurmctld"))
    if controller_alive and layout.slurm_conf.exists():
        _cancel_all_jobs(env)

    # SSH sessions and slurmd first (they may still talk to the controller), munged last. Without a
    # controller, slurmd spends its shutdown retrying it: a short grace, then KILL, loses nothing here.
    grace = 10.0 if controller_alive else 2.0
    for prefix in ("sshd", "slurmd-", "slurmctld", "munged"):
        processes.terminate(alive(prefix), grace=grace)

    # Leftovers (orphaned slurmstepd, job tasks, SSH sessions) get one second to exit on TERM. Several
    # rounds, because a dying process may still spawn a child (a job script starting its next line).
    for _ in range(5):
        leftovers = processes.find_cluster_processes(layout.state_dir)
        if not leftovers:
            break
        processes.terminate(((pid, info.start_time) for pid, (info, _) in leftovers.items()), grace=1.0)
    for daemon in records:
        processes.reap_if_child(daemon.pid)
    for pid in list(_children):
        if _children[pid].poll() is not None:
            del _children[pid]
    survivors = processes.find_cluster_processes(layout.state_dir)
    if survivors:
        listing = ", ".join(f"{pid} ({why})" for pid, (_, why) in sorted(survivors.items()))
        raise LocalClusterError(
            f"processes of the cluster in {layout.state_dir} survived SIGKILL: {listing} (stuck in "
            "uninterruptible sleep?); inspect them with `ps -o pid,stat,wchan,cmd -p PID`"
        )
    with contextlib.suppress(FileNotFoundError):
        (layout.run / "daemons.json").unlink()


# --------------------------------------------------------------------------- outages (for tests)


def _daemon_env(layout: ClusterLayout) -> dict[str, str]:
    env = {**without_slurm_vars(os.environ), **_cluster_env(layout), processes.MARKER_VAR: str(layout.state_dir)}
    env["PATH"] = os.pathsep.join([env.get("PATH", ""), _SBIN_PATH])
    return env


def _forget_daemon(layout: ClusterLayout, name: str) -> list[_Daemon]:
    records = _read_daemons(layout)
    gone = [d for d in records if d.name == name]
    _write_json(layout.run / "daemons.json", [asdict(d) for d in records if d.name != name])
    return gone


def stop_controller(cluster: LocalCluster) -> None:
    """Stop slurmctld (TERM, by its recorded PID): clients get "Unable to contact slurm controller"
    while jobs keep running on the nodes, as in a controller outage on a real site."""
    layout = ClusterLayout(cluster.state_dir)
    for daemon in _forget_daemon(layout, "slurmctld"):
        processes.terminate([(daemon.pid, daemon.start_time)], grace=10.0)
        processes.reap_if_child(daemon.pid)


def start_controller(cluster: LocalCluster) -> None:
    """Start slurmctld again; it recovers the jobs from its state directory and the nodes reconnect."""
    layout = ClusterLayout(cluster.state_dir)
    up = _BringUp(layout, _daemon_env(layout))
    env = _cluster_env(layout)
    up.spawn("slurmctld", [_which("slurmctld") or "slurmctld", "-D", "-f", str(layout.slurm_conf)])
    up.wait_for("slurmctld to answer `scontrol ping`", lambda: _controller_up(env), _TIMEOUT_CTLD)


def cut_ssh(cluster: LocalCluster) -> None:
    """Take SSH away: stop the listening sshd and every session it serves (connections drop, new
    ones are refused) until ``restore_ssh``."""
    layout = ClusterLayout(cluster.state_dir)
    listeners = _forget_daemon(layout, "sshd")
    for daemon in listeners:
        processes.terminate([(daemon.pid, daemon.start_time)], grace=5.0)
        processes.reap_if_child(daemon.pid)
    sessions = [
        (pid, info.start_time)
        for pid, (info, _) in processes.find_cluster_processes(layout.state_dir).items()
        if processes.cmdline(pid)[:1] and processes.cmdline(pid)[0].startswith("sshd")
    ]
    processes.terminate(sessions, grace=2.0)


def restore_ssh(cluster: LocalCluster) -> None:
    """Start the loopback sshd again on the same port, with the same host key."""
    layout = ClusterLayout(cluster.state_dir)
    files = ssh_server.SshFiles(layout.ssh)
    up = _BringUp(layout, _daemon_env(layout))
    sshd = _which("sshd") or "/usr/sbin/sshd"
    up.spawn("sshd", [sshd, "-D", "-f", str(files.sshd_config), "-E", str(layout.log / "sshd.log")])
    assert cluster.ssh is not None
    endpoint = cluster.ssh
    up.wait_for(
        "sshd to accept the client key (paramiko probe)",
        lambda: ssh_server.probe(endpoint.host, endpoint.port, endpoint.user, files) == cluster.env["SLURM_CONF"],
        _TIMEOUT_SSH,
    )


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hpc_estimator.testing.local_cluster",
        description="Start or stop a real multi-node Slurm cluster (+ loopback sshd) on this machine.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start a cluster; prints the environment exports, writes DIR/env.sh")
    up.add_argument("state_dir", type=Path)
    up.add_argument("--nodes", type=int, default=2)
    up.add_argument("--cpus", type=int, default=4, help="CPUs per node (may exceed the real cores)")
    up.add_argument("--gpus", type=int, default=4, help="fake GPUs per node (0: none)")
    up.add_argument("--no-ssh", action="store_true", help="do not start the loopback sshd")
    up.add_argument("--min-job-age", type=int, default=300, help="seconds finished jobs stay in scontrol")
    up.add_argument("--max-array-size", type=int, default=1001)
    up.add_argument("--port-base", type=int, default=None, help="default: a free block chosen automatically")
    down = sub.add_parser("down", help="stop the cluster whose state is in DIR")
    down.add_argument("state_dir", type=Path)
    args = parser.parse_args(argv)

    try:
        if args.command == "up":
            began = time.monotonic()
            cluster = start(args.state_dir, nodes=args.nodes, cpus_per_node=args.cpus,
                            gpus_per_node=args.gpus, ssh=not args.no_ssh, min_job_age=args.min_job_age,
                            max_array_size=args.max_array_size, port_base=args.port_base)
            sys.stdout.write((cluster.state_dir / "env.sh").read_text())
            took = time.monotonic() - began
            print(f"# up in {took:.2f} s: nodes {','.join(cluster.nodes)}", file=sys.stderr)
        else:
            began = time.monotonic()
            stop(args.state_dir)
            print(f"# down in {time.monotonic() - began:.2f} s", file=sys.stderr)
    except LocalClusterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
