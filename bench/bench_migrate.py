"""Benchmark: ``hpcest migrate --check`` on a generated tree vs plain libcst round trips.

Generates 5,000 files of which 2% use v1 estimators, then times on the same cores in the same run:
  (1) ``python -m migrate TREE --check``            (discovery, pre-filter, codemod, reports)
  (2) libcst parse + codegen of the candidate files (the floor for any libcst codemod on them)
  (3) libcst parse + codegen of all files           (what a tool without a pre-filter would pay)
and prints wall times, files/second and ratios. No thresholds: the numbers are for people.

Usage: python bench/bench_migrate.py [--files 5000] [--share 0.02] [--jobs N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import libcst as cst

ESTIMATOR_TEMPLATE = '''"""Training job {index}."""
from azureml.core import Experiment, Workspace
from azureml.train.dnn import PyTorch, Mpi

ws = Workspace.from_config()
params = {{"--epochs": {epochs}, "--lr": 0.0{index}, "--data": ds.as_mount()}}
est = PyTorch(source_directory="src", entry_script="train.py", script_params=params,
              compute_target="gpu", node_count=2, distributed_training=Mpi(2),
              framework_version="1.6", use_gpu=True, pip_packages=["pillow"])
run = Experiment(ws, "exp{index}").submit(est)
'''

PLAIN_TEMPLATE = '''"""Module {index}: ordinary code that never touches v1 estimators."""
import math
from dataclasses import dataclass


@dataclass
class Point{index}:
    x: float
    y: float

    def norm(self) -> float:
        return math.hypot(self.x, self.y)


def work_{index}(values: list[int]) -> int:
    total = 0
    for v in values:
        if v % 3 == 0:
            total += v * len("{index}")
        else:
            total -= v
    return total
'''


def generate(root: Path, files: int, share: float, seed: int = 7) -> int:
    rng = random.Random(seed)
    candidates = set(rng.sample(range(files), max(1, int(files * share))))
    for index in range(files):
        directory = root / f"pkg{index % 50:02d}"
        directory.mkdir(exist_ok=True)
        template = ESTIMATOR_TEMPLATE if index in candidates else PLAIN_TEMPLATE
        # Repeat plain bodies a little so file sizes vary like real code.
        body = template.format(index=index, epochs=index % 7 + 1)
        if index not in candidates:
            body += "\n".join(
                PLAIN_TEMPLATE.format(index=f"{index}_{k}").split("\n", 1)[1] for k in range(rng.randint(0, 3))
            )
        (directory / f"mod{index}.py").write_text(body)
    return len(candidates)


def _round_trip(path: str) -> int:
    text = Path(path).read_text()
    return len(cst.parse_module(text).code)


def round_trip(paths: list[str], jobs: int) -> float:
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(_round_trip, paths, chunksize=max(1, len(paths) // (jobs * 8) or 1)))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--share", type=float, default=0.02)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", type=Path, default=None, help="generate into this directory and keep it")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="hpcest-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        count = generate(root, args.files, args.share)
        all_files = sorted(str(p) for p in root.rglob("*.py"))
        candidates = [p for p in all_files if "azureml.train" in Path(p).read_text()]
        repo = Path(__file__).resolve().parents[1]

        start = time.perf_counter()
        check = subprocess.run(
            [sys.executable, "-m", "migrate", str(root), "--check", "--jobs", str(args.jobs)],
            cwd=repo,
            capture_output=True,
            text=True,
            check=False,
        )
        migrate_time = time.perf_counter() - start
        if check.returncode != 1:
            sys.exit(f"expected --check to exit 1 (files would change), got {check.returncode}: {check.stderr}")

        candidates_time = round_trip(candidates, args.jobs)
        all_time = round_trip(all_files, args.jobs)

        print(f"tree: {len(all_files)} files, {count} use estimators ({args.share:.0%}); jobs={args.jobs}")
        print(
            f"(1) hpcest migrate --check           {migrate_time:8.2f} s  {len(all_files) / migrate_time:9.0f} files/s"
        )
        rate = len(candidates) / candidates_time
        print(f"(2) libcst round trip, candidates   {candidates_time:8.2f} s  {rate:9.0f} files/s")
        print(f"(3) libcst round trip, all files    {all_time:8.2f} s  {len(all_files) / all_time:9.0f} files/s")
        print(f"ratio (1)/(2): {migrate_time / candidates_time:.2f}   ratio (1)/(3): {migrate_time / all_time:.2f}")
        print("summary line from migrate:", check.stderr.strip().splitlines()[-2:])
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
