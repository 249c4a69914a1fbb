"""Benchmark: ``hpcest migrate --check`` on a generated tree vs plain libcst round trips.

Generates 5,000 files of which 2% use v1 estimators, then times on the same cores in the same run:
  (1) ``python -m migrate TREE --check``            (start-up, discovery, pre-filter, codemod, reports)
      as installed: a copy of the package with its bytecode compiled, as ``pip install`` leaves it
      (libcst, the baseline, is measured installed too); (1s) the same from this source tree, which
      pays for compiling every module at each start when no bytecode may be written
      (PYTHONDONTWRITEBYTECODE, as on this machine)
  (2) libcst parse + codegen of the candidate files (the floor for any libcst codemod on them)
  (3) reading every file of the tree once           (the floor for looking at every file)
  (4) libcst parse + codegen of all files           (what a tool without a pre-filter would pay)
and prints wall times, the target (1) <= 3 x ((2) + (3)), and a breakdown of (1): interpreter and
import start-up, discovery, read + pre-filter, worker start-up (loading libcst and the rules once, in
the process the workers are forked from), the per-candidate phases of the codemod measured in-process
(parse, analysis, rules, edits, imports, codegen, output check, findings with their positions: the
only metadata pass, run only for files that report something) and the text report. ``--compare DIR``
also times (1) with the migrate package of another checkout (e.g. the commit before a change).

Usage: python bench/bench_migrate.py [--files 5000] [--share 0.02] [--jobs N] [--keep DIR] [--compare DIR]
"""

from __future__ import annotations

import argparse
import compileall
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from statistics import median

import libcst as cst

REPO = Path(__file__).resolve().parents[1]

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


def read_all(paths: list[str]) -> float:
    start = time.perf_counter()
    for path in paths:
        with open(path, "rb") as handle:
            handle.read()
    return time.perf_counter() - start


def installed_copy(repo: Path, into: Path) -> Path:
    """The migrate package of ``repo`` as an install leaves it: a copy with compiled bytecode."""
    target = into / repo.name
    shutil.copytree(repo / "migrate", target / "migrate", ignore=shutil.ignore_patterns("__pycache__"))
    if not compileall.compile_dir(str(target / "migrate"), quiet=1):
        sys.exit(f"cannot compile {target / 'migrate'}")
    return target


def run_check(repo: Path, root: Path, jobs: int) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    check = subprocess.run(
        [sys.executable, "-m", "migrate", str(root), "--check", "--jobs", str(jobs)],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    return time.perf_counter() - start, check


def startup(repo: Path) -> float:
    """Interpreter start plus importing the command (what every run pays before looking at a file)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import migrate.cli"], cwd=repo, check=True)
    return time.perf_counter() - start


def worker_startup(repo: Path) -> float:
    """Loading libcst, the rules and the caches in a fresh process (what the warm process does once)."""
    code = (
        "import time; t = time.perf_counter(); from migrate.runner import _warm_up; _warm_up(); "
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=repo, check=True, capture_output=True, text=True).stdout
    return float(out)


def report_time(all_files: list[str], candidates: list[str]) -> float:
    """The text report (diffs and summary) of a --check run, from results computed beforehand."""
    sys.path.insert(0, str(REPO))
    from migrate.report import text_report
    from migrate.runner import FileResult, migrate_file

    done = {path: migrate_file(path) for path in candidates}
    results = [done.get(path) or FileResult(path) for path in all_files]
    start = time.perf_counter()
    text_report(results, True, lambda *args, **kwargs: None)
    return time.perf_counter() - start


def phases(candidates: list[str]) -> dict[str, float]:
    """Mean per-candidate time of each codemod phase, in-process, in ms."""
    sys.path.insert(0, str(REPO))
    from migrate import cst_build as b
    from migrate.codegen import module_code
    from migrate.engine import Migration
    from migrate.imports import add, prune
    from migrate.rules import RULES

    totals: dict[str, float] = {}

    def tick(name: str, since: float) -> float:
        now = time.perf_counter()
        totals[name] = totals.get(name, 0.0) + now - since
        return now

    texts = [Path(p).read_text() for p in candidates]
    for text in texts:
        t = time.perf_counter()
        module = cst.parse_module(text)
        t = tick("parse", t)
        m = Migration(module, source=text)
        t = tick("analysis", t)
        b.QUOTE[0] = b.preferred_quote(text)
        for rule in RULES:
            rule.plan(m)
        t = tick("rules", t)
        new, counts, first_use = m._apply()
        t = tick("edits", t)
        budget, indent = m.layout()
        new = add(prune(new, m.replaced_names, counts), m.needed_imports, m.needed_modules, first_use, budget, indent)
        t = tick("imports", t)
        code = module_code(new)
        t = tick("codegen", t)
        compile(code, "<bench>", "exec")
        t = tick("output check", t)
        m.findings()
        tick("findings", t)
    return {name: total / len(texts) * 1000 for name, total in totals.items()}


def discovery(root: Path) -> tuple[float, float]:
    sys.path.insert(0, str(REPO))
    from migrate.files import discover
    from migrate.runner import _candidate

    start = time.perf_counter()
    found = [str(p) for p in discover([root])]
    middle = time.perf_counter()
    _ = [p for p in found if _candidate(p)]
    return middle - start, time.perf_counter() - middle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--share", type=float, default=0.02)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", type=Path, default=None, help="generate into this directory and keep it")
    parser.add_argument("--compare", type=Path, default=None, help="also time the migrate package of this checkout")
    parser.add_argument("--skip-all", action="store_true", help="skip (4), the slow round trip of every file")
    parser.add_argument("--repeat", type=int, default=3, help="runs of (1)-(3); the median is shown")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="hpcest-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="hpcest-bench-installed-"))
    try:
        count = generate(root, args.files, args.share)
        all_files = sorted(str(p) for p in root.rglob("*.py"))
        candidates = [p for p in all_files if "azureml.train" in Path(p).read_text()]

        installed = installed_copy(REPO, scratch)
        compared = installed_copy(args.compare, scratch / "compare") if args.compare else None
        os.sync()
        read_all(all_files)  # warm the page cache, as for every later measurement
        runs, source_runs, round_trips, reads = [], [], [], []
        for _ in range(max(1, args.repeat)):
            seconds, check = run_check(installed, root, args.jobs)
            if check.returncode != 1:
                sys.exit(f"expected --check to exit 1 (files would change), got {check.returncode}: {check.stderr}")
            runs.append(seconds)
            source_runs.append(run_check(REPO, root, args.jobs)[0])
            round_trips.append(round_trip(candidates, args.jobs))
            reads.append(read_all(all_files))
        migrate_time, candidates_time, read_time = median(runs), median(round_trips), median(reads)
        source_time = median(source_runs)
        compare_time = run_check(compared, root, args.jobs)[0] if compared else None
        all_time = None if args.skip_all else round_trip(all_files, args.jobs)

        target = 3 * (candidates_time + read_time)
        print(
            f"tree: {len(all_files)} files, {count} use estimators ({args.share:.0%}); jobs={args.jobs}; "
            f"median of {len(runs)} runs"
        )
        print(
            f"(1) hpcest migrate --check           {migrate_time:8.2f} s  {len(all_files) / migrate_time:9.0f} files/s"
            "  (installed: bytecode compiled)"
        )
        print(f"(1s) the same from the source tree    {source_time:7.2f} s  (no bytecode: modules compiled at start)")
        rate = len(candidates) / candidates_time
        print(f"(2) libcst round trip, candidates   {candidates_time:8.2f} s  {rate:9.0f} files/s")
        print(f"(3) read every file once            {read_time:8.2f} s")
        if all_time is not None:
            print(f"(4) libcst round trip, all files    {all_time:8.2f} s  {len(all_files) / all_time:9.0f} files/s")
        if compare_time is not None:
            print(f"(1) with {args.compare}: {compare_time:.2f} s")
        verdict = "meets" if migrate_time <= target else "misses"
        print(
            f"target (1) <= 3 x ((2) + (3)) = {target:.2f} s: {verdict} it; ratio (1)/((2)+(3)) = "
            f"{migrate_time / (candidates_time + read_time):.2f}"
        )

        start_time = startup(installed)
        discover_time, filter_time = discovery(root)
        warm_time = worker_startup(installed)
        phases(candidates[:10])  # fill the caches first, as the workers start with them filled
        per_phase = phases(candidates)
        text_time = report_time(all_files, candidates)
        print("breakdown of (1):")
        print(f"  start-up (interpreter + imports, parent)   {start_time:6.2f} s")
        print(f"  discovery ({len(all_files)} files)                {discover_time:6.2f} s")
        print(f"  read + pre-filter                          {filter_time:6.2f} s")
        print(f"  worker start-up (libcst + rules, once)     {warm_time:6.2f} s")
        total = sum(per_phase.values())
        print(
            f"  per candidate, in-process: {total:.2f} ms, {total * len(candidates) / 1000:.2f} s for all "
            f"(round trip of the same files: see (2))"
        )
        for name, ms in per_phase.items():
            print(f"    {name:14s} {ms:6.2f} ms")
        print(f"  text report                                {text_time:6.2f} s")
        print("summary line from migrate:", check.stderr.strip().splitlines()[-1:])
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
