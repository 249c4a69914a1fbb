"""``hpcest status SWEEP --plot sweep.png``: every trial's primary metric over its intervals.

Stopped trials end in a cross at the interval they were stopped; a thick line is the best value
any trial had reached by each interval (the best-so-far curve). matplotlib is optional
(``pip install 'hpcest[plot]'``).
"""

from __future__ import annotations

from typing import Any

from ..v1.hyperdrive.policy_eval import best_value
from .sweep import require_plot_support


def best_so_far(histories: dict[str, list[float]], maximize: bool) -> list[float]:
    """At each interval n, the best value any trial logged within its first n intervals."""
    longest = max((len(h) for h in histories.values()), default=0)
    out: list[float] = []
    for n in range(1, longest + 1):
        values = [v for h in histories.values() for v in h[:n]]
        out.append(best_value(values, maximize))
    return out


def plot_sweep(run: Any, path: str, children: list[tuple[Any, dict[str, Any]]]) -> None:
    """``children``: the trials with their metrics, as the status table read them
    (``HyperDriveRun._children_metrics``); nothing more is read from the cluster."""
    plt = require_plot_support()
    metric = run._metric
    maximize = run._goal == "maximize"
    histories: dict[str, list[float]] = {}
    stopped: set[str] = set()
    for child, metrics in children:
        values = metrics.get(metric)
        values = values if isinstance(values, list) else [] if values is None else [values]
        histories[child.record.name or child.id] = [float(v) for v in values if isinstance(v, (int, float))]
        if child.record.status == "Canceled":
            stopped.add(child.record.name or child.id)
    fig, ax = plt.subplots(figsize=(8, 5))
    # 20 distinct colours: the default cycle repeats after 10, and trial 0 would look like trial 10.
    palette = plt.get_cmap("tab20").colors
    ordered = sorted(histories.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0)
    for i, (name, values) in enumerate(ordered):
        if not values:
            continue
        xs = list(range(1, len(values) + 1))
        color = palette[i % len(palette)]
        label = f"trial {name}" if len(histories) <= 20 else None
        ax.plot(xs, values, linewidth=1, alpha=0.8, color=color, label=label)
        if name in stopped:
            ax.plot([xs[-1]], [values[-1]], marker="x", markersize=10, color=color)
    curve = best_so_far(histories, maximize)
    if curve:
        ax.plot(range(1, len(curve) + 1), curve, color="black", linewidth=3, label="best so far")
    ax.set_xlabel("interval (one logging of the primary metric)")
    ax.set_ylabel(metric)
    ax.set_title(f"{run.id}: {metric} per trial (x = stopped)")
    ax.legend(loc="best", fontsize="small", ncol=2 if len(histories) > 10 else 1)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
