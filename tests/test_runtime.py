"""In-job metrics: ranks log from real processes, the submitting side merges their files."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hpc_estimator.backends.metrics_files import fetch_events, fetch_metrics
from hpc_estimator.errors import UserErrorException
from hpc_estimator.runtime.context import (
    JobRunContext,
    MetricTypeError,
    OfflineRun,
    current_rank,
    get_context,
    merge_tags,
    read_metrics,
    read_tags,
)
from hpc_estimator.transport.local import LocalTransport

RANK_SCRIPT = r"""
import sys
from hpc_estimator.runtime.context import get_context

run = get_context(allow_offline=False)
rank = run.rank
sys.stdin.readline()  # both ranks start logging together
for i in range(200):
    run.log("loss", rank * 1000 + i, step=i)
run.log_row("per_rank", rank=rank, done=True)
if rank == 0:
    run.log("lr", 0.1)
    run.log_list("accuracy", [0.5, 0.75])
    run.log_table("curve", {"x": [1, 2], "y": [0.1, 0.2]})
    run.tag("best", "yes")
print(run.id, run.experiment.name, run.metrics_file)
"""


def _job_env(run_dir: Path, rank_var: str, rank: int) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID")
    }
    env.update(
        {
            "AZUREML_RUN_ID": "exp_1700000000_abcdef01",
            "HPCEST_RUN_DIR": str(run_dir),
            "HPCEST_EXPERIMENT": "exp",
            rank_var: str(rank),
            "PYTHONPATH": str(Path(__file__).resolve().parents[1]) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }
    )
    return env


def test_two_ranks_log_concurrently_and_merge(tmp_path: Path) -> None:
    """Two rank processes log at once into their own files; read_metrics merges everything.

    Protects: nothing lost or interleaved between ranks, per-rank order kept, rank taken from
    RANK or OMPI_COMM_WORLD_RANK, v1 get_metrics shapes (scalar, vector, list, row, table).
    """
    run_dir = tmp_path / "run"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RANK_SCRIPT],
            env=_job_env(run_dir, var, rank),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for rank, var in ((0, "RANK"), (1, "OMPI_COMM_WORLD_RANK"))
    ]
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert outputs[0].split()[:2] == ["exp_1700000000_abcdef01", "exp"]
    assert sorted(os.listdir(run_dir / "metrics")) == ["0.jsonl", "1.jsonl"]

    metrics = read_metrics(run_dir)
    loss = metrics["loss"]
    assert len(loss) == 400
    assert [v for v in loss if v < 1000] == list(range(200))
    assert [v for v in loss if v >= 1000] == list(range(1000, 1200))
    assert metrics["lr"] == 0.1
    assert metrics["accuracy"] == [0.5, 0.75]
    assert metrics["curve"] == {"x": [1, 2], "y": [0.1, 0.2]}
    assert sorted(metrics["per_rank"]["rank"]) == [0, 1]
    assert metrics["per_rank"]["done"] == [True, True]
    assert read_tags(run_dir) == {"best": "yes"}


def test_get_metrics_in_job_sees_all_ranks(tmp_path: Path) -> None:
    """run.get_metrics() inside the job merges every rank's file, and supports name/recursive."""
    r0 = JobRunContext("rid", tmp_path, "e", rank=0)
    r1 = JobRunContext("rid", tmp_path, "e", rank=1)
    r0.log("a", 1)
    r1.log("a", 2)
    r1.log("b", "text")
    assert r0.get_metrics() == {"a": [1, 2], "b": "text"}
    assert r0.get_metrics(name="b") == {"b": "text"}
    assert r0.get_metrics(recursive=True) == {"rid": {"a": [1, 2], "b": "text"}}
    r0.close()
    r1.close()


def test_log_rejects_lists_and_points_to_log_list(tmp_path: Path) -> None:
    """v1: log() refuses lists/ranges/generators; the message names log_list. Nothing is written."""
    run = JobRunContext("rid", tmp_path, "e", rank=0)
    for bad in ([1, 2], range(3), (x for x in range(2)), (1, 2)):
        with pytest.raises(TypeError, match="log_list"):
            run.log("m", bad)
    with pytest.raises(MetricTypeError, match="log_row"):
        run.log("m", {"a": 1})
    with pytest.raises(UserErrorException):
        run.log("m", object())
    assert read_metrics(tmp_path) == {}


def test_log_list_accepts_iterables_and_mixes_with_log(tmp_path: Path) -> None:
    """log_list takes any iterable; logging the same name again extends the vector in order."""
    run = JobRunContext("rid", tmp_path, "e", rank=0)
    run.log("m", 1)
    run.log_list("m", range(2, 4))
    run.log("m", 4)
    run.log("nan", float("nan"))
    metrics = read_metrics(tmp_path)
    assert metrics["m"] == [1, 2, 3, 4]
    assert math.isnan(metrics["nan"])
    with pytest.raises(MetricTypeError, match="log_list"):
        run.log_list("s", "abc")


def test_merge_orders_by_log_time_and_skips_torn_lines(tmp_path: Path) -> None:
    """Events from different ranks interleave by timestamp; a half-written last line is ignored."""
    mdir = tmp_path / "metrics"
    mdir.mkdir()

    def ev(t: float, rank: int, seq: int, value: int) -> str:
        return (
            json.dumps(
                {"t": t, "rank": rank, "seq": seq, "kind": "metric", "type": "scalar", "name": "m", "value": value}
            )
            + "\n"
        )

    (mdir / "0.jsonl").write_text(ev(1.0, 0, 0, 10) + ev(3.0, 0, 1, 30) + '{"t": 4.0, "ki')
    (mdir / "1.jsonl").write_text(ev(2.0, 1, 0, 20) + ev(3.0, 1, 1, 31))
    assert read_metrics(tmp_path) == {"m": [10, 20, 30, 31]}
    assert read_metrics(mdir) == {"m": [10, 20, 30, 31]}
    assert read_metrics([mdir / "1.jsonl"]) == {"m": [20, 31]}
    assert read_metrics(tmp_path / "missing") == {}


def test_rank_variable_precedence() -> None:
    """RANK wins, then OMPI_COMM_WORLD_RANK, PMIX_RANK, SLURM_PROCID; default 0."""
    assert current_rank({}) == 0
    assert current_rank({"SLURM_PROCID": "3"}) == 3
    assert current_rank({"SLURM_PROCID": "3", "PMIX_RANK": "2"}) == 2
    assert current_rank({"PMIX_RANK": "2", "OMPI_COMM_WORLD_RANK": "1"}) == 1
    assert current_rank({"OMPI_COMM_WORLD_RANK": "1", "RANK": "5"}) == 5


def test_offline_outside_a_job(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Without the job variables get_context() is offline: log prints, has no step, no get_metrics."""
    monkeypatch.delenv("AZUREML_RUN_ID", raising=False)
    monkeypatch.delenv("HPCEST_RUN_DIR", raising=False)
    run = get_context()
    assert isinstance(run, OfflineRun) and run.id.startswith("OfflineRun_")
    run.log("acc", 0.9)
    assert "acc" in capsys.readouterr().out
    with pytest.raises(TypeError):
        run.log("acc", 0.9, step=1)  # type: ignore[call-arg]
    assert not hasattr(run, "get_metrics")
    with pytest.raises(UserErrorException, match="allow_offline"):
        get_context(allow_offline=False)


def test_job_context_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With AZUREML_RUN_ID and HPCEST_RUN_DIR set, get_context() is the job's run."""
    monkeypatch.setenv("AZUREML_RUN_ID", "r1")
    monkeypatch.setenv("HPCEST_RUN_DIR", str(tmp_path))
    monkeypatch.setenv("HPCEST_EXPERIMENT", "ex")
    monkeypatch.setenv("SLURM_PROCID", "7")
    for var in ("RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK"):
        monkeypatch.delenv(var, raising=False)
    run = get_context(allow_offline=False)
    assert isinstance(run, JobRunContext)
    assert (run.id, run.experiment.name, run.rank) == ("r1", "ex", 7)
    run.set_tags({"a": 1, "b": None})
    run.log("x", 1)
    assert run.metrics_file == tmp_path / "metrics" / "7.jsonl" and run.metrics_file.exists()
    assert read_tags(tmp_path) == {"a": "1", "b": ""}
    run.close()


def test_log_image_copies_file(tmp_path: Path) -> None:
    """log_image keeps the file under the run dir and records its relative path as the metric."""
    img = tmp_path / "plot.png"
    img.write_bytes(b"\x89PNG fake")
    run = JobRunContext("rid", tmp_path / "run", "e", rank=0)
    run.log_image("confusion", path=img)
    assert read_metrics(tmp_path / "run") == {"confusion": "images/confusion.png"}
    assert (tmp_path / "run" / "images" / "confusion.png").read_bytes() == b"\x89PNG fake"


def test_fetch_metrics_through_a_transport(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The submitting side reads all ranks' files in one command; a torn line in one file
    does not swallow the first line of the next; odd directory names and ~/ work."""
    monkeypatch.setenv("HOME", str(tmp_path))
    run_dir = tmp_path / "runs" / "r 1 $(x)"
    r0 = JobRunContext("rid", run_dir, "e", rank=0)
    r1 = JobRunContext("rid", run_dir, "e", rank=1)
    r0.log("m", 1)
    r1.log("m", 2)
    r1.tag("t", "v")
    r0.close()
    r1.close()
    with open(run_dir / "metrics" / "0.jsonl", "a") as f:
        f.write('{"t": 9e99, "kind": "metric", "na')  # rank 0 killed mid-write
    transport = LocalTransport()
    assert fetch_metrics(transport, str(run_dir)) == {"m": [1, 2]}
    assert fetch_metrics(transport, "~/runs/r 1 $(x)") == {"m": [1, 2]}
    assert merge_tags(fetch_events(transport, str(run_dir))) == {"t": "v"}
    assert fetch_metrics(transport, str(tmp_path / "no-such-run")) == {}


def _oldest_python() -> str:
    """Python 3.6/3.7 if this machine has one (the v1 framework images ran 3.6), else ours."""
    candidates = [Path(p) for p in ("/usr/bin/python3.6", "/usr/bin/python3.7")]
    candidates += sorted(Path.home().glob(".pyenv/versions/3.[67].*/bin/python3"))
    found = next((c for c in candidates if c.is_file()), None)
    return str(found) if found else sys.executable


def test_runtime_works_as_a_lone_file_on_old_python(tmp_path: Path) -> None:
    """Inside a container only runtime.py may be present, under the container's old Python."""
    import shutil

    import hpc_estimator.runtime.context as runtime_module

    lone = tmp_path / "lone"
    lone.mkdir()
    shutil.copy(runtime_module.__file__, lone / "hpcest_runtime.py")
    script = (
        "from hpcest_runtime import get_context\n"
        "run = get_context(allow_offline=False)\n"
        "run.log('acc', 0.5, step=1)\n"
        "run.log_row('r', a=1)\n"
        "try:\n"
        "    run.log('bad', [1])\n"
        "except TypeError:\n"
        "    run.tag('list_refused', 'yes')\n"
    )
    env = _job_env(tmp_path / "run", "PMIX_RANK", 3)
    env["PYTHONPATH"] = str(lone)
    subprocess.run([_oldest_python(), "-c", script], env=env, check=True, cwd=lone)
    assert read_metrics(tmp_path / "run") == {"acc": 0.5, "r": {"a": [1]}}
    assert read_tags(tmp_path / "run") == {"list_refused": "yes"}
    assert (tmp_path / "run" / "metrics" / "3.jsonl").exists()
