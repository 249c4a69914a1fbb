"""Reach a cluster's login node over SSH (paramiko): one connection, reused for everything.

Why one connection: opening an SSH session costs a TCP handshake, key exchange and
authentication (tens of milliseconds locally, far more across a WAN, and some sites rate-limit
logins). Status polling would otherwise open hundreds of them. ``bench/bench_ssh.py`` measures it.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import getpass
import hashlib
import os
import posixpath
import shlex
import socket
import stat
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import paramiko

from ..errors import CommandTimeout, HostKeyError, TransportError
from . import RemoteFileNotFoundError, login_shell
from .base import CommandResult, Progress
from .ssh_auth import OpenSshKeys, PassphrasePrompt, ask_on_terminal

T = TypeVar("T")

# Failures that mean "the connection went away", as opposed to "the server said no".
_DROPPED: tuple[type[BaseException], ...] = (
    paramiko.SSHException,
    EOFError,
    OSError,
)


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH-style SHA256 fingerprint: ``SHA256:`` + unpadded base64 of the key blob digest."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def known_hosts_name(host: str, port: int) -> str:
    """How OpenSSH names a host in known_hosts: ``host`` on port 22, else ``[host]:port``."""
    return host if port == 22 else f"[{host}]:{port}"


def command_line(argv: Sequence[str], *, env: Mapping[str, str] | None = None, login: bool = False) -> str:
    """The one string sshd hands the remote shell (``$SHELL -c COMMAND``) for ``argv``: quoted
    with ``shlex.join``, after ``env K=V`` for ``env`` and inside the login-shell wrapper for
    ``login``. Linux limits it, as one argument, to 128 KiB (``util.argv_chunks``)."""
    full = tuple(argv)
    if env:
        full = ("env", *(f"{k}={v}" for k, v in env.items()), *full)
    if login:
        full = login_shell.wrap(full)
    return shlex.join(full)


class _Dropped(Exception):
    # internal signal, never escapes this module
    """The connection broke; ``sent`` says whether the command may have reached the server."""

    def __init__(self, cause: BaseException, sent: bool) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.sent = sent


@dataclass(frozen=True)
class SshTarget:
    """Connection settings after merging explicit arguments over ``ssh_config``."""

    alias: str
    hostname: str
    port: int
    user: str
    identity_files: tuple[str, ...]
    known_hosts: tuple[str, ...]
    proxy_jump: str | None
    identities_only: bool
    trust_unknown_host: bool


def _expand_local(path: str) -> str:
    return os.path.expanduser(os.path.expandvars(path))


def resolve_target(
    host: str,
    *,
    user: str | None = None,
    port: int | None = None,
    identity_file: str | os.PathLike[str] | None = None,
    known_hosts: str | os.PathLike[str] | None = None,
    ssh_config: str | os.PathLike[str] | None = None,
    proxy_jump: str | None = None,
    trust_unknown_host: bool | None = None,
) -> SshTarget:
    """Merge explicit settings over ``ssh_config`` (default ``~/.ssh/config``), like ``ssh`` does.

    Explicit arguments win; then the config's HostName, User, Port, IdentityFile,
    UserKnownHostsFile, ProxyJump, IdentitiesOnly and StrictHostKeyChecking; then defaults.
    """
    config_path = Path(_expand_local(os.fspath(ssh_config))) if ssh_config else Path.home() / ".ssh" / "config"
    cfg: dict = {}
    if config_path.is_file():
        cfg = dict(paramiko.SSHConfig.from_path(str(config_path)).lookup(host))
    elif ssh_config:
        raise TransportError(f"ssh_config file {config_path} does not exist: fix the path or leave it unset")

    hostname = cfg.get("hostname", host)
    resolved_port = int(port if port is not None else cfg.get("port", 22))
    resolved_user = user or cfg.get("user") or getpass.getuser()
    if identity_file is not None:
        identities: tuple[str, ...] = (_expand_local(os.fspath(identity_file)),)
    else:
        identities = tuple(_expand_local(p) for p in cfg.get("identityfile", []) if os.path.exists(_expand_local(p)))
    if known_hosts is not None:
        hosts_files: tuple[str, ...] = (_expand_local(os.fspath(known_hosts)),)
    elif cfg.get("userknownhostsfile"):
        hosts_files = tuple(_expand_local(p) for p in cfg["userknownhostsfile"].split())
    else:
        hosts_files = (str(Path.home() / ".ssh" / "known_hosts"),)
    jump = proxy_jump if proxy_jump is not None else cfg.get("proxyjump")
    if jump and jump.lower() == "none":
        jump = None
    if trust_unknown_host is None:
        # the user's own ssh_config may relax checking; hpcest's default stays strict
        trust_unknown_host = cfg.get("stricthostkeychecking", "yes").lower() in ("no", "accept-new", "off")
    return SshTarget(
        alias=host,
        hostname=hostname,
        port=resolved_port,
        user=resolved_user,
        identity_files=identities,
        known_hosts=hosts_files,
        proxy_jump=jump,
        identities_only=cfg.get("identitiesonly", "no").lower() == "yes",
        trust_unknown_host=trust_unknown_host,
    )


class _HostKeyPolicy(paramiko.MissingHostKeyPolicy):
    """Refuse unknown hosts with a message that says how to trust them, or record them if allowed."""

    def __init__(self, target: SshTarget) -> None:
        self.target = target

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        t = self.target
        name = known_hosts_name(t.hostname, t.port)
        if t.trust_unknown_host:
            # accept-new semantics: trust on first use, remember it so a later change is caught
            client.get_host_keys().add(name, key.get_name(), key)
            _append_known_host(t.known_hosts[0], name, key)
            return
        files = ", ".join(t.known_hosts)
        raise HostKeyError(
            f"the SSH host key of {name} is not known (looked in {files}).\n"
            f"  The server presented: {key.get_name()} {fingerprint(key)}\n"
            f"  Check this fingerprint with your cluster admins, then trust it with\n"
            f"    ssh-keyscan -p {t.port} -t {key.get_name()} {t.hostname} >> {t.known_hosts[0]}\n"
            f"  (or connect once with OpenSSH: ssh -p {t.port} {t.user}@{t.hostname}),\n"
            f"  or accept it on first use with SshTransport(..., trust_unknown_host=True)."
        )


def _append_known_host(path: str, name: str, key: paramiko.PKey) -> None:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("a", encoding="ascii") as fh:
        fh.write(f"{name} {key.get_name()} {key.get_base64()}\n")


class SshTransport:
    """The :class:`~hpc_estimator.transport.base.Transport` for a remote login node.

    The connection is opened on first use and shared by every command and file transfer;
    ``close()`` releases it. ``env`` (optional) is set for every command through ``env K=V``.
    """

    def __init__(
        self,
        host: str,
        *,
        user: str | None = None,
        port: int | None = None,
        identity_file: str | os.PathLike[str] | None = None,
        known_hosts: str | os.PathLike[str] | None = None,
        ssh_config: str | os.PathLike[str] | None = None,
        proxy_jump: str | None = None,
        trust_unknown_host: bool | None = None,
        connect_timeout: float = 15.0,
        keepalive: int = 30,
        env: Mapping[str, str] | None = None,
        prompt: PassphrasePrompt = ask_on_terminal,
        login_shell: bool = False,
    ) -> None:
        self.target = resolve_target(
            host, user=user, port=port, identity_file=identity_file, known_hosts=known_hosts,
            ssh_config=ssh_config, proxy_jump=proxy_jump, trust_unknown_host=trust_unknown_host,
        )
        self._ssh_config = ssh_config
        self.connect_timeout = connect_timeout
        self.keepalive = keepalive
        self.env = dict(env or {})
        self.login_shell = login_shell
        self._client: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None
        self._jump: SshTransport | None = None
        self._home: str | None = None
        self._lock = threading.RLock()
        self.connects = 0  # how many times a connection was opened (reuse is observable)
        # Kept for the transport's life: a key unlocked once is reused when the connection is reopened.
        self._keys = OpenSshKeys(
            self.target.user, self.target.identity_files, identities_only=self.target.identities_only, prompt=prompt
        )

    # ------------------------------------------------------------------ connection

    def __repr__(self) -> str:
        t = self.target
        return f"SshTransport({t.user}@{t.hostname}:{t.port})"

    @property
    def transport(self) -> paramiko.Transport:
        """The live paramiko Transport (opened if needed)."""
        client = self._connect()
        tr = client.get_transport()
        assert tr is not None
        return tr

    def _alive(self) -> bool:
        if self._client is None:
            return False
        tr = self._client.get_transport()
        return tr is not None and tr.is_active()

    def _connect(self) -> paramiko.SSHClient:
        with self._lock:
            if self._alive():
                assert self._client is not None
                return self._client
            self._drop()
            t = self.target
            client = paramiko.SSHClient()
            for path in t.known_hosts:
                if os.path.isfile(path):
                    client.get_host_keys().load(path)
            if os.path.isfile("/etc/ssh/ssh_known_hosts"):
                client.load_system_host_keys("/etc/ssh/ssh_known_hosts")
            client.set_missing_host_key_policy(_HostKeyPolicy(t))
            sock = self._open_jump_channel() if t.proxy_jump else None
            try:
                client.connect(
                    t.hostname,
                    port=t.port,
                    username=t.user,
                    auth_strategy=self._keys,
                    sock=sock,
                    timeout=self.connect_timeout,
                    banner_timeout=self.connect_timeout,
                    auth_timeout=self.connect_timeout,
                )
            except HostKeyError:
                client.close()
                raise
            except paramiko.BadHostKeyException as exc:
                client.close()
                raise self._changed_key_error(exc) from exc
            except paramiko.AuthenticationException as exc:
                client.close()
                raise TransportError(
                    f"SSH authentication to {t.user}@{t.hostname}:{t.port} failed: {self._keys.notes.describe()}. "
                    f"The server accepted none of them: set identity_file (or IdentityFile in ssh_config) to a "
                    f"key listed in the remote ~/.ssh/authorized_keys, or load it into ssh-agent (ssh-add)."
                ) from exc
            except (paramiko.SSHException, OSError) as exc:
                client.close()
                raise TransportError(
                    f"cannot connect to {t.user}@{t.hostname}:{t.port}: {exc}. "
                    f"Check the host name, port and that sshd is reachable (try: ssh -p {t.port} "
                    f"{t.user}@{t.hostname} true)."
                ) from exc
            tr = client.get_transport()
            assert tr is not None
            if isinstance(tr.sock, socket.socket):
                # Without TCP_NODELAY, Nagle's algorithm meets the server's delayed ACK and every
                # channel open after the first waits ~40 ms: a third of a status poll's cost.
                tr.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.keepalive:
                # NAT boxes and firewalls drop idle TCP flows; a keepalive keeps a polling
                # connection usable between polls
                tr.set_keepalive(self.keepalive)
            self._client = client
            self.connects += 1
            return client

    def _open_jump_channel(self) -> paramiko.Channel:
        """A ``direct-tcpip`` channel through the ProxyJump host(s) to the target."""
        t = self.target
        assert t.proxy_jump
        hops = [h.strip() for h in t.proxy_jump.split(",") if h.strip()]
        last = hops[-1]
        user, _, hostport = last.rpartition("@")
        if hostport.startswith("["):  # [v6addr]:port
            host, _, rest = hostport[1:].partition("]")
            port = int(rest[1:]) if rest.startswith(":") else None
        elif hostport.count(":") == 1:
            host, port_s = hostport.split(":")
            port = int(port_s)
        else:
            host, port = hostport, None
        if self._jump is None:
            # earlier hops chain through the jump host's own transport (ssh -J a,b semantics)
            self._jump = SshTransport(
                host, user=user or None, port=port, ssh_config=self._ssh_config,
                proxy_jump=",".join(hops[:-1]) if len(hops) > 1 else None,
                connect_timeout=self.connect_timeout, keepalive=self.keepalive,
            )
        try:
            return self._jump.transport.open_channel(
                "direct-tcpip", (t.hostname, t.port), ("127.0.0.1", 0), timeout=self.connect_timeout
            )
        except (paramiko.SSHException, OSError) as exc:
            raise TransportError(
                f"jump host {last} could not open a tunnel to {t.hostname}:{t.port}: {exc}. "
                f"Check that the jump host can reach the target (AllowTcpForwarding must be on)."
            ) from exc

    def _changed_key_error(self, exc: paramiko.BadHostKeyException) -> HostKeyError:
        t = self.target
        name = known_hosts_name(t.hostname, t.port)
        return HostKeyError(
            f"REMOTE HOST IDENTIFICATION HAS CHANGED for {name}: refusing to connect.\n"
            f"  known_hosts ({', '.join(t.known_hosts)}) has {exc.expected_key.get_name()} "
            f"{fingerprint(exc.expected_key)},\n"
            f"  the server now presents {exc.key.get_name()} {fingerprint(exc.key)}.\n"
            f"  Someone could be intercepting the connection, or the host was reinstalled. Only after\n"
            f"  your cluster admins confirm the new key: ssh-keygen -R '{name}' -f {t.known_hosts[0]}\n"
            f"  and add the new key (ssh-keyscan -p {t.port} {t.hostname} >> {t.known_hosts[0]})."
        )

    def _drop(self) -> None:
        """Forget the current connection (closing whatever is left of it)."""
        sftp, client = self._sftp, self._client
        self._sftp = self._client = None
        for thing in (sftp, client):
            if thing is not None:
                # closing a dead connection may fail in many ways; it is gone either way
                with contextlib.suppress(Exception):
                    thing.close()

    def close(self) -> None:
        with self._lock:
            self._drop()
            if self._jump is not None:
                self._jump.close()
                self._jump = None

    def __enter__(self) -> SshTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _with_retry(self, op: Callable[[], T], *, idempotent: bool, what: str) -> T:
        """Run ``op``; after a dropped connection reconnect and retry once if that is safe."""
        try:
            return op()
        except _Dropped as exc:
            first = exc
        with self._lock:
            self._drop()
        if first.sent and not idempotent:
            t = self.target
            raise TransportError(
                f"the SSH connection to {t.hostname}:{t.port} broke while running {what!r}; the outcome is "
                f"unknown (the command may or may not have run). It was not retried because it is not "
                f"idempotent: look for its effect (e.g. the job by its unique name) before trying again."
            ) from first.cause
        try:
            return op()
        except _Dropped as exc:
            with self._lock:
                self._drop()
            t = self.target
            raise TransportError(
                f"the SSH connection to {t.hostname}:{t.port} broke twice while running {what!r} "
                f"({exc.cause!r}); check the network and the login node"
            ) from exc.cause

    # ------------------------------------------------------------------ commands

    def run(
        self,
        argv: Sequence[str],
        *,
        stdin: bytes | None = None,
        timeout: float | None = None,
        idempotent: bool = True,
    ) -> CommandResult:
        argv = tuple(str(a) for a in argv)
        if not argv:
            raise TransportError("empty command: pass at least the program name")
        command = command_line(argv, env=self.env, login=self.login_shell)
        result = self._with_retry(
            lambda: self._exec(argv, command, stdin, timeout), idempotent=idempotent, what=shlex.join(argv)
        )
        if self.login_shell:
            result = dataclasses.replace(result, stdout=login_shell.strip_profile_output(result.stdout))
        return result

    def _exec(self, argv: tuple[str, ...], command: str, stdin: bytes | None, timeout: float | None) -> CommandResult:
        try:
            chan = self._connect().get_transport().open_session(timeout=self.connect_timeout)  # type: ignore[union-attr]
        except _DROPPED as exc:
            raise _Dropped(exc, sent=False) from exc
        try:
            try:
                chan.exec_command(command)
            except _DROPPED as exc:
                raise _Dropped(exc, sent=True) from exc
            return self._collect(chan, argv, stdin, timeout)
        finally:
            chan.close()

    def _collect(
        self, chan: paramiko.Channel, argv: tuple[str, ...], stdin: bytes | None, timeout: float | None
    ) -> CommandResult:
        # stdout, stderr and stdin each get their own thread: a remote process blocked writing a
        # full stderr window (or waiting for stdin) would otherwise deadlock a sequential reader.
        out: list[bytes] = []
        err: list[bytes] = []
        failures: list[BaseException] = []

        def pump(recv: Callable[[int], bytes], sink: list[bytes]) -> None:
            try:
                while True:
                    data = recv(65536)
                    if not data:
                        return
                    sink.append(data)
            except BaseException as exc:
                failures.append(exc)

        def feed() -> None:
            try:
                if stdin:
                    chan.sendall(stdin)
                chan.shutdown_write()
            except BaseException as exc:
                failures.append(exc)

        threads = [
            threading.Thread(target=pump, args=(chan.recv, out), daemon=True),
            threading.Thread(target=pump, args=(chan.recv_stderr, err), daemon=True),
            threading.Thread(target=feed, daemon=True),
        ]
        for th in threads:
            th.start()
        deadline = None if timeout is None else time.monotonic() + timeout
        for th in threads:
            th.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if th.is_alive():
                chan.close()  # ends the session; sshd then signals the remote command (SIGHUP)
                raise CommandTimeout(f"command timed out after {timeout} s on {self.target.hostname}: "
                                     f"{shlex.join(argv)}")
        if failures:
            raise _Dropped(failures[0], sent=True)
        # status_event is also set when the channel closes because the connection died
        chan.status_event.wait(None if deadline is None else max(0.1, deadline - time.monotonic()))
        code = chan.exit_status if chan.exit_status_ready() else -1
        if code == -1:
            if not self._alive():
                raise _Dropped(EOFError("connection closed before the command reported an exit status"),
                               sent=True)
            # the server closed the session without an exit-status (killed by a signal)
            code = 255
        return CommandResult(
            argv=argv,
            returncode=code,
            stdout=b"".join(out).decode("utf-8", errors="replace"),
            stderr=b"".join(err).decode("utf-8", errors="replace"),
        )

    # ------------------------------------------------------------------ files (SFTP)

    def _sftp_client(self) -> paramiko.SFTPClient:
        with self._lock:
            client = self._connect()
            if self._sftp is None:
                self._sftp = client.open_sftp()
                # the SFTP server starts in the remote home directory
                self._home = self._sftp.normalize(".")
            return self._sftp

    def _sftp_op(self, op: Callable[[paramiko.SFTPClient], T], *, what: str, idempotent: bool = True) -> T:
        def attempt() -> T:
            try:
                sftp = self._sftp_client()
            except _DROPPED as exc:
                raise _Dropped(exc, sent=False) from exc
            try:
                return op(sftp)
            except _DROPPED as exc:
                if isinstance(exc, OSError) and self._alive():
                    raise  # the SFTP server answered with an error; the connection is fine
                raise _Dropped(exc, sent=True) from exc

        return self._with_retry(attempt, idempotent=idempotent, what=what)

    def _remote_path(self, path: str) -> str:
        """Expand ``~`` / ``~/x`` against the remote home; other paths are used as given."""
        if path == "~" or path.startswith("~/"):
            self._sftp_client()
            assert self._home is not None
            return posixpath.join(self._home, path[2:]) if path != "~" else self._home
        if path.startswith("~"):
            raise TransportError(f"cannot expand {path!r} over SFTP: use ~/... or an absolute path")
        return path

    @staticmethod
    def _mkdir_p(sftp: paramiko.SFTPClient, directory: str) -> None:
        if directory in ("", "/", "."):
            return
        try:
            if stat.S_ISDIR(sftp.stat(directory).st_mode or 0):
                return
            raise TransportError(f"remote path {directory} exists and is not a directory")
        except FileNotFoundError:
            pass
        SshTransport._mkdir_p(sftp, posixpath.dirname(directory.rstrip("/")))
        try:
            sftp.mkdir(directory)
        except OSError:
            # created meanwhile by someone else is fine; anything else shows up on the next step
            if not stat.S_ISDIR(sftp.stat(directory).st_mode or 0):
                raise

    def _atomic_upload(self, sftp: paramiko.SFTPClient, remote: str, write: Callable[[str], None], mode: int) -> None:
        self._mkdir_p(sftp, posixpath.dirname(remote))
        tmp = posixpath.join(posixpath.dirname(remote), f".{posixpath.basename(remote)}.{uuid.uuid4().hex}.tmp")
        try:
            write(tmp)
            sftp.chmod(tmp, mode)
            sftp.posix_rename(tmp, remote)
        except BaseException:
            with contextlib.suppress(Exception):  # best effort; the original error matters
                sftp.remove(tmp)
            raise

    def put(self, local: Path, remote: str, *, progress: Progress | None = None) -> None:
        local = Path(local)
        if not local.is_file():
            raise TransportError(f"cannot upload {local}: no such local file")
        mode = stat.S_IMODE(local.stat().st_mode)

        def op(sftp: paramiko.SFTPClient) -> None:
            path = self._remote_path(remote)
            self._atomic_upload(sftp, path, lambda tmp: sftp.put(str(local), tmp, callback=progress), mode)

        self._wrap_os_errors(lambda: self._sftp_op(op, what=f"put {remote}"), remote)

    def get(self, remote: str, local: Path) -> None:
        local = Path(local)
        local.parent.mkdir(parents=True, exist_ok=True)

        def op(sftp: paramiko.SFTPClient) -> None:
            sftp.get(self._remote_path(remote), str(local))

        self._wrap_os_errors(lambda: self._sftp_op(op, what=f"get {remote}"), remote)

    def read_text(self, remote: str) -> str:
        def op(sftp: paramiko.SFTPClient) -> str:
            with sftp.open(self._remote_path(remote), "rb") as fh:
                return fh.read().decode("utf-8")

        return self._wrap_os_errors(lambda: self._sftp_op(op, what=f"read {remote}"), remote)

    def write_text(self, remote: str, text: str, *, mode: int = 0o644) -> None:
        data = text.encode("utf-8")

        def op(sftp: paramiko.SFTPClient) -> None:
            def write(tmp: str) -> None:
                with sftp.open(tmp, "wb") as fh:
                    fh.write(data)

            self._atomic_upload(sftp, self._remote_path(remote), write, mode)

        self._wrap_os_errors(lambda: self._sftp_op(op, what=f"write {remote}"), remote)

    def _wrap_os_errors(self, fn: Callable[[], T], remote: str) -> T:
        try:
            return fn()
        except FileNotFoundError as exc:
            raise RemoteFileNotFoundError(f"no such file on {self.target.hostname}: {remote}") from exc
        except PermissionError as exc:
            raise TransportError(f"permission denied on {self.target.hostname}: {remote} ({exc})") from exc
        except TransportError:
            raise
        except OSError as exc:
            raise TransportError(f"SFTP operation on {self.target.hostname}:{remote} failed: {exc}") from exc
