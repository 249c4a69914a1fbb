"""``python -m migrate`` forks its workers' warm process on its first line: it is adopted by the
run, or stopped; never left behind, whatever the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from migrate import prestart
from migrate.pool import ForkedPool, fork_available

pytestmark = pytest.mark.skipif(not fork_available(), reason="the warm process is forked on Linux only")

REPO = Path(__file__).resolve().parents[2]
ESTIMATOR = (
    "from azureml.train.estimator import Estimator\n"
    "est = Estimator(source_directory='src', entry_script='train.py', compute_target='cpu')\n"
)


def _session_processes(session: int) -> list[int]:
    """Pids of the processes still in ``session`` (read from /proc: no pattern matching on names)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(entry))
    return found


def _run(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], list[int]]:
    # Output to files, not pipes: reading a pipe to its end would also wait for every process that
    # inherited it, hiding one left behind.
    with open(cwd / "out.txt", "w+") as out_file, open(cwd / "err.txt", "w+") as err_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "migrate", *args],
            cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=out_file,
            stderr=err_file,
            text=True,
            start_new_session=True,
        )
        process.wait(timeout=60)
        out, err = (cwd / "out.txt").read_text(), (cwd / "err.txt").read_text()
    # Looked at the moment the command has exited: it waits for what it forked, so nothing may be
    # left even for a moment (a warm process merely left to find end-of-file would still be loading).
    left = _session_processes(process.pid)
    for pid in left:  # do not leave them to the next test
        os.kill(pid, signal.SIGKILL)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err), left


def _tree(tmp_path: Path, files: int = 6) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    for index in range(files):
        (tree / f"job{index}.py").write_text(ESTIMATOR.replace("train.py", f"train{index}.py"))
    (tree / "plain.py").write_text("print('no azureml here')\n")
    return tree


def test_workers_from_the_early_warm_process_give_the_serial_results(tmp_path):
    tree = _tree(tmp_path)
    parallel, left_parallel = _run([str(tree), "--check", "--format", "json", "--jobs", "2"], tmp_path)
    serial, left_serial = _run([str(tree), "--check", "--format", "json", "--jobs", "1"], tmp_path)
    assert parallel.returncode == serial.returncode == 1, parallel.stderr + serial.stderr
    assert json.loads(parallel.stdout) == json.loads(serial.stdout)
    assert json.loads(parallel.stdout)["summary"]["files_changed"] == 6
    assert left_parallel == [] and left_serial == []


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--no-such-option", "."], ["does-not-exist"], ["--jobs", "2", "--check", "."]],
    ids=["help", "bad-option", "missing-path", "no-candidates"],
)
def test_an_unadopted_warm_process_is_stopped(tmp_path, args):
    (tmp_path / "plain.py").write_text("x = 1\n")
    result, left = _run(args, tmp_path)
    assert result.returncode in (0, 2), result.stderr
    assert left == [], f"processes left behind by python -m migrate {' '.join(args)}"


WARMED: list[int] = []


def _warm_up() -> None:
    WARMED.append(os.getpid())


def _work(task: tuple[str, str]) -> tuple[int, list[int]]:
    return os.getpid(), list(WARMED)


def test_the_early_warm_process_runs_the_migration_warm_up():
    """The warm-up is named in prestart (importing it there would load the rules before the fork)."""
    from migrate import runner

    assert prestart._resolve(prestart.MIGRATION_WARM_UP) is runner._warm_up


def test_a_pool_adopts_the_warm_process_forked_before_it():
    warm = prestart.fork_warm_process(_warm_up)
    assert warm is not None
    pool = ForkedPool(2, _work, _warm_up, warm)
    try:
        results = [pool.result(h) for h in [pool.submit((str(n), "azureml")) for n in range(6)]]
    finally:
        pool.close()
    warmed_in = {warmed[0] for _, warmed in results}
    # Warmed once, in the process forked before the pool existed; both workers inherited it.
    assert warmed_in == {warm.pid}
    assert warm.pid in {worker for worker, _ in results}
    assert len({worker for worker, _ in results}) == 2
    assert not warm.is_alive()


def test_nothing_but_the_fork_s_own_needs_is_loaded_before_the_fork():
    """Everything ``python -m migrate`` imports before forking delays the warm-up that the whole run
    waits for: importing prestart loads no Python module beyond its own (``socket``, ``signal``,
    ``contextlib``, ``typing`` and their ``enum`` and ``re`` come after the fork, on each side; ``os``
    is loaded by every interpreter's start-up)."""
    code = (
        "import os, sys; sys.path.insert(0, sys.argv[1]); before = set(sys.modules); "
        "import migrate.prestart; print(' '.join(sorted(set(sys.modules) - before)))"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, str(REPO)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert set(out) <= {"migrate", "migrate.prestart", "_socket", "__future__", "atexit"}, out
