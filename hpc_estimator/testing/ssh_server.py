"""Files for a key-only sshd on loopback, and the paramiko probe that proves it accepts our key."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import paramiko

SSH_ALIAS = "hpcest-test"


@dataclass(frozen=True)
class SshFiles:
    directory: Path

    @property
    def host_key(self) -> Path:
        return self.directory / "ssh_host_ed25519_key"

    @property
    def client_key(self) -> Path:
        return self.directory / "id_ed25519"

    @property
    def authorized_keys(self) -> Path:
        return self.directory / "authorized_keys"

    @property
    def known_hosts(self) -> Path:
        return self.directory / "known_hosts"

    @property
    def sshd_config(self) -> Path:
        return self.directory / "sshd_config"

    @property
    def ssh_config(self) -> Path:
        return self.directory / "ssh_config"


def generate_keys(files: SshFiles) -> None:
    """Create the host key and the client key (ed25519, no passphrase) unless they exist."""
    files.directory.mkdir(parents=True, exist_ok=True)
    files.directory.chmod(0o700)
    for key, comment in ((files.host_key, "hpcest-test-host"), (files.client_key, "hpcest-test-user")):
        if not key.exists():
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(key)],
                check=True,
                capture_output=True,
                text=True,
            )
    files.authorized_keys.write_text(files.client_key.with_suffix(".pub").read_text())
    files.authorized_keys.chmod(0o600)


def known_hosts_line(host: str, port: int, host_pub_key: str) -> str:
    # Non-standard ports are written "[host]:port", which both OpenSSH and paramiko understand.
    key_type, key_b64 = host_pub_key.split()[:2]
    return f"[{host}]:{port} {key_type} {key_b64}\n"


def render_sshd_config(files: SshFiles, *, port: int, pid_file: Path, session_env: dict[str, str]) -> str:
    set_env = " ".join(f'"{k}={v}"' for k, v in sorted(session_env.items()))
    return "\n".join(
        [
            f"Port {port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {files.host_key}",
            f"PidFile {pid_file}",
            f"AuthorizedKeysFile {files.authorized_keys}",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            "# The keys may live under a world-writable /tmp, which StrictModes would reject.",
            "StrictModes no",
            "UsePAM no",
            "X11Forwarding no",
            "PrintMotd no",
            "Subsystem sftp /usr/lib/openssh/sftp-server",
            "# Sessions find the cluster (SLURM_CONF) and keep MPI traffic on loopback, like a login node.",
            f"SetEnv {set_env}",
            "",
        ]
    )


def render_ssh_config(files: SshFiles, *, port: int, user: str, alias: str = SSH_ALIAS) -> str:
    return "\n".join(
        [
            f"Host {alias}",
            "  HostName 127.0.0.1",
            f"  Port {port}",
            f"  User {user}",
            f"  IdentityFile {files.client_key}",
            "  IdentitiesOnly yes",
            f"  UserKnownHostsFile {files.known_hosts}",
            "  StrictHostKeyChecking yes",
            "  BatchMode yes",
            "",
        ]
    )


def probe(host: str, port: int, user: str, files: SshFiles, timeout: float = 5.0) -> str:
    """Log in with the client key, checking the host key strictly; return ``$SLURM_CONF`` seen there.

    Raises paramiko / OSError exceptions while sshd is not (yet) accepting connections.
    """
    client = paramiko.SSHClient()
    client.load_host_keys(str(files.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(
            host,
            port=port,
            username=user,
            key_filename=str(files.client_key),
            allow_agent=False,
            look_for_keys=False,
            timeout=timeout,
            banner_timeout=timeout,
            auth_timeout=timeout,
        )
        _, stdout, _ = client.exec_command('printf %s "$SLURM_CONF"', timeout=timeout)
        return stdout.read().decode()
    finally:
        client.close()
