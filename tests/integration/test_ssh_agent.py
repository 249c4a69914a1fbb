"""Keys from a real ssh-agent, with IdentitiesOnly, against the real sshd on loopback.

The common cluster set-up: an encrypted key unlocked once into ssh-agent, named by IdentityFile
with ``IdentitiesOnly yes``. OpenSSH connects without asking anything; so must hpcest. Without
the agent, the passphrase is asked for on a terminal only (a real pty here), and the error
without one says to use the agent. The agent is started by the test and stopped by its PID.
"""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hpc_estimator.errors import TransportError
from hpc_estimator.testing import local_cluster as lc
from hpc_estimator.transport.ssh import SshTransport

PASSPHRASE = "correct horse battery staple"


def _keygen(path: Path, passphrase: str) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", path.name, "-f", str(path)],
                   check=True)  # fmt: skip


@pytest.fixture
def keys(ssh_endpoint: lc.SshEndpoint, tmp_path: Path) -> Iterator[dict[str, Path]]:
    """An encrypted key the server accepts, and a second (unencrypted) one it does not know."""
    if shutil.which("ssh-agent") is None or shutil.which("ssh-add") is None:
        pytest.fail("ssh-agent and ssh-add are required (openssh-client)")
    encrypted, stranger = tmp_path / "id_cluster", tmp_path / "id_other"
    _keygen(encrypted, PASSPHRASE)
    _keygen(stranger, "")
    authorized = ssh_endpoint.identity_file.parent / "authorized_keys"
    before = authorized.read_text()
    authorized.write_text(before + encrypted.with_suffix(".pub").read_text())
    try:
        yield {"encrypted": encrypted, "stranger": stranger}
    finally:
        authorized.write_text(before)


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A real ssh-agent in the foreground (-D), so its PID is ours to stop."""
    sock = tmp_path / "agent.sock"
    proc = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while not sock.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"ssh-agent did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
        time.sleep(0.05)
    try:
        yield {"SSH_AUTH_SOCK": str(sock)}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _ssh_add(env: dict[str, str], key: Path, passphrase: str, tmp_path: Path) -> None:
    """ssh-add without a terminal: the passphrase comes from an SSH_ASKPASS program."""
    askpass = tmp_path / "askpass.sh"
    askpass.write_text(f"#!/bin/sh\nprintf '%s\\n' '{passphrase}'\n")
    askpass.chmod(0o700)
    full = {**os.environ, **env, "SSH_ASKPASS": str(askpass), "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"}
    result = subprocess.run(["ssh-add", str(key)], env=full, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _config(ep: lc.SshEndpoint, tmp_path: Path, identity: Path, identities_only: bool = True) -> Path:
    path = tmp_path / "ssh_config"
    path.write_text(
        textwrap.dedent(
            f"""\
            Host cluster
              HostName {ep.host}
              Port {ep.port}
              User {ep.user}
              IdentityFile {identity}
              IdentitiesOnly {"yes" if identities_only else "no"}
              UserKnownHostsFile {ep.known_hosts}
            """
        )
    )
    return path


def _no_prompt(path: str) -> None:
    raise AssertionError(f"asked for the passphrase of {path}, but the agent holds the key")


def test_identities_only_uses_the_agents_copy_of_the_encrypted_key(ssh_endpoint, keys, agent, tmp_path,
                                                                   monkeypatch) -> None:  # fmt: skip
    """Before: 'Private key file is encrypted' while OpenSSH connected. The agent also holds an
    unrelated key, which IdentitiesOnly keeps from being offered."""
    _ssh_add(agent, keys["stranger"], "", tmp_path)
    _ssh_add(agent, keys["encrypted"], PASSPHRASE, tmp_path)
    monkeypatch.setenv("SSH_AUTH_SOCK", agent["SSH_AUTH_SOCK"])
    config = _config(ssh_endpoint, tmp_path, keys["encrypted"])
    # OpenSSH itself connects with this set-up (the reference behaviour).
    ssh = subprocess.run(["ssh", "-F", str(config), "-o", "BatchMode=yes", "cluster", "echo", "openssh-ok"],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert ssh.stdout.strip() == "openssh-ok", ssh.stderr
    t = SshTransport("cluster", ssh_config=config, prompt=_no_prompt)
    try:
        assert t.run(["echo", "ok"]).stdout.strip() == "ok"
        assert t._keys.notes.agent_keys == 2 and t._keys.notes.agent_offered == 1
    finally:
        t.close()


def test_without_agent_or_terminal_the_error_says_to_use_the_agent(ssh_endpoint, keys, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    t = SshTransport("cluster", ssh_config=_config(ssh_endpoint, tmp_path, keys["encrypted"]), prompt=lambda _p: None)
    try:
        with pytest.raises(TransportError) as info:
            t.run(["true"])
    finally:
        t.close()
    message = str(info.value)
    assert "no ssh-agent (SSH_AUTH_SOCK is not set)" in message
    assert f"{keys['encrypted']} is encrypted and not in ssh-agent" in message
    assert f"ssh-add {keys['encrypted']}" in message


def test_agent_without_the_named_key_is_not_offered_its_other_keys(ssh_endpoint, keys, agent, tmp_path,
                                                                   monkeypatch) -> None:  # fmt: skip
    _ssh_add(agent, keys["stranger"], "", tmp_path)
    monkeypatch.setenv("SSH_AUTH_SOCK", agent["SSH_AUTH_SOCK"])
    t = SshTransport("cluster", ssh_config=_config(ssh_endpoint, tmp_path, keys["encrypted"]), prompt=lambda _p: None)
    try:
        with pytest.raises(TransportError, match=r"ssh-agent: 0 of its 1 key\(s\) offered"):
            t.run(["true"])
    finally:
        t.close()


_CHILD = """
import sys
from hpc_estimator.transport.ssh import SshTransport
t = SshTransport("cluster", ssh_config=sys.argv[1])
print("first:", t.run(["echo", "ok"]).stdout.strip(), flush=True)
t._drop()  # the connection drops; the reconnection must not ask again
print("again:", t.run(["echo", "ok"]).stdout.strip(), flush=True)
t.close()
"""


def test_on_a_terminal_the_passphrase_is_asked_once(ssh_endpoint, keys, tmp_path) -> None:
    """A real pseudo-terminal: ssh's prompt, the typed passphrase, one prompt for two connections."""
    config = _config(ssh_endpoint, tmp_path, keys["encrypted"])
    env = {k: v for k, v in os.environ.items() if k != "SSH_AUTH_SOCK"}
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.execve(sys.executable, [sys.executable, "-c", _CHILD, str(config)], env)
    output = b""
    prompts = 0
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break  # the child closed the terminal
            if not chunk:
                break
            output += chunk
            if output.count(b"Enter passphrase for key") > prompts:
                prompts += 1
                os.write(fd, PASSPHRASE.encode() + b"\n")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    text = output.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert f"Enter passphrase for key '{keys['encrypted']}'" in text
    assert prompts == 1, text
    assert "first: ok" in text and "again: ok" in text
