"""Stand-in commands first on PATH, for tests that run a generated batch script in bash."""

from __future__ import annotations

import os
from pathlib import Path


def install_tools(bin_dir: Path, tools: dict[str, str]) -> dict[str, str]:
    """Write each ``name: script`` into ``bin_dir`` (executable); the environment that finds them first."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, body in tools.items():
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
