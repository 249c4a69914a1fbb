"""Choosing TCP ports for a local cluster so that two clusters (or stale leftovers) never collide."""

from __future__ import annotations

import errno
import random
import socket
from dataclasses import dataclass

# Below the kernel's ephemeral range (32768-60999 by default), so outgoing connections made by
# srun, ssh or the test process itself cannot grab one of our ports between the check and the bind.
_AUTO_LOW = 20000
_AUTO_HIGH = 32000


@dataclass(frozen=True)
class PortPlan:
    """Every TCP port one local cluster listens on, all derived from one base."""

    base: int
    nodes: int

    @property
    def slurmctld(self) -> int:
        return self.base

    @property
    def slurmd_default(self) -> int:
        # SlurmdPort must be set, but every node overrides it with its own Port=; kept free anyway.
        return self.base + 1

    @property
    def sshd(self) -> int:
        return self.base + 2

    def node(self, index: int) -> int:
        """Port of slurmd for node ``index`` (1-based)."""
        return self.base + 10 + index - 1

    def all_ports(self, *, ssh: bool) -> list[int]:
        ports = [self.slurmctld, self.slurmd_default]
        if ssh:
            ports.append(self.sshd)
        ports.extend(self.node(i) for i in range(1, self.nodes + 1))
        return ports

    @staticmethod
    def span(nodes: int) -> int:
        return 10 + nodes


def port_is_free(port: int) -> bool:
    """True if nothing listens on ``port`` on any address.

    slurmctld and slurmd bind 0.0.0.0, so that is the address that must be free; a listener on
    127.0.0.1 alone would still make their bind fail, which binding 0.0.0.0 also detects.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("0.0.0.0", port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def busy_ports(plan: PortPlan, *, ssh: bool) -> list[int]:
    return [p for p in plan.all_ports(ssh=ssh) if not port_is_free(p)]


def choose_port_plan(nodes: int, *, ssh: bool, port_base: int | None = None, attempts: int = 200) -> PortPlan:
    """Return a PortPlan whose ports are all free right now.

    With ``port_base`` given, that base is checked and used or refused; otherwise random bases are
    tried (random, not sequential, so concurrent test sessions rarely even probe the same block).
    """
    if port_base is not None:
        plan = PortPlan(port_base, nodes)
        if not (port_base >= 1024 and plan.node(nodes) < 65536):
            raise ValueError(f"port_base {port_base} gives ports outside 1024..65535; choose another one")
        taken = busy_ports(plan, ssh=ssh)
        if taken:
            raise OSError(
                errno.EADDRINUSE,
                f"TCP port(s) {taken} already in use (another cluster?); "
                "pass another port_base or leave it unset to choose one automatically",
            )
        return plan
    span = PortPlan.span(nodes)
    rng = random.Random()
    for _ in range(attempts):
        base = rng.randrange(_AUTO_LOW, _AUTO_HIGH - span)
        plan = PortPlan(base, nodes)
        if not busy_ports(plan, ssh=ssh):
            return plan
    raise OSError(errno.EADDRINUSE, f"no free block of {span} TCP ports found in {_AUTO_LOW}..{_AUTO_HIGH}")
