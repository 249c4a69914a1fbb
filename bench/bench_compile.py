"""Compile + render speed: 1,000 varied estimators, against a bare jinja2 render in the same run.

    python bench/bench_compile.py [N]

Prints the time per estimator for construction, compile (config -> JobSpec) and render
(JobSpec -> sbatch text), and the ratio of compile+render to rendering a one-line jinja2
template (the floor any template-based generator pays).
"""

from __future__ import annotations

import itertools
import statistics
import sys
import time
import warnings

import jinja2

from hpc_estimator import Chainer, Estimator, Gloo, Mpi, Nccl, ParameterServer, PyTorch, SKLearn, TensorFlow
from hpc_estimator.cluster.profile import ClusterProfile, VmSize
from hpc_estimator.compile import compile_job
from hpc_estimator.job.render import render_sbatch

PROFILES = [
    ClusterProfile(name="hpc", workdir="/scratch/u/hpcest", partition="batch", gpus_per_node=4,
                   container_runtime=rt, image_cache="/scratch/u/images",
                   vm_sizes={"Standard_NC24": VmSize(partition="gpu", gpus=4)}, prologue=("module load apptainer",))
    for rt in ("apptainer", "singularity", "charliecloud", "none")
]


def make(i: int):
    params = {f"--p{j}": j * i for j in range(i % 6)} | {"--flag": "", "--name": f"run {i} 'quoted'"}
    kind = i % 8
    common = {"compute_target": "hpc", "entry_script": "train.py", "script_params": params,
              "environment_variables": {"SEED": str(i)}}
    if kind == 0:
        return Estimator("/src", **common)
    if kind == 1:
        return Estimator("/src", node_count=2, process_count_per_node=4, distributed_backend="mpi", use_gpu=True,
                         **common)
    if kind == 2:
        return PyTorch("/src", node_count=2, process_count_per_node=4, distributed_training=Nccl(), use_gpu=True,
                       framework_version="1.6", **common)
    if kind == 3:
        return PyTorch("/src", node_count=1, process_count_per_node=2, distributed_training=Gloo(),
                       framework_version="1.4", **common)
    if kind == 4:
        return TensorFlow("/src", distributed_training=ParameterServer(worker_count=2, parameter_server_count=1),
                          framework_version="2.2", **common)
    if kind == 5:
        return TensorFlow("/src", node_count=2, distributed_training=Mpi(2), framework_version="2.3", **common)
    if kind == 6:
        return Chainer("/src", node_count=2, process_count_per_node=2, distributed_backend="mpi",
                       framework_version="7.0.0", **common)
    return SKLearn("/src", framework_version="0.20.3", vm_size="Standard_NC24", **common)


def main(n: int = 1000) -> None:
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    configs = [make(i) for i in range(n)]
    t_construct = time.perf_counter() - t0

    specs = []
    t0 = time.perf_counter()
    for i, (config, profile) in enumerate(zip(configs, itertools.cycle(PROFILES))):
        specs.append(compile_job(config, profile=profile, run_id=f"bench_{i}_x", run_dir=f"/scratch/u/hpcest/runs/b{i}",
                                 experiment="bench").spec)
    t_compile = time.perf_counter() - t0

    t0 = time.perf_counter()
    sizes = [len(render_sbatch(spec)) for spec in specs]
    t_render = time.perf_counter() - t0

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    template = env.from_string("#!/bin/bash\nsrun {{ argv }}\n")
    t0 = time.perf_counter()
    for i in range(n):
        template.render(argv=f"python train.py --i {i}")
    t_bare = time.perf_counter() - t0

    per = lambda t: t / n * 1e6  # noqa: E731 - microseconds per estimator
    print(f"estimators: {n} (8 kinds x 4 runtimes), mean script {statistics.mean(sizes):.0f} bytes")
    print(f"construct        {per(t_construct):9.1f} us/estimator")
    print(f"compile          {per(t_compile):9.1f} us/estimator")
    print(f"render           {per(t_render):9.1f} us/estimator")
    print(f"compile+render   {per(t_compile + t_render):9.1f} us/estimator")
    print(f"bare jinja2      {per(t_bare):9.1f} us/render (one-line template)")
    print(f"ratio compile+render / bare jinja2 render: {(t_compile + t_render) / t_bare:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
