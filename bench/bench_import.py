"""Import cost of `import hpc_estimator`, against `python -c pass`, in the same run.

    python bench/bench_import.py [REPEATS]

Uses ``python -X importtime`` (sum of the self times of every module imported) and wall time
of the whole interpreter, median over REPEATS runs each.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import time


def importtime_us(code: str) -> int:
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                         check=True).stderr
    return sum(int(m.group(1)) for m in re.finditer(r"^import time:\s+(\d+) \|", err, flags=re.M))


def wall_ms(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return (time.perf_counter() - t0) * 1e3


def main(repeats: int = 15) -> None:
    heavy = subprocess.run([sys.executable, "-c", "import sys, hpc_estimator; print(sorted(m for m in "
                            "('paramiko','libcst','jinja2','optuna','click') if m in sys.modules))"],
                           capture_output=True, text=True, check=True).stdout.strip()
    base_it = statistics.median(importtime_us("pass") for _ in range(repeats))
    pkg_it = statistics.median(importtime_us("import hpc_estimator") for _ in range(repeats))
    base_wall = statistics.median(wall_ms("pass") for _ in range(repeats))
    pkg_wall = statistics.median(wall_ms("import hpc_estimator") for _ in range(repeats))
    print(f"heavy modules pulled in by `import hpc_estimator`: {heavy}")
    print(f"-X importtime total: python -c pass {base_it / 1e3:.1f} ms, import hpc_estimator {pkg_it / 1e3:.1f} ms "
          f"(ratio {pkg_it / base_it:.2f}x)")
    print(f"wall time:           python -c pass {base_wall:.1f} ms, import hpc_estimator {pkg_wall:.1f} ms "
          f"(ratio {pkg_wall / base_wall:.2f}x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
