"""What several commands share: the workspace, the ``--json`` option, a run as JSON."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import click

from ..errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])


def default_workspace_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "hpcest"


def load_workspace(create_default: bool = True) -> Any:
    """The workspace of the current directory; else the per-user default (local runs only)."""
    from ..runs.workspace import Workspace

    try:
        return Workspace.from_config()
    except ConfigError as exc:
        if not create_default or os.environ.get("HPCEST_WORKSPACE") or "no hpcest.toml found" not in str(exc):
            raise
    path = default_workspace_dir()
    return Workspace.create(path, name="default", exist_ok=True)


def json_option(what: str) -> Callable[[F], F]:
    """``--json``: the same data as the human output, as one JSON document on stdout."""
    return click.option("--json", "as_json", is_flag=True, help=f"Print {what} as JSON (for scripts).")


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, default=str))


def parse_utc(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def duration_seconds(record: Any, now: datetime | None = None) -> float | None:
    """How long the run ran: started to ended, or to now while it runs (None before it started)."""
    started = parse_utc(record.started_at)
    if started is None:
        return None
    ended = parse_utc(record.ended_at) or (None if record.is_terminal else (now or datetime.now(timezone.utc)))
    if ended is None:
        return None
    return max(0.0, (ended - started).total_seconds())


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def run_json(record: Any) -> dict[str, Any]:
    return {
        "run_id": record.run_id,
        "experiment": record.experiment,
        "target": record.target,
        "status": record.status,
        "detail": record.status_detail,
        "job_id": record.job_id,
        "run_dir": record.remote_dir,
        "exit_code": record.exit_code,
        "created": record.created_at,
        "started": record.started_at,
        "ended": record.ended_at,
        "duration_s": duration_seconds(record),
        "ranks": record.spec.get("tasks"),
        "tags": record.tags,
    }
