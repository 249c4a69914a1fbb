"""What the Azure ML v1 service would run for a recorded v1 view (``builders.view``).

The SDK only fills a run configuration; the service turned it into processes. These are the
service's rules as v1 documents them (behaviour reference §3, §4, §9), applied to the recorded
state only — so the recording, not memory, decides:

- launcher: communicator IntelMpi/Mpi/OpenMpi -> ``mpi`` with ``node_count x
  mpi.process_count_per_node`` ranks; Gloo/Nccl (any case) -> ``torch`` with
  ``pytorch.process_count`` processes, or one per node when it is None (v1's estimator keeps
  ``process_count_per_node`` only for ``distributed_backend``, in ``mpi``); ParameterServer ->
  ``tf_ps`` with ``worker_count + parameter_server_count`` tasks; None -> ``single``: one process
  on one node (with node_count > 1 and no communicator the SDK says nothing about how many
  processes ran: ``total_tasks`` is None, meaning "not determined by the SDK").
- container: on iff ``docker.use_docker``. (Counter-evidence, not applied: SDKs of 2019 printed
  "This compute target type doesn't support non-Docker runs; overriding run configuration enable
  Docker" for cluster targets, Azure/MachineLearningNotebooks#603, and a 2021 report says AmlCompute
  jobs ran the same without a DockerConfiguration, #1485. The SDK recorded here has no such
  override; if the service still forced containers on clusters, ``docker.use_docker=False`` only
  mattered for ``"local"``.)
- image: ``environment.docker.base_image``; with a registry address and an image reference that
  names no registry host (Docker's rule: a first path component with a '.' or ':' or
  ``localhost``), the address is prefixed. v1's own framework-image mode stores ``pytorch:1.6-cpu``
  plus address ``viennaprivate.azurecr.io``, which only exists combined.
- packages: the conda specification is built into the image unless
  ``user_managed_dependencies``; ``python`` is its ``python=`` pin.
- env: ``environment.environment_variables`` then ``run_config.environment_variables`` (the
  run's own values win).
- argv: ``<python> script args`` (``<python>`` stands for the interpreter) or the command; None
  when the config names neither (the SDK accepts that; what the service did is not determined).
- time limit: ``max_run_duration_seconds`` as stored.
- inputs: data references and datasets by name and mode.
"""

from __future__ import annotations

from typing import Any

from .builders import command_tokens

MPI_COMMUNICATORS = ("intelmpi", "mpi", "openmpi")
TORCH_COMMUNICATORS = ("gloo", "nccl")
PYTHON = "<python>"


def _launch(view: dict[str, Any]) -> tuple[str, int, int | None]:
    communicator = str(view["communicator"] or "None").lower()
    nodes = view["node_count"]
    if communicator in MPI_COMMUNICATORS:
        return "mpi", nodes, nodes * view["mpi"]["process_count_per_node"]
    if communicator in TORCH_COMMUNICATORS:
        count = view["pytorch"]["process_count"]
        return "torch", nodes, count if count is not None else nodes
    if communicator == "parameterserver":
        tf = view["tensorflow"]
        return "tf_ps", nodes, tf["worker_count"] + tf["parameter_server_count"]
    if communicator == "none":
        return "single", nodes, 1 if nodes == 1 else None
    return f"unknown:{communicator}", nodes, None


def _names_registry(image: str) -> bool:
    first, _, rest = image.partition("/")
    return bool(rest) and ("." in first or ":" in first or first == "localhost")


def image_reference(base_image: str | None, registry: str | None) -> str | None:
    if base_image and registry and not _names_registry(base_image):
        return f"{registry.rstrip('/')}/{base_image}"
    return base_image


def what_runs(view: dict[str, Any]) -> dict[str, Any]:
    kind, nodes, tasks = _launch(view)
    env = view["environment"]
    container = bool(view["docker"] and view["docker"]["use_docker"])
    conda = env["conda"]
    installing = conda is not None and not env["user_managed_dependencies"]
    conda_packages = list(conda["conda_packages"]) if installing else []
    python = None
    for package in list(conda_packages):
        if package.split("=")[0].strip() == "python":
            python = package.split("=", 1)[1].lstrip("=") if "=" in package else None
            conda_packages.remove(package)
    argv: list[str] | None = None
    if view["command"]:
        argv = [*command_tokens(view["command"]), *view["arguments"]]
    elif view["script"]:
        argv = [PYTHON, view["script"], *view["arguments"]]
    return {
        "launcher": kind,
        "nodes": nodes,
        "total_tasks": tasks,
        "container": container,
        "image": image_reference(env["base_image"], env["registry_address"]) if container else None,
        "python": python,
        "conda_packages": sorted(conda_packages),
        "pip_packages": sorted(conda["pip_packages"]) if installing else [],
        "pip_options": sorted(conda["pip_options"]) if installing else [],
        "env": {**env["environment_variables"], **view["environment_variables"]},
        "argv": argv,
        "time_limit_s": view["max_run_duration_seconds"],
        "inputs": sorted(
            [[name, ref["mode"]] for name, ref in view["data_references"].items()]
            + [[name, str(mode).lower()] for name, mode in view["data"].items()]
        ),
    }
