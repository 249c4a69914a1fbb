"""SshTransport against a real OpenSSH sshd on loopback (session fixture ``ssh_endpoint``)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import stat
import subprocess
import threading
import time
from collections.abc import Iterator

import paramiko
import pytest

from hpc_estimator import slurm
from hpc_estimator.errors import HostKeyError, TransportError
from hpc_estimator.job.state import JobState
from hpc_estimator.testing import local_cluster as lc
from hpc_estimator.transport import RemoteFileNotFoundError
from hpc_estimator.transport.ssh import SshTransport, fingerprint, known_hosts_name, resolve_target

HOSTILE = [
    "plain",
    "with space",
    "it's \"quoted\" \\ back",
    "$(touch /tmp/hpcest-ssh-should-not-exist)",
    "`id`",
    "semi;colon && pipe | amp & > redirect",
    "new\nline",
    "tab\there",
    "ünïcødé ✓ 日本",
    "*",
    "~",
    "",
    "--not-an-option",
    "$HOME ${PATH}",
]


def make(ep: lc.SshEndpoint, **kw) -> SshTransport:
    kw.setdefault("known_hosts", ep.known_hosts)
    return SshTransport(ep.host, port=ep.port, user=ep.user, identity_file=ep.identity_file, **kw)


@pytest.fixture()
def ssh(ssh_endpoint: lc.SshEndpoint):
    t = make(ssh_endpoint)
    yield t
    t.close()


def host_key(ep: lc.SshEndpoint) -> paramiko.PKey:
    keys = paramiko.HostKeys(str(ep.known_hosts))
    entry = keys.lookup(f"[{ep.host}]:{ep.port}")
    assert entry is not None, "the fixture's known_hosts lists the test sshd"
    return next(iter(entry.values()))


def test_hostile_argv_arrives_byte_identical(ssh):
    """Every argv element reaches the remote program unchanged: quoting defeats the remote shell."""
    result = ssh.run(["printf", "%s\\0", *HOSTILE])
    assert result.ok, result.stderr
    assert result.stdout.split("\0")[:-1] == HOSTILE
    assert not ssh.run(["test", "-e", "/tmp/hpcest-ssh-should-not-exist"]).ok


def test_exit_status_stdout_stderr(ssh):
    result = ssh.run(["sh", "-c", "echo out; echo err >&2; exit 7"])
    assert (result.returncode, result.stdout, result.stderr) == (7, "out\n", "err\n")
    assert ssh.run(["true"]).returncode == 0
    assert ssh.run(["hpcest-no-such-command"]).returncode == 127


def test_stdin_is_sent_and_closed(ssh):
    """stdin reaches the command and is then closed, so ``cat`` ends instead of waiting forever."""
    payload = b"line1\nline2\n" + bytes(range(256)) * 1000
    result = ssh.run(["sh", "-c", "cat | sha256sum"], stdin=payload)
    assert result.stdout.split()[0] == hashlib.sha256(payload).hexdigest()
    assert ssh.run(["cat"]).stdout == ""


def test_large_stdout_and_stderr_do_not_deadlock(ssh):
    """A command filling stderr before writing stdout (beyond the SSH window) must still finish."""
    script = "import sys; sys.stderr.write('e' * 3_000_000); sys.stderr.flush(); sys.stdout.write('o' * 2_000_000)"
    result = ssh.run(["python3", "-c", script], timeout=120)
    assert result.ok
    assert len(result.stdout) == 2_000_000 and set(result.stdout) == {"o"}
    assert len(result.stderr) == 3_000_000


def test_timeout_raises_and_connection_stays_usable(ssh):
    with pytest.raises(TransportError, match="timed out"):
        ssh.run(["sleep", "30"], timeout=1)
    assert ssh.run(["echo", "still here"]).stdout == "still here\n"
    assert ssh.connects == 1


def test_one_connection_is_reused_for_commands_and_files(ssh, tmp_path):
    """50 commands and SFTP operations share one paramiko Transport (one TCP connection, one login)."""
    first = ssh.transport
    for i in range(50):
        assert ssh.run(["echo", str(i)]).stdout == f"{i}\n"
        assert ssh.transport is first
    ssh.write_text(f"/tmp/hpcest-reuse-{os.getpid()}.txt", "x")
    assert ssh.read_text(f"/tmp/hpcest-reuse-{os.getpid()}.txt") == "x"
    assert ssh.transport is first
    assert ssh.connects == 1
    ssh.run(["rm", "-f", f"/tmp/hpcest-reuse-{os.getpid()}.txt"])


def test_tcp_nodelay_is_set(ssh):
    """Small request/reply packets must not wait for delayed ACKs (~40 ms per channel open)."""
    assert ssh.transport.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1


def test_file_round_trip_with_tilde_mkdir_and_mode(ssh, tmp_path):
    remote_dir = f"~/hpcest-test-{os.getpid()}/deep/er"
    text = "hello ✓\nsecond line\n"
    ssh.write_text(f"{remote_dir}/job.sh", text, mode=0o750)
    assert ssh.read_text(f"{remote_dir}/job.sh") == text
    home = ssh.run(["sh", "-c", 'printf %s "$HOME"']).stdout
    absolute = f"{home}/hpcest-test-{os.getpid()}/deep/er/job.sh"
    assert ssh.run(["cat", absolute]).stdout == text
    assert ssh.run(["stat", "-c", "%a", absolute]).stdout.strip() == "750"

    local = tmp_path / "big.bin"
    local.write_bytes(os.urandom(2_500_000))
    local.chmod(0o640)
    ssh.put(local, f"{remote_dir}/big.bin")
    ssh.get(f"{remote_dir}/big.bin", tmp_path / "back" / "big.bin")
    assert (tmp_path / "back" / "big.bin").read_bytes() == local.read_bytes()
    assert ssh.run(["stat", "-c", "%a", f"{home}/hpcest-test-{os.getpid()}/deep/er/big.bin"]).stdout.strip() == "640"
    listing = ssh.run(["ls", "-A", f"{home}/hpcest-test-{os.getpid()}/deep/er"]).stdout.split()
    assert sorted(listing) == ["big.bin", "job.sh"]  # no temporary files left behind
    ssh.run(["rm", "-rf", f"{home}/hpcest-test-{os.getpid()}"])


def test_write_text_replaces_atomically(ssh):
    """A reader on the cluster sees the old or the new file, never a partly written one."""
    path = f"/tmp/hpcest-atomic-{os.getpid()}.txt"
    old, new = "A" * 300_000, "B" * 400_000
    ssh.write_text(path, old)
    reader = make_reader_script(path)
    stop = threading.Event()
    with make_side_channel(ssh) as side:
        def writer() -> None:
            for _ in range(10):
                ssh.write_text(path, new)
                ssh.write_text(path, old)
            stop.set()

        th = threading.Thread(target=writer)
        th.start()
        sizes = set()
        while not stop.is_set():
            sizes.update(side.run(["python3", "-c", reader]).stdout.split())
        th.join()
    assert sizes <= {str(len(old)), str(len(new))}
    ssh.run(["rm", "-f", path])


def make_reader_script(path: str) -> str:
    return f"import pathlib\nfor _ in range(20): print(len(pathlib.Path({path!r}).read_text()))"


@contextlib.contextmanager
def make_side_channel(ssh: SshTransport) -> Iterator[SshTransport]:
    """A second, independent connection to the same host (to observe or disturb the first)."""
    t = ssh.target
    side = SshTransport(t.hostname, port=t.port, user=t.user, identity_file=t.identity_files[0],
                        known_hosts=t.known_hosts[0])
    try:
        yield side
    finally:
        side.close()


def test_missing_remote_file(ssh, tmp_path):
    with pytest.raises(FileNotFoundError):
        ssh.read_text("/tmp/hpcest-definitely-missing/exit_code")
    with pytest.raises(RemoteFileNotFoundError):
        ssh.get("/tmp/hpcest-definitely-missing/x", tmp_path / "x")


def test_dropped_connection_is_reopened_for_idempotent_calls(ssh):
    """After the socket dies behind our back the next poll reconnects once and succeeds."""
    assert ssh.run(["true"]).ok
    old = ssh.transport
    old.sock.close()  # the TCP connection is gone; paramiko has not been told
    assert ssh.run(["echo", "back"]).stdout == "back\n"
    assert ssh.transport is not old
    assert ssh.connects == 2
    ssh.transport.sock.close()
    ssh.write_text("/tmp/hpcest-drop.txt", "ok")  # first SFTP use after a drop
    ssh.transport.sock.close()
    assert ssh.read_text("/tmp/hpcest-drop.txt") == "ok"
    assert ssh.connects == 4
    ssh.run(["rm", "-f", "/tmp/hpcest-drop.txt"])


def test_dropped_connection_during_non_idempotent_command_is_not_retried(ssh, tmp_path):
    """sbatch must never run twice: a drop mid-command raises 'outcome is unknown' instead."""
    marker = f"/tmp/hpcest-nonidem-{os.getpid()}"
    ssh.run(["rm", "-f", marker, marker + ".count"])
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            ssh.run(["sh", "-c", f"echo x >> {marker}.count; touch {marker}; sleep 20"], idempotent=False)
        except BaseException as exc:
            errors.append(exc)

    th = threading.Thread(target=submit)
    th.start()
    with make_side_channel(ssh) as side:
        for _ in range(400):
            if side.run(["test", "-e", marker]).ok:
                break
            time.sleep(0.05)
        ssh.transport.sock.close()
        th.join(60)
        assert not th.is_alive()
        assert len(errors) == 1 and isinstance(errors[0], TransportError)
        assert "outcome is unknown" in str(errors[0])
        assert side.run(["cat", marker + ".count"]).stdout == "x\n"  # ran exactly once
        side.run(["rm", "-f", marker, marker + ".count"])
    assert ssh.run(["true"]).ok  # and the transport recovers for the next call


def test_non_idempotent_command_on_a_dead_connection_is_sent_once(ssh):
    """If the connection died before the command left, it is safe to send it on a fresh one."""
    ssh.run(["true"])
    ssh.transport.sock.close()
    assert ssh.run(["echo", "sent"], idempotent=False).stdout == "sent\n"


def test_unknown_host_key_is_refused_with_fingerprint(ssh_endpoint, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    t = SshTransport(ssh_endpoint.host, port=ssh_endpoint.port, user=ssh_endpoint.user,
                     identity_file=ssh_endpoint.identity_file, known_hosts=empty)
    with pytest.raises(HostKeyError) as info:
        t.run(["true"])
    msg = str(info.value)
    key = host_key(ssh_endpoint)
    assert fingerprint(key) in msg and key.get_name() in msg
    assert f"ssh-keyscan -p {ssh_endpoint.port}" in msg
    assert "trust_unknown_host=True" in msg
    assert empty.read_text() == ""  # nothing was trusted behind the user's back


def test_trust_unknown_host_records_the_key(ssh_endpoint, tmp_path):
    """Opting in trusts the key on first use and remembers it, so a later change is caught."""
    kh = tmp_path / "known_hosts"
    t = SshTransport(ssh_endpoint.host, port=ssh_endpoint.port, user=ssh_endpoint.user,
                     identity_file=ssh_endpoint.identity_file, known_hosts=kh, trust_unknown_host=True)
    try:
        assert t.run(["true"]).ok
    finally:
        t.close()
    recorded = paramiko.HostKeys(str(kh)).lookup(f"[{ssh_endpoint.host}]:{ssh_endpoint.port}")
    assert recorded is not None
    assert fingerprint(next(iter(recorded.values()))) == fingerprint(host_key(ssh_endpoint))
    strict = make(ssh_endpoint, known_hosts=kh)
    try:
        assert strict.run(["true"]).ok
    finally:
        strict.close()


def test_changed_host_key_is_refused(ssh_endpoint, tmp_path):
    impostor = paramiko.Ed25519Key.from_private_key_file(str(ssh_endpoint.identity_file))  # any other key
    kh = tmp_path / "known_hosts"
    kh.write_text(f"[{ssh_endpoint.host}]:{ssh_endpoint.port} {impostor.get_name()} {impostor.get_base64()}\n")
    t = SshTransport(ssh_endpoint.host, port=ssh_endpoint.port, user=ssh_endpoint.user,
                     identity_file=ssh_endpoint.identity_file, known_hosts=kh)
    with pytest.raises(HostKeyError) as info:
        t.run(["true"])
    msg = str(info.value)
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in msg
    assert fingerprint(impostor) in msg and fingerprint(host_key(ssh_endpoint)) in msg
    assert "ssh-keygen -R" in msg


def test_ssh_config_alias_is_honoured(ssh_endpoint):
    """HostName, Port, User, IdentityFile and UserKnownHostsFile all come from the config file."""
    t = SshTransport(ssh_endpoint.alias, ssh_config=ssh_endpoint.ssh_config)
    try:
        assert (t.target.hostname, t.target.port, t.target.user) == (
            ssh_endpoint.host, ssh_endpoint.port, ssh_endpoint.user)
        assert t.target.known_hosts == (str(ssh_endpoint.known_hosts),)
        assert t.run(["id", "-un"]).stdout.strip() == ssh_endpoint.user
    finally:
        t.close()


def test_proxy_jump_tunnels_through_the_jump_host(ssh_endpoint, tmp_path):
    """ProxyJump opens a direct-tcpip channel on the jump host's connection and logs in through it."""
    ep = ssh_endpoint
    cfg = tmp_path / "ssh_config"
    common = (f"  User {ep.user}\n  IdentityFile {ep.identity_file}\n  IdentitiesOnly yes\n"
              f"  UserKnownHostsFile {ep.known_hosts}\n")
    cfg.write_text(
        f"Host jumpbox\n  HostName {ep.host}\n  Port {ep.port}\n{common}"
        f"Host behind\n  HostName {ep.host}\n  Port {ep.port}\n  ProxyJump jumpbox\n{common}"
    )
    t = SshTransport("behind", ssh_config=cfg)
    try:
        assert t.target.proxy_jump == "jumpbox"
        assert t.run(["echo", "through"]).stdout == "through\n"
        assert t._jump is not None and t._jump.connects == 1
        # the target connection's socket is a channel of the jump connection, not a TCP socket
        assert isinstance(t.transport.sock, paramiko.Channel)
    finally:
        t.close()


def test_sbatch_through_ssh(ssh, local_cluster):
    """Write a job script over SFTP, submit it with sbatch, poll squeue and read its output."""
    run_dir = f"/tmp/hpcest-ssh-job-{os.getpid()}"
    ssh.write_text(f"{run_dir}/job.sh", "#!/bin/sh\necho \"hello from $(hostname)\"\n", mode=0o755)
    result = slurm.check(ssh.run(slurm.sbatch_argv(f"{run_dir}/job.sh", extra=[
        f"--output={run_dir}/out.txt", "--job-name=hpcest-ssh-test"]), idempotent=False))
    job = slurm.parse_sbatch_parsable(result.stdout).job_id
    state = None
    for _ in range(600):
        states = slurm.parse_squeue(slurm.check(ssh.run(slurm.squeue_argv([job]))).stdout)
        state = states.get(job)
        if state is not None and state.is_terminal:
            break
        time.sleep(0.1)
    assert state is not None and state.job_state is JobState.COMPLETED, state
    assert ssh.read_text(f"{run_dir}/out.txt").startswith("hello from node")
    found = slurm.parse_squeue(ssh.run(slurm.squeue_by_name_argv("hpcest-ssh-test")).stdout)
    assert job in found
    ssh.run(["rm", "-rf", run_dir])


def test_sbatch_error_through_ssh_keeps_slurm_words(ssh):
    script = f"/tmp/hpcest-ssh-bad-{os.getpid()}.sh"
    ssh.write_text(script, "#!/bin/sh\ntrue\n")
    result = ssh.run(slurm.sbatch_argv(script, extra=["--partition=nosuch"]), idempotent=False)
    with pytest.raises(slurm.SlurmCommandError, match="Invalid partition name specified"):
        slurm.check(result)


def test_unreachable_host_names_the_fix(tmp_path):
    t = SshTransport("127.0.0.1", port=1, user="root", known_hosts=tmp_path / "kh", connect_timeout=5)
    with pytest.raises(TransportError, match=r"cannot connect to root@127\.0\.0\.1:1\b"):
        t.run(["true"])


def test_mode_of_written_file_is_exact(ssh):
    path = f"/tmp/hpcest-mode-{os.getpid()}"
    ssh.write_text(path, "x", mode=0o600)
    mode = int(ssh.run(["stat", "-c", "%a", path]).stdout.strip(), 8)
    assert stat.S_IMODE(mode) == 0o600
    ssh.run(["rm", "-f", path])


# ------------------------------------------------------------------ settings resolution (no sshd needed)


def test_resolve_target_explicit_settings_win_over_config(tmp_path):
    """Explicit arguments override ssh_config; the config fills in the rest, like OpenSSH."""
    key = tmp_path / "id_test"
    key.write_text("not used here")
    cfg = tmp_path / "config"
    cfg.write_text(
        "Host login\n  HostName login.example.org\n  User alice\n  Port 2222\n"
        f"  IdentityFile {key}\n  UserKnownHostsFile {tmp_path}/kh1 {tmp_path}/kh2\n"
        "  ProxyJump bastion\n  IdentitiesOnly yes\n"
    )
    t = resolve_target("login", ssh_config=cfg)
    assert (t.hostname, t.user, t.port) == ("login.example.org", "alice", 2222)
    assert t.identity_files == (str(key),)
    assert t.known_hosts == (f"{tmp_path}/kh1", f"{tmp_path}/kh2")
    assert t.proxy_jump == "bastion" and t.identities_only
    assert not t.trust_unknown_host  # strict unless asked
    t2 = resolve_target("login", ssh_config=cfg, user="bob", port=22, known_hosts=tmp_path / "kh3",
                        proxy_jump="none")
    assert (t2.user, t2.port, t2.known_hosts, t2.proxy_jump) == ("bob", 22, (f"{tmp_path}/kh3",), None)
    other = resolve_target("elsewhere.example.org", ssh_config=cfg)
    assert (other.hostname, other.port, other.proxy_jump) == ("elsewhere.example.org", 22, None)


def test_resolve_target_missing_config_file_is_named(tmp_path):
    with pytest.raises(TransportError, match="does not exist"):
        resolve_target("x", ssh_config=tmp_path / "nope")


def test_known_hosts_name_and_fingerprint_format(tmp_path):
    """Fingerprints must match what ``ssh-keygen -lf`` prints so users can compare them."""
    assert known_hosts_name("h", 22) == "h"
    assert known_hosts_name("h", 2222) == "[h]:2222"
    key_path = tmp_path / "k"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key_path)], check=True)
    expected = subprocess.run(["ssh-keygen", "-lf", f"{key_path}.pub"], check=True, capture_output=True,
                              text=True).stdout.split()[1]
    assert fingerprint(paramiko.Ed25519Key.from_private_key_file(str(key_path))) == expected


def test_login_shell_keeps_argv_byte_identical_and_stdin(ssh_endpoint):
    """login_shell = true: the command runs after the login shell's profile, arguments unchanged."""
    t = make(ssh_endpoint, login_shell=True)
    try:
        result = t.run(["printf", "%s\\0", *HOSTILE])
        assert result.stdout.split("\0")[:-1] == HOSTILE
        assert t.run(["cat"], stdin=b"through stdin").stdout == "through stdin"
        assert t.run(["sh", "-c", "exit 7"]).returncode == 7
    finally:
        t.close()
