"""Run Slurm commands and move files on this machine (the login node is where we already are)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import CommandTimeout, TransportError
from ..util.atomic import write_atomic
from . import RemoteFileNotFoundError, login_shell
from .base import CommandResult, Progress


def _expand(path: str | os.PathLike[str]) -> Path:
    return Path(os.path.expanduser(os.fspath(path)))


class LocalTransport:
    """The :class:`~hpc_estimator.transport.base.Transport` for a cluster we are logged in to.

    Commands run through ``subprocess`` with argv lists (never a shell). ``env`` replaces the
    environment of every command (default: this process's environment at call time), e.g. to
    point Slurm clients at a ``SLURM_CONF``.
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        *,
        login_shell: bool = False,
    ) -> None:
        self.env = dict(env) if env is not None else None
        self.cwd = os.fspath(cwd) if cwd is not None else None
        self.login_shell = login_shell

    def run(
        self,
        argv: Sequence[str],
        *,
        stdin: bytes | None = None,
        timeout: float | None = None,
        idempotent: bool = True,
    ) -> CommandResult:
        # idempotent is accepted for protocol compatibility: a local process cannot lose its
        # connection, so there is nothing to retry.
        argv = tuple(str(a) for a in argv)
        if not argv:
            raise TransportError("empty command: pass at least the program name")
        env = self.env if self.env is not None else dict(os.environ)
        command = login_shell.wrap(argv) if self.login_shell else argv
        try:
            proc = subprocess.run(
                list(command),
                input=stdin if stdin is not None else b"",
                capture_output=True,
                timeout=timeout,
                env=env,
                cwd=self.cwd,
                check=False,
            )
        except FileNotFoundError as exc:
            raise TransportError(
                f"command not found: {argv[0]!r} (is it installed and on PATH of this machine?)"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            # subprocess.run has already killed the child
            raise CommandTimeout(f"command timed out after {timeout} s: {' '.join(argv)}") from exc
        stdout = proc.stdout.decode("utf-8", errors="replace")
        return CommandResult(
            argv=argv,
            returncode=proc.returncode,
            stdout=login_shell.strip_profile_output(stdout) if self.login_shell else stdout,
            stderr=proc.stderr.decode("utf-8", errors="replace"),
        )

    def put(self, local: Path, remote: str, *, progress: Progress | None = None) -> None:
        dst = _expand(remote)
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            if progress is None:
                shutil.copy2(local, dst)
            else:
                total = os.path.getsize(local)
                done = 0
                with open(local, "rb") as src, open(dst, "wb") as out:
                    while chunk := src.read(1 << 20):
                        out.write(chunk)
                        done += len(chunk)
                        progress(done, total)
                shutil.copystat(local, dst)
        except OSError as exc:
            raise TransportError(f"cannot copy {local} to {dst}: {exc}") from exc

    def get(self, remote: str, local: Path) -> None:
        src = _expand(remote)
        Path(local).parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy2(src, local)
        except FileNotFoundError as exc:
            if not src.exists():
                raise RemoteFileNotFoundError(f"no such file: {src}") from exc
            raise TransportError(f"cannot copy {src} to {local}: {exc}") from exc
        except OSError as exc:
            raise TransportError(f"cannot copy {src} to {local}: {exc}") from exc

    def read_text(self, remote: str) -> str:
        path = _expand(remote)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise RemoteFileNotFoundError(f"no such file: {path}") from exc
        except OSError as exc:
            raise TransportError(f"cannot read {path}: {exc}") from exc

    def write_text(self, remote: str, text: str, *, mode: int = 0o644) -> None:
        path = _expand(remote)
        try:
            write_atomic(path, text.encode("utf-8"), mode)
        except OSError as exc:
            raise TransportError(f"cannot write {path}: {exc}") from exc

    def close(self) -> None:
        """Nothing to release; present so callers can treat every transport alike."""

    def __enter__(self) -> LocalTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
