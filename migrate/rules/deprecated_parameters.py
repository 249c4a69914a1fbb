"""Lint: deprecated estimator parameters (what v1 logged as deprecation warnings).

``distributed_backend="mpi"``, ``custom_docker_base_image=``, the ``*_file_path`` spellings, and
per-node/worker counts other than 1 given to the estimator instead of the distribution object::

    est = Estimator(".", entry_script="t.py", distributed_backend="mpi", node_count=2)
    # HPL202 distributed_backend is deprecated (fix: use distributed_job_config=MpiConfiguration(...))

The rewrite itself is done by the estimator rule; this rule only reports.
"""

from __future__ import annotations

from migrate import cst_build as b
from migrate.engine import Migration
from migrate.names import ESTIMATOR_CLASSES

CODES = ("HPL202",)

DEPRECATED = {
    "distributed_backend": "use distributed_job_config=MpiConfiguration/PyTorchConfiguration/TensorflowConfiguration",
    "custom_docker_base_image": "use env.docker.base_image (custom_docker_image)",
    "conda_dependencies_file_path": "use Environment.from_conda_specification (conda_dependencies_file)",
    "pip_requirements_file_path": "use Environment.from_pip_requirements (pip_requirements_file)",
}
# v1 warned about these when they were not 1 (with a backend string they are that backend's settings;
# process_count_per_node only "mpi"'s: with another backend or a distribution object v1 ignored it).
COUNT_DEPRECATED = {
    "process_count_per_node": "give it to the distribution object, e.g. MpiConfiguration(process_count_per_node=...)",
    "worker_count": "use TensorflowConfiguration(worker_count=...)",
    "parameter_server_count": "use TensorflowConfiguration(parameter_server_count=...)",
}

IGNORED_PER_NODE = (
    "process_count_per_node was ignored by v1 here (it applied only with distributed_backend='mpi'); "
    "the job keeps v1's process count"
)
IGNORED_PER_NODE_FIX = (
    "to run several processes per node, set process_count_per_node on the MpiConfiguration or the total "
    "process_count on the PyTorchConfiguration"
)


def plan(m: Migration) -> None:
    from migrate.rules.estimator import call_kwargs

    for call, cls in m.facts.calls:
        if cls not in ESTIMATOR_CLASSES:
            continue
        kwargs, _ = call_kwargs(call)
        for name, fix in DEPRECATED.items():
            if name in kwargs:
                m.report("HPL202", f"{name} is deprecated", kwargs[name], fix)
        backend = b.literal_value(kwargs["distributed_backend"]) if "distributed_backend" in kwargs else None
        for name, fix in COUNT_DEPRECATED.items():
            if name not in kwargs or b.literal_value(kwargs[name]) == 1:
                continue
            # v1 set it only for distributed_backend="mpi", and a distribution object replaced even that.
            ignored = "distributed_training" in kwargs or (isinstance(backend, str) and backend.lower() != "mpi")
            if name == "process_count_per_node" and ignored:
                m.report("HPL202", IGNORED_PER_NODE, kwargs[name], IGNORED_PER_NODE_FIX)
            elif "distributed_backend" not in kwargs:
                m.report("HPL202", f"{name} other than 1 is deprecated", kwargs[name], fix)
