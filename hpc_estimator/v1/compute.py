"""Compute targets: where a run goes.

In Azure ML v1 a compute target was a cloud resource object. Here it names a Slurm cluster
profile (or ``"local"`` for this machine); the profile itself is resolved by the workspace when
the run is submitted, so these objects stay plain values with no I/O.
"""

from __future__ import annotations

from typing import Any

from ..errors import UserErrorException

LOCAL_TARGET = "local"


class ComputeTarget:
    """A named compute target in a workspace: ``ComputeTarget(workspace, name)`` as in v1.

    ``name`` is a cluster profile name (or ``"local"``). The workspace is kept so submission can
    look the profile up; it may be ``None`` when only the name matters.
    """

    def __init__(self, workspace: Any, name: str) -> None:
        if not isinstance(name, str) or not name.strip():
            raise UserErrorException(
                f"ComputeTarget name must be a non-empty string (a cluster profile name or 'local'), got {name!r}."
            )
        self.workspace = workspace
        self.name = name

    def __repr__(self) -> str:
        return f"ComputeTarget(name={self.name!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ComputeTarget):
            return NotImplemented
        return self.name == other.name and self.workspace is other.workspace

    def __hash__(self) -> int:
        return hash(self.name)


def is_target(value: Any) -> bool:
    """True when ``value`` can name a target: a non-empty string or an object with a str ``name``."""
    if isinstance(value, str):
        return bool(value.strip())
    return isinstance(getattr(value, "name", None), str) and bool(value.name.strip())


def as_target_name(target: Any) -> str:
    """The profile name a target stands for: the string itself, or the object's ``.name``."""
    if isinstance(target, str) and target.strip():
        return target
    name = getattr(target, "name", None)
    if isinstance(name, str) and name.strip():
        return name
    raise UserErrorException(
        f"compute_target must be a cluster profile name (str), 'local', or a ComputeTarget; "
        f"got {target!r}. Pass compute_target='<profile name>' or ComputeTarget(workspace, '<name>')."
    )
