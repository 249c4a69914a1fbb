"""Which keys an SSH connection offers, in OpenSSH's order and by its rules.

The common set-up on clusters: an encrypted key, unlocked once into ``ssh-agent``, named by
``IdentityFile`` with ``IdentitiesOnly yes`` (so a long agent list does not exhaust the server's
``MaxAuthTries``). OpenSSH then offers the agent's copy of that key; it never needs the
passphrase. The rules here are OpenSSH's (ssh_config(5), IdentitiesOnly):

* without IdentitiesOnly: every agent key, then the identity files;
* with IdentitiesOnly: only agent keys whose public half is one of the identity files (read
  from ``<file>.pub``, or from the private file when it is not encrypted), then the files;
* no IdentityFile given: the default files ``~/.ssh/id_ed25519``, ``id_ecdsa``, ``id_rsa``;
* an encrypted file whose key the agent already offered is not asked about again; otherwise
  its passphrase is asked for on a terminal only (a batch job or CI gets a clear error instead),
  once per process: a reconnection after a dropped connection reuses the unlocked key.
"""

from __future__ import annotations

import base64
import getpass
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paramiko
from paramiko.auth_strategy import AuthSource, AuthStrategy, InMemoryPrivateKey

DEFAULT_IDENTITY_FILES = ("~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa")

# Asks for a key's passphrase; None when nobody can answer (no terminal).
PassphrasePrompt = Callable[[str], "str | None"]


def ask_on_terminal(path: str) -> str | None:
    """``getpass`` when stdin is a terminal, as ssh does; never blocks a batch run."""
    if not sys.stdin.isatty():
        return None
    return getpass.getpass(f"Enter passphrase for key '{path}': ")


def load_key(path: str, passphrase: str | None = None) -> paramiko.PKey:
    """A private key file; PasswordRequiredException when it is encrypted and no passphrase given.

    (paramiko reports an encrypted OpenSSH-format key as cryptography's TypeError.)
    """
    try:
        return paramiko.PKey.from_path(path, password=passphrase.encode() if passphrase is not None else None)
    except TypeError as exc:
        if passphrase is None and "password" in str(exc).lower():
            raise paramiko.PasswordRequiredException(str(exc)) from exc
        raise


def public_blob_of(path: str) -> bytes | None:
    """The public key of identity file ``path`` (its ``.pub``, else the unencrypted private file)."""
    pub = Path(path + ".pub")
    if pub.is_file():
        try:
            fields = pub.read_text().split()
            return base64.b64decode(fields[1]) if len(fields) >= 2 else None
        except (OSError, ValueError):
            return None
    try:
        return load_key(path).asbytes()
    except (paramiko.SSHException, OSError, ValueError, TypeError):
        return None  # encrypted without a .pub, or unreadable: not matchable


@dataclass
class KeyNotes:
    """What was (not) offered, for an authentication error that says why."""

    agent_socket: str | None = None
    agent_keys: int = 0
    agent_offered: int = 0
    files_offered: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "path: why"

    def describe(self) -> str:
        parts = []
        if self.agent_socket is None:
            parts.append("no ssh-agent (SSH_AUTH_SOCK is not set)")
        else:
            parts.append(f"ssh-agent: {self.agent_offered} of its {self.agent_keys} key(s) offered")
        if self.files_offered:
            parts.append("key file(s) offered: " + ", ".join(self.files_offered))
        parts += self.skipped
        return "; ".join(parts)


class OpenSshKeys(AuthStrategy):
    """The public keys to offer, lazily: a passphrase is asked for only if the agent's keys fail."""

    def __init__(
        self,
        username: str,
        identity_files: tuple[str, ...],
        *,
        identities_only: bool,
        prompt: PassphrasePrompt = ask_on_terminal,
        agent_factory: Callable[[], paramiko.Agent] = paramiko.Agent,
    ) -> None:
        super().__init__(ssh_config=None)
        self.username = username
        self.explicit_files = identity_files
        self.identities_only = identities_only
        self.prompt = prompt
        self.agent_factory = agent_factory
        self.unlocked: dict[str, paramiko.PKey] = {}  # path -> key decrypted earlier in this process
        self.notes = KeyNotes()

    def identity_files(self) -> list[str]:
        if self.explicit_files:
            return list(self.explicit_files)
        return [p for p in (os.path.expanduser(f) for f in DEFAULT_IDENTITY_FILES) if os.path.isfile(p)]

    def get_sources(self) -> Iterator[AuthSource]:
        self.notes = KeyNotes(agent_socket=os.environ.get("SSH_AUTH_SOCK"))
        files = self.identity_files()
        wanted = {blob for blob in (public_blob_of(p) for p in files) if blob}
        offered: set[bytes] = set()
        agent_keys: tuple[paramiko.AgentKey, ...] = ()
        if self.notes.agent_socket:
            try:
                agent_keys = tuple(self.agent_factory().get_keys())
            except (paramiko.SSHException, OSError) as exc:
                self.notes.skipped.append(f"ssh-agent at {self.notes.agent_socket} did not answer ({exc})")
        self.notes.agent_keys = len(agent_keys)
        for key in agent_keys:
            if self.identities_only and key.asbytes() not in wanted:
                continue
            offered.add(key.asbytes())
            self.notes.agent_offered += 1
            yield InMemoryPrivateKey(self.username, key)
        for path in files:
            key = self._load(path, offered)
            if key is not None:
                self.notes.files_offered.append(path)
                yield InMemoryPrivateKey(self.username, key)

    def _load(self, path: str, offered: set[bytes]) -> paramiko.PKey | None:
        if path in self.unlocked:
            return self.unlocked[path]
        try:
            key = load_key(path)
            # Offered once: each attempt counts against the server's MaxAuthTries.
            return None if key.asbytes() in offered else key
        except paramiko.PasswordRequiredException:
            pass
        except (paramiko.SSHException, OSError, ValueError, TypeError) as exc:
            self.notes.skipped.append(f"{path}: cannot be read as a private key ({exc})")
            return None
        blob = public_blob_of(path)
        if blob is not None and blob in offered:
            return None  # the agent's copy of this very key was offered already
        passphrase = self.prompt(path)
        if passphrase is None:
            self.notes.skipped.append(
                f"{path} is encrypted and not in ssh-agent, and there is no terminal to ask for its "
                f"passphrase: add it to the agent (ssh-add {path}) and make sure SSH_AUTH_SOCK reaches hpcest"
            )
            return None
        try:
            key = load_key(path, passphrase)
        except (paramiko.SSHException, ValueError, TypeError) as exc:
            self.notes.skipped.append(f"{path}: wrong passphrase ({exc})")
            return None
        self.unlocked[path] = key
        return key
