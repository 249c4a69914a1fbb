"""Pipelines the pipeline tests run, on this machine (compute_target="local") and on the local cluster.

The step scripts pass bytes along: ``produce.py`` writes a deterministic blob, ``transform.py``
writes it reversed with its input's checksum appended, ``join.py`` concatenates its inputs, so a
test can compute what every output must hold, byte for byte.
"""

from __future__ import annotations

import hashlib
import random
import textwrap
import warnings
from pathlib import Path
from typing import Any

from hpc_estimator import (
    CommandStep,
    DockerConfiguration,
    Estimator,
    EstimatorStep,
    Mpi,
    MpiConfiguration,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PythonScriptStep,
    RunConfiguration,
    ScriptRunConfig,
)

SCRIPTS = {
    "produce.py": """
        import argparse, os, random
        p = argparse.ArgumentParser()
        p.add_argument("--seed", type=int, required=True)
        p.add_argument("--size", type=int, default=200000)
        p.add_argument("--out", required=True)
        a = p.parse_args()
        data = random.Random(a.seed).randbytes(a.size)
        with open(os.path.join(a.out, "blob.bin"), "wb") as f:
            f.write(data)
        print("produced", len(data), "bytes into", a.out, "AZUREML_DATAREFERENCE_blob=" +
              os.environ.get("AZUREML_DATAREFERENCE_blob", "-"), flush=True)
    """,
    "transform.py": """
        import argparse, hashlib, os
        p = argparse.ArgumentParser()
        p.add_argument("--in", dest="src", required=True)
        p.add_argument("--out", required=True)
        a = p.parse_args()
        data = open(os.path.join(a.src, "blob.bin"), "rb").read()
        with open(os.path.join(a.out, "blob.bin"), "wb") as f:
            f.write(data[::-1] + hashlib.sha256(data).digest())
        print("transformed", len(data), "bytes", flush=True)
    """,
    "join.py": """
        import os, sys
        out = sys.argv[1]
        parts = [open(os.path.join(d, "blob.bin"), "rb").read() for d in sys.argv[2:]]
        with open(os.path.join(out, "blob.bin"), "wb") as f:
            f.write(b"".join(parts))
        os.makedirs("outputs", exist_ok=True)
        open("outputs/joined.txt", "w").write(str(len(parts)))
        print("joined", len(parts), "inputs", flush=True)
    """,
    "fail.py": """
        import sys
        print("failing on purpose", flush=True)
        sys.exit(3)
    """,
    "sleep.py": """
        import sys, time
        print("sleeping", sys.argv[1], flush=True)
        time.sleep(float(sys.argv[1]))
    """,
    "ranks.py": """
        import json, os, socket
        from mpi4py import MPI
        comm = MPI.COMM_WORLD
        info = {"rank": comm.Get_rank(), "size": comm.Get_size(), "host": socket.gethostname(),
                "nodes": os.environ.get("SLURM_JOB_NUM_NODES") or os.environ.get("SLURM_NNODES")}
        everyone = comm.gather(info)
        if comm.Get_rank() == 0:
            os.makedirs("outputs", exist_ok=True)
            json.dump(everyone, open("outputs/ranks.json", "w"))
        print("rank", comm.Get_rank(), "of", comm.Get_size(), flush=True)
    """,
}


def write_scripts(src: Path) -> Path:
    src.mkdir(parents=True, exist_ok=True)
    for name, text in SCRIPTS.items():
        (src / name).write_text(textwrap.dedent(text).lstrip())
    return src


def write_sweep_scripts(src: Path) -> Path:
    """The scripts of ``write_scripts`` and the trial script of a HyperDriveStep (``train.py``)."""
    write_scripts(src)
    (src / "train.py").write_text("print('train')\n")
    return src


def blob(seed: int, size: int = 200000) -> bytes:
    return random.Random(seed).randbytes(size)


def transformed(data: bytes) -> bytes:
    return data[::-1] + hashlib.sha256(data).digest()


def bare() -> RunConfiguration:
    """Steps run with the cluster's own Python (the test clusters have no container runtime)."""
    rc = RunConfiguration()
    rc.docker = DockerConfiguration(use_docker=False)
    return rc


def _step(script: str, name: str, target: str, src: Path, **kwargs: Any) -> PythonScriptStep:
    return PythonScriptStep(script, name=name, compute_target=target, source_directory=str(src), runconfig=bare(),
                            **kwargs)


def chain(ws: Any, src: Path, target: str, *, seed: int = 7) -> Pipeline:
    """produce -> transform (mount) -> copy (download) through PipelineData."""
    raw, changed, final = PipelineData("raw"), PipelineData("changed"), PipelineData("final")
    # Steps listed only through the data they produce: the pipeline brings them in (resolve_closure).
    _step("produce.py", "produce", target, src, arguments=["--seed", seed, "--out", raw], outputs=[raw])
    _step("transform.py", "transform", target, src, arguments=["--in", raw, "--out", changed], inputs=[raw],
          outputs=[changed])
    copied = changed.as_download("copied")
    finish = CommandStep(["python join.py", final, copied], name="finish", inputs=[copied], outputs=[final],
                         compute_target=target, source_directory=str(src), runconfig=bare())
    return Pipeline(ws, [finish])


def fan(ws: Any, src: Path, target: str, width: int = 3, *, seed: int = 11) -> Pipeline:
    """One producer, ``width`` transforms reading it, one join reading them all."""
    raw, joined = PipelineData("raw"), PipelineData("joined")
    produce = _step("produce.py", "produce", target, src, arguments=["--seed", seed, "--out", raw], outputs=[raw])
    outs = [PipelineData(f"part{i}") for i in range(width)]
    middle = [
        _step("transform.py", f"transform{i}", target, src, arguments=["--in", raw, "--out", out], inputs=[raw],
              outputs=[out])
        for i, out in enumerate(outs)
    ]
    join = _step("join.py", "join", target, src, arguments=[joined, *outs], inputs=outs, outputs=[joined])
    return Pipeline(ws, [produce, *middle, join])


def failing(ws: Any, src: Path, target: str, *, independent_seconds: float = 60) -> Pipeline:
    """first fails; second and third depend on it; independent does not."""
    a, b = PipelineData("a"), PipelineData("b")
    first = _step("fail.py", "first", target, src, arguments=["--out", a], outputs=[a], allow_reuse=False)
    second = _step("sleep.py", "second", target, src, arguments=["1", a, b], inputs=[a], outputs=[b])
    third = _step("sleep.py", "third", target, src, arguments=["1", b], inputs=[b])
    independent = _step("sleep.py", "independent", target, src, arguments=[independent_seconds], allow_reuse=False)
    return Pipeline(ws, [first, second, third, independent])


def sleepers(ws: Any, src: Path, target: str, seconds: float = 120) -> Pipeline:
    """A long step and one waiting for it (for cancel)."""
    gate = PipelineData("gate")
    long = _step("sleep.py", "long", target, src, arguments=[seconds, gate], outputs=[gate], allow_reuse=False)
    after = _step("sleep.py", "after", target, src, arguments=["1", gate], inputs=[gate], allow_reuse=False)
    return Pipeline(ws, [long, after])


def mpi_nodes(ws: Any, src: Path, target: str) -> tuple[Pipeline, PipelineParameter]:
    """An MPI EstimatorStep whose node count is a PipelineParameter (runconfig_pipeline_params NodeCount)."""
    nodes = PipelineParameter("nodes", default_value=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        est = Estimator(source_directory=str(src), entry_script="ranks.py", compute_target=target, node_count=1,
                        distributed_training=Mpi(process_count_per_node=2), use_docker=False)
        step = EstimatorStep(name="ranks", estimator=est, estimator_entry_script_arguments=[],
                             runconfig_pipeline_params={"NodeCount": nodes}, compute_target=target, allow_reuse=False)
    return Pipeline(ws, [step]), nodes


def cycle(ws: Any, src: Path, target: str) -> Pipeline:
    a, b = PipelineData("a"), PipelineData("b")
    one = _step("transform.py", "one", target, src, arguments=["--in", b, "--out", a], inputs=[b], outputs=[a])
    two = _step("transform.py", "two", target, src, arguments=["--in", a, "--out", b], inputs=[a], outputs=[b])
    return Pipeline(ws, [one, two])


def script_run_config_step(ws: Any, src: Path, target: str) -> Pipeline:
    """A CommandStep from a ScriptRunConfig with an MpiConfiguration (what `hpcest migrate` writes)."""
    out = PipelineData("out")
    config = ScriptRunConfig(source_directory=str(src), command=["python", "produce.py", "--seed", 3, "--out", out],
                             compute_target=target, distributed_job_config=MpiConfiguration(1, 1),
                             docker_runtime_config=DockerConfiguration(use_docker=False))
    return Pipeline(ws, [CommandStep(name="produce", runconfig=config, outputs=[out])])
