"""Pipelines on the real local Slurm cluster, through the local transport ("slurm") and SSH ("ssh").

Every sbatch the backends run goes through a recording wrapper (a PATH shim that logs its
arguments and execs the real sbatch), so the tests count real submissions: a pipeline is one
sbatch per step it runs, a resubmitted unchanged pipeline none. Checked: the example graph end to
end with the bytes passed between steps, fan-out/fan-in, reuse and partial reuse, a failing step
cancelling its downstream at once and the pipeline Failed within a few polls, a PipelineParameter
setting NodeCount, cancel, a cycle refused with nothing recorded, a lost submit reply resubmitting
nothing, status after slurmctld purged the jobs (no accounting), and the output of
``hpcest migrate --target hpcest`` for a v1 EstimatorStep pipeline running unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import runpy
import shutil
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from hpc_estimator import Experiment, PipelineRun, Workspace
from hpc_estimator.backends import close_all, get_backend
from hpc_estimator.errors import TransportError
from hpc_estimator.runs.pipeline_submission import submit_pipeline
from hpc_estimator.testing import local_cluster as lc
from tests import pipeline_graphs as graphs

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "pipeline"
TARGETS = ["slurm", "ssh"]


class Sbatch:
    """The recording wrapper: a directory to put first on PATH, and the calls it saw."""

    def __init__(self, root: Path) -> None:
        real = shutil.which("sbatch")
        assert real, "sbatch is not installed"
        self.dir = root / "shim"
        self.dir.mkdir(parents=True)
        self.log = root / "sbatch-calls.log"
        self.log.touch()
        shim = self.dir / "sbatch"
        shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {self.log}\nexec {real} "$@"\n')
        shim.chmod(0o755)

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines()


@pytest.fixture(scope="module")
def sbatch_and_workspace(local_cluster: lc.LocalCluster) -> Iterator[tuple[Sbatch, Workspace]]:
    assert local_cluster.ssh is not None
    root = Path(tempfile.mkdtemp(prefix="hpcest-pipes-"))
    sbatch = Sbatch(root)
    ws = Workspace.create(root, name="pipelines")
    common = {
        "workdir": str(root / "cluster-work"),
        "partition": local_cluster.partition,
        "gpus_per_node": local_cluster.gpus_per_node,
        "container_runtime": "none",
        "python": sys.executable,
        "image_cache": str(root / "images"),
        "client_env": {"PATH": f"{sbatch.dir}:{os.environ['PATH']}"},
    }
    ws.add_profile("slurm", {"transport": "local", **common})
    ws.add_profile(
        "ssh", {"transport": "ssh", "host": local_cluster.ssh.alias, "ssh_config": str(local_cluster.ssh.ssh_config),
                **common},
    )
    old = os.environ.get("HPCEST_WORKSPACE")
    os.environ["HPCEST_WORKSPACE"] = str(root)  # for the pipeline files that call Workspace.from_config()
    try:
        yield sbatch, ws
    finally:
        if old is None:
            os.environ.pop("HPCEST_WORKSPACE", None)
        else:
            os.environ["HPCEST_WORKSPACE"] = old
        close_all()
        ws.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def ws(sbatch_and_workspace: tuple[Sbatch, Workspace]) -> Workspace:
    return sbatch_and_workspace[1]


@pytest.fixture(scope="module")
def sbatch(sbatch_and_workspace: tuple[Sbatch, Workspace]) -> Sbatch:
    return sbatch_and_workspace[0]


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return graphs.write_scripts(tmp_path / "src")


def _submit(ws: Workspace, pipeline: Any, target: str | None = None, **kwargs: Any) -> PipelineRun:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if target is None:
            return Experiment(ws, "pipes").submit(pipeline, **kwargs)
        record = submit_pipeline(ws, "pipes", pipeline, target=target, **kwargs)
    return PipelineRun(Experiment(ws, "pipes"), record.run_id)


def _download(run: PipelineRun, step: str, output: str, into: Path) -> Path:
    (step_run,) = run.find_step_run(step)
    return Path(step_run.get_output_data(output).download(str(into / run.id / step)))


def _squeue(job_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    out = subprocess.run(
        ["squeue", "--noheader", "--states=all", f"--jobs={','.join(job_ids)}", "--format=%i %T %r"],
        capture_output=True, text=True, check=False,
    ).stdout
    return {line.split()[0]: (line.split()[1], line.split()[2]) for line in out.splitlines() if line.strip()}


def _example_numbers(count: int) -> bytes:
    rng = random.Random(42)  # what examples/pipeline/src/prepare.py writes
    return b"".join(struct.pack("<q", rng.randrange(-10**9, 10**9)) for _ in range(count))


@pytest.mark.parametrize("target", TARGETS)
def test_example_pipeline_end_to_end(ws: Workspace, sbatch: Sbatch, target: str, tmp_path: Path) -> None:
    """examples/pipeline: prepare -> train (EstimatorStep, MPI 2 nodes x 2 ranks) -> evaluate (CommandStep)."""
    example = tmp_path / "example"
    shutil.copytree(EXAMPLE, example)
    pipeline = runpy.run_path(str(example / "pipeline.py"))["pipeline"]
    before = len(sbatch.calls())
    run = _submit(ws, pipeline, target, pipeline_parameters={"count": 3000})
    assert len(sbatch.calls()) - before == 3
    assert run.wait_for_completion(show_output=False) == "Finished"
    expected = _example_numbers(3000)
    prepared = _download(run, "prepare", "prepared", tmp_path)
    assert (prepared / "numbers.bin").read_bytes() == expected  # what the consumers read, byte for byte
    model = json.loads((_download(run, "train", "model", tmp_path) / "model.json").read_text())
    assert model["data_sha256"] == hashlib.sha256(expected).hexdigest()
    assert model["ranks"] == 4 and model["count"] == 3000
    assert model["sum"] == sum(v for (v,) in struct.iter_unpack("<q", expected))
    (train,) = run.find_step_run("train")
    log = train.get_stdout_log()
    assert "rank 0/4 on node1" in log and "mean" in log
    assert train.get_metrics()["mean"] == pytest.approx(model["mean"])
    (evaluate,) = run.find_step_run("evaluate")
    report_dir = tmp_path / "report"
    evaluate.download_file("outputs/report.json", str(report_dir / "report.json"))
    report = json.loads((report_dir / "report.json").read_text())
    assert report == {"count": 3000, "data_unchanged": True, "mean": model["mean"], "sum_matches": True}


@pytest.mark.parametrize("target", TARGETS)
def test_chain_bytes_then_a_second_submit_sends_no_job(
    ws: Workspace, sbatch: Sbatch, src: Path, target: str, tmp_path: Path
) -> None:
    before = len(sbatch.calls())
    run = _submit(ws, graphs.chain(ws, src, target, seed=101))
    assert len(sbatch.calls()) - before == 3
    assert any("--dependency=afterok:" in call and "--kill-on-invalid-dep=yes" in call for call in sbatch.calls())
    assert run.wait_for_completion(show_output=False) == "Finished"
    produced = graphs.blob(101)
    assert (_download(run, "produce", "raw", tmp_path) / "blob.bin").read_bytes() == produced
    assert (_download(run, "finish", "final", tmp_path) / "blob.bin").read_bytes() == graphs.transformed(produced)

    before = len(sbatch.calls())
    again = _submit(ws, graphs.chain(ws, src, target, seed=101))
    assert len(sbatch.calls()) - before == 0
    assert again.get_status() == "Finished"
    assert all(s.is_reused for s in again.get_steps())


def test_partial_reuse_after_a_one_file_change_submits_that_step_and_its_downstream(
    ws: Workspace, sbatch: Sbatch, tmp_path: Path
) -> None:
    from hpc_estimator import CommandStep, Pipeline, PipelineData, PythonScriptStep

    dirs = {name: graphs.write_scripts(tmp_path / name) for name in ("p", "t", "f")}

    def build() -> Any:
        raw, changed, final = PipelineData("raw"), PipelineData("changed"), PipelineData("final")
        produce = PythonScriptStep("produce.py", name="produce", arguments=["--seed", 55, "--out", raw],
                                   outputs=[raw], compute_target="slurm", source_directory=str(dirs["p"]),
                                   runconfig=graphs.bare())
        transform = PythonScriptStep("transform.py", name="transform", arguments=["--in", raw, "--out", changed],
                                     inputs=[raw], outputs=[changed], compute_target="slurm",
                                     source_directory=str(dirs["t"]), runconfig=graphs.bare())
        finish = CommandStep(["python join.py", final, changed], name="finish", inputs=[changed], outputs=[final],
                             compute_target="slurm", source_directory=str(dirs["f"]), runconfig=graphs.bare())
        return Pipeline(ws, [produce, transform, finish])

    assert _submit(ws, build()).wait_for_completion(show_output=False) == "Finished"
    (dirs["t"] / "transform.py").write_text((dirs["t"] / "transform.py").read_text() + "\n# a one-line change\n")
    before = len(sbatch.calls())
    run = _submit(ws, build())
    calls = sbatch.calls()[before:]
    steps = {s.name: s for s in run.get_steps()}
    assert len(calls) == 2  # transform and finish; produce is reused
    assert steps["produce"].is_reused and not steps["transform"].is_reused
    # The reused step is no dependency: only transform's job id appears in finish's afterok.
    assert all("--dependency=afterok:" not in call or call.count(":") == 1 for call in calls)
    assert run.wait_for_completion(show_output=False) == "Finished"
    assert (_download(run, "finish", "final", tmp_path) / "blob.bin").read_bytes() == graphs.transformed(
        graphs.blob(55))


def test_fan_out_and_fan_in(ws: Workspace, sbatch: Sbatch, src: Path, tmp_path: Path) -> None:
    before = len(sbatch.calls())
    run = _submit(ws, graphs.fan(ws, src, "slurm", width=4, seed=202))
    calls = sbatch.calls()[before:]
    assert len(calls) == 6
    join_call = next(c for c in calls if c.count(":") == 4)  # afterok:<t0>:<t1>:<t2>:<t3>
    ids = [s.record.job_id for s in run.get_steps() if s.name.startswith("transform")]
    assert f"--dependency=afterok:{':'.join(ids)}" in join_call
    assert run.wait_for_completion(show_output=False) == "Finished"
    joined = (_download(run, "join", "joined", tmp_path) / "blob.bin").read_bytes()
    assert joined == graphs.transformed(graphs.blob(202)) * 4


@pytest.mark.parametrize("target", TARGETS)
def test_a_failing_first_step_cancels_the_rest_and_fails_the_pipeline_within_a_few_polls(
    ws: Workspace, src: Path, target: str
) -> None:
    run = _submit(ws, graphs.failing(ws, src, target, independent_seconds=120))
    ids = {s.name: s.record.job_id or "" for s in run.get_steps()}
    polls = 0
    while run.get_status() not in ("Failed", "Finished", "Canceled"):
        polls += 1
        assert polls <= 30, f"still {run.record.status} after {polls} polls"
        time.sleep(1)
    steps = {s.name: s.record for s in run.get_steps()}
    assert steps["first"].status == "Failed"
    assert {steps[n].status for n in ("second", "third", "independent")} == {"Canceled"}
    assert "upstream step 'first' failed" in (steps["second"].status_detail or "")
    detail = run.record.status_detail or ""
    assert detail.startswith("step 'first' failed") and "failing on purpose" in detail
    for name in ("second", "third"):
        assert not Path(steps[name].remote_dir or "", "started_at").exists(), f"{name} must never have started"
    deadline = time.time() + 30
    while any(state not in ("CANCELLED", "FAILED", "COMPLETED") for state, _ in _squeue(list(ids.values())).values()):
        assert time.time() < deadline, _squeue(list(ids.values()))
        time.sleep(0.5)
    states = _squeue(list(ids.values()))
    assert states[ids["second"]][0] == states[ids["third"]][0] == "CANCELLED"
    assert states[ids["independent"]][0] == "CANCELLED"  # continue_on_step_failure=False (v1's default)


def test_continue_on_step_failure_lets_the_independent_branch_complete(ws: Workspace, src: Path) -> None:
    run = _submit(ws, graphs.failing(ws, src, "slurm", independent_seconds=2), continue_on_step_failure=True)
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == "Failed"
    assert {s.name: s.record.status for s in run.get_steps()} == {
        "first": "Failed", "second": "Canceled", "third": "Canceled", "independent": "Completed",
    }


def test_a_pipeline_parameter_sets_the_node_count(ws: Workspace, src: Path, tmp_path: Path) -> None:
    pipeline, _nodes = graphs.mpi_nodes(ws, src, "slurm")
    seen = {}
    for nodes in (1, 2):
        run = _submit(ws, pipeline, pipeline_parameters={"nodes": nodes})
        assert run.wait_for_completion(show_output=False) == "Finished"
        (step,) = run.find_step_run("ranks")
        step.download_file("outputs/ranks.json", str(tmp_path / f"{nodes}.json"))
        ranks = json.loads((tmp_path / f"{nodes}.json").read_text())
        seen[nodes] = (len(ranks), sorted({r["host"] for r in ranks}), step.record.spec["nodes"])
    assert seen[1] == (2, ["node1"], 1)
    assert seen[2] == (4, ["node1", "node2"], 2)


@pytest.mark.parametrize("target", TARGETS)
def test_cancel_stops_every_step_with_one_scancel(ws: Workspace, src: Path, target: str) -> None:
    run = _submit(ws, graphs.sleepers(ws, src, target, seconds=300))
    (long,) = run.find_step_run("long")
    deadline = time.time() + 60
    while long.get_status() != "Running":
        assert time.time() < deadline, long.record.status
        time.sleep(0.5)
    backend = get_backend(ws, target)
    calls: list[list[str]] = []
    real_run = backend.transport.run

    def counting(argv: Sequence[str], **kwargs: Any) -> Any:
        calls.append(list(argv))
        return real_run(argv, **kwargs)

    backend.transport.run = counting  # type: ignore[method-assign]
    try:
        run.cancel()
    finally:
        backend.transport.run = real_run  # type: ignore[method-assign]
    scancels = [c for c in calls if "scancel" in " ".join(c)]
    assert len(scancels) == 1 and len(calls) == 1
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == "Canceled"
    assert {s.record.status for s in run.get_steps()} == {"Canceled"}
    ids = [s.record.job_id or "" for s in run.get_steps()]
    deadline = time.time() + 30
    while any(state[0] not in ("CANCELLED",) for state in _squeue(ids).values()):
        assert time.time() < deadline, _squeue(ids)
        time.sleep(0.5)


def test_a_cycle_is_refused_with_nothing_recorded_or_sent(ws: Workspace, sbatch: Sbatch, src: Path) -> None:
    before_runs, before_calls = ws.run_store.count(), len(sbatch.calls())
    with pytest.raises(ValueError, match="Cycle detected including node two"):
        _submit(ws, graphs.cycle(ws, src, "slurm"))
    assert ws.run_store.count() == before_runs and len(sbatch.calls()) == before_calls


class _LoseFirstReply:
    """The real transport, except that the reply of the first graph submission is lost after it ran."""

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self.lost = 0

    def run(self, argv: Sequence[str], **kwargs: Any) -> Any:
        result = self._transport.run(argv, **kwargs)
        if not self.lost and any("submit.sh" in a for a in argv):
            self.lost += 1
            raise TransportError("connection dropped before the reply arrived")
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


@pytest.mark.parametrize("target", TARGETS)
def test_a_lost_submit_reply_submits_nothing_twice(
    ws: Workspace, sbatch: Sbatch, src: Path, target: str
) -> None:
    backend = get_backend(ws, target)
    real = backend.transport
    lossy = _LoseFirstReply(real)
    backend.transport = lossy  # type: ignore[misc]
    try:
        before = len(sbatch.calls())
        run = _submit(ws, graphs.chain(ws, src, target, seed=303), regenerate_outputs=True)
    finally:
        backend.transport = real  # type: ignore[misc]
    assert lossy.lost == 1
    assert len(sbatch.calls()) - before == 3  # the repeated command found all three, submitted none
    ids = [s.record.job_id for s in run.get_steps()]
    assert len(set(ids)) == 3 and all(ids)
    assert run.wait_for_completion(show_output=False) == "Finished"


def test_status_survives_purge_without_accounting(start_local_cluster, src: Path, tmp_path: Path) -> None:
    cluster = start_local_cluster(nodes=1, ssh=False, min_job_age=2)
    ws = Workspace.create(tmp_path / "ws", name="purge")
    ws.add_profile("short", {
        "transport": "local", "workdir": str(tmp_path / "work"), "container_runtime": "none",
        "python": sys.executable, "partition": cluster.partition,
        "client_env": {"SLURM_CONF": str(cluster.slurm_conf)},
    })
    try:
        ok = _submit(ws, graphs.chain(ws, src, "short", seed=404))
        bad = _submit(ws, graphs.failing(ws, src, "short", independent_seconds=1), continue_on_step_failure=True)
        ids = [s.record.job_id or "" for r in (ok, bad) for s in r.get_steps()]
        env = cluster.client_env()
        deadline = time.time() + 120
        while time.time() < deadline:  # no status asked meanwhile: slurmctld forgets the jobs
            out = subprocess.run(["squeue", "--noheader", "--states=all", "-o", "%i", f"--jobs={','.join(ids)}"],
                                 env=env, capture_output=True, text=True)
            if not out.stdout.strip():
                break
            time.sleep(1)
        else:
            pytest.fail("jobs were not purged by slurmctld within 120 s")
        assert ok.get_status() == "Finished"
        assert bad.get_status() == "Failed"
        assert {s.name: s.record.status for s in bad.get_steps()} == {
            "first": "Failed", "second": "Canceled", "third": "Canceled", "independent": "Completed",
        }
        assert bad.find_step_run("first")[0].record.exit_code == 3
    finally:
        close_all()
        ws.close()


V1_PIPELINE = textwrap.dedent(
    """
    import os

    from azureml.core import Experiment, Workspace
    from azureml.core.compute import ComputeTarget
    from azureml.pipeline.core import Pipeline, PipelineData
    from azureml.pipeline.steps import EstimatorStep
    from azureml.train.estimator import Estimator

    ws = Workspace.from_config()
    cpu = ComputeTarget(workspace=ws, name="slurm")
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "src")

    raw = PipelineData("raw")
    changed = PipelineData("changed")

    produce_est = Estimator(source_directory=src, entry_script="produce.py", compute_target=cpu, use_docker=False)
    produce = EstimatorStep(name="produce", estimator=produce_est,
                            estimator_entry_script_arguments=["--seed", 505, "--out", raw],
                            outputs=[raw], compute_target=cpu)
    transform_est = Estimator(source_directory=src, entry_script="transform.py", compute_target=cpu,
                              use_docker=False)
    transform = EstimatorStep(name="transform", estimator=transform_est,
                              estimator_entry_script_arguments=["--in", raw, "--out", changed],
                              inputs=[raw], outputs=[changed], compute_target=cpu, allow_reuse=False)

    pipeline = Pipeline(workspace=ws, steps=[produce, transform])
    run = Experiment(ws, "migrated").submit(pipeline)
    print("final status:", run.wait_for_completion(show_output=True))
    print("run id:", run.id)
    """
)


def test_migrated_estimator_step_pipeline_runs_unchanged(ws: Workspace, tmp_path: Path) -> None:
    project = tmp_path / "project"
    graphs.write_scripts(project / "src")
    script = project / "pipeline.py"
    script.write_text(V1_PIPELINE)
    migrated = subprocess.run([sys.executable, "-m", "migrate", "--target", "hpcest", "--write", str(script)],
                              cwd=ROOT, capture_output=True, text=True)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    text = script.read_text()
    assert "azureml" not in text and "from hpc_estimator import" in text and "CommandStep(" in text
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, str(script)], cwd=project, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "final status: Finished" in result.stdout
    assert "transformed 200000 bytes" in result.stdout  # streamed under the transform step's header
    run_id = result.stdout.split("run id:")[1].split()[0]
    run = ws.run_store.get(run_id)
    assert run.kind == "pipeline" and run.status == "Completed"
    assert [s.name for s in ws.run_store.children(run_id)] == ["produce", "transform"]
