"""Reading a v1 ``RunConfiguration`` the way the v1 service did: the shared half of resolution.

The estimators and ScriptRunConfig fill the same RunConfiguration attributes; how the service
turned those attributes into processes, an image and packages is decided here, once. What differs
between the classes (which arguments count as "given", ScriptRunConfig's 30-day default duration,
an estimator's notes) stays in the classes, which pass it in.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from ..errors import UserErrorException
from .compute import LOCAL_TARGET, as_target_name
from .data import DataReference, DatasetConsumptionConfig
from .environment import AZUREML_DEFAULTS, DEFAULT_CPU_IMAGE, DEFAULT_GPU_IMAGE, Environment, package_name
from .resolved import (
    DataInput,
    Distribution,
    FrameworkImage,
    Image,
    ImageReference,
    MpiRanks,
    Packages,
    ParameterServers,
    ResolvedRun,
    ScriptChecks,
    SingleProcess,
    TorchProcesses,
)
from .runconfig import RunConfiguration

MPI_COMMUNICATORS = frozenset({"intelmpi", "mpi", "openmpi"})
TORCH_COMMUNICATORS = frozenset({"gloo", "nccl"})
# Packages every v1 environment carried for the Azure ML runtime itself. The job's azureml.core
# stand-in replaces that runtime on a cluster, so they are not installed (python= pins the
# interpreter of a conda environment hpcest does not create: the image's Python runs the job).
_RUNTIME_PACKAGES = frozenset({AZUREML_DEFAULTS, "python", "pip"})


def _count(value: Any, what: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UserErrorException(f"{what} must be an integer >= {minimum}, got {value!r}.")
    return value


def resolve_distribution(rc: RunConfiguration) -> tuple[Distribution, int]:
    """(distribution, node count) as v1's service read ``communicator`` and its section."""
    communicator = str(rc.communicator or "None").lower()
    nodes = _count(rc.node_count if rc.node_count is not None else 1, "node_count")
    if communicator in MPI_COMMUNICATORS:
        per_node = rc.mpi.process_count_per_node
        return MpiRanks(_count(1 if per_node is None else per_node, "MpiConfiguration process_count_per_node")), nodes
    if communicator in TORCH_COMMUNICATORS:
        # process_count is the total; None means one process per node (the v1 default).
        given = rc.pytorch.process_count
        total = nodes if given is None else _count(given, "PyTorchConfiguration process_count")
        if total % nodes:
            raise UserErrorException(
                f"PyTorchConfiguration process_count={total} does not divide evenly over node_count={nodes}; "
                f"give a multiple of node_count (processes per node x nodes)."
            )
        return TorchProcesses(total, "gloo" if communicator == "gloo" else "nccl"), nodes
    if communicator == "parameterserver":
        workers = _count(rc.tensorflow.worker_count, "TensorFlow worker_count")
        servers = _count(rc.tensorflow.parameter_server_count, "TensorFlow parameter_server_count", minimum=0)
        return ParameterServers(workers, servers), nodes
    if communicator != "none":
        raise UserErrorException(
            f"communicator {rc.communicator!r} is not supported on Slurm; use MPI (MpiConfiguration), "
            f"Gloo/Nccl (PyTorchConfiguration) or ParameterServer (TensorflowConfiguration)."
        )
    if nodes > 1:
        raise UserErrorException(
            f"node_count={nodes} without a distributed configuration would run {nodes} copies that do not "
            f"talk to each other; set distributed_job_config=MpiConfiguration(...)/PyTorchConfiguration(...)/"
            f"TensorflowConfiguration(...) (estimators: distributed_training=Mpi()/Gloo()/Nccl()/ParameterServer())."
        )
    return SingleProcess(), 1


def _has_registry_host(image: str) -> bool:
    """True for "mcr.microsoft.com/x" or "localhost:5000/x"; False for "ubuntu:22.04" or "team/img" (Docker's rule)."""
    first, sep, _ = image.partition("/")
    return bool(sep) and ("." in first or ":" in first or first == "localhost")


def _registry_reference(env: Environment) -> tuple[str, str | None]:
    """The base image as v1 pulled it: from the registry address when the name has no registry of its own."""
    image = str(env.docker.base_image)
    registry = env.docker.base_image_registry
    address = (getattr(registry, "address", None) or "").rstrip("/")
    username = getattr(registry, "username", None)
    if not address or image.startswith("/") or _has_registry_host(image):
        return image, username if address and image.startswith(address + "/") else None
    return f"{address}/{image}", username


def _listed(items: Iterable[Any]) -> tuple[str, ...]:
    return tuple(str(item) for item in items if package_name(str(item)) not in _RUNTIME_PACKAGES)


def resolve_software(env: Environment) -> tuple[Image, Packages]:
    """(image, packages to add to it) for an Environment.

    An environment that stands for a v1 framework scenario (a framework estimator's, or a curated
    ``AzureML-<Framework>-<version>`` one) runs the framework's own image while its base image is
    still the scenario's; the scenario's pins travel with that image choice, and ``packages`` is
    what the user added on top. Any other base image is used as named, with the environment's whole
    package list installed on it, as v1's image build did.
    """
    if env.docker.base_dockerfile or env.docker.build_context:
        raise UserErrorException(
            f"Environment {env.name!r} builds its image from a Dockerfile (docker.base_dockerfile / build_context); "
            f"hpcest cannot build Dockerfiles on a cluster. Build the image yourself (docker build, then "
            f"apptainer build img.sif docker-daemon://...) and set docker.base_image to it."
        )
    if not env.docker.base_image:
        raise UserErrorException(
            f"Environment {env.name!r} has no docker.base_image; set one (e.g. {DEFAULT_CPU_IMAGE!r})."
        )
    scenario = env.framework_scenario
    deps = env.python.conda_dependencies
    baseline: set[str] = set()
    image: Image
    if scenario is not None and env.docker.base_image == scenario["base_image"]:
        baseline = {*scenario["pip_packages"], *scenario["conda_packages"]}
        # The scenario's pins still in the specification (a user package of the same name replaced
        # its pin); the Azure ML runtime packages are the in-job stand-in's business.
        pins = tuple(
            p for p in _listed(deps.pip_packages) if p in baseline and not package_name(p).startswith("azureml-")
        )
        image = FrameworkImage(
            str(scenario["framework"]), str(scenario["version"]), scenario["processor"] == "gpu", pins=pins
        )
    else:
        reference, username = _registry_reference(env)
        image = ImageReference(
            reference, is_default=env.docker.base_image in (DEFAULT_CPU_IMAGE, DEFAULT_GPU_IMAGE),
            registry_username=username,
        )
    if env.python.user_managed_dependencies:
        return image, Packages()
    if scenario is not None:
        # A scenario's azureml-* pins serve Azure ML's own runtime, which the job's stand-in replaces.
        baseline |= {p for p in scenario["pip_packages"] if package_name(str(p)).startswith("azureml-")}
    packages = Packages(
        pip=tuple(p for p in _listed(deps.pip_packages) if p not in baseline),
        conda=tuple(p for p in _listed(deps.conda_packages) if p not in baseline),
        conda_channels=tuple(deps.conda_channels),
        pip_options=tuple(deps.pip_options),
    )
    return image, packages


def argument_text(value: Any) -> str:
    """One command-line item as v1 serialised it: strings as they are, numbers and flags by ``str``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value)
    if isinstance(value, DataReference | DatasetConsumptionConfig):
        return str(value)
    raise UserErrorException(
        f"argument {value!r} of type {type(value).__name__} cannot be passed on a command line; use strings, "
        f"numbers, DataReference or dataset.as_named_input(...).as_mount()."
    )


def resolve_command(rc: RunConfiguration) -> tuple[str | None, tuple[str, ...]]:
    """(script, arguments) or, for a command, (None, the whole command line)."""
    arguments = [argument_text(a) for a in rc.arguments or []]
    command = rc.command
    if command and (rc.script or arguments):
        raise UserErrorException(
            "command cannot be combined with script or arguments (v1 refused such a run at submission): put the "
            "whole command line in command=['python', 'train.py', '--epochs', 10], or use script= with arguments=."
        )
    if command:
        if isinstance(command, str):
            return None, (*shlex.split(command), *arguments)
        items = list(command)
        head = shlex.split(str(items[0])) if items else []
        return None, (*head, *(argument_text(i) for i in items[1:]), *arguments)
    if not rc.script:
        raise UserErrorException(
            "the configuration has neither an entry script nor a command; set entry_script= / script= or command=."
        )
    if str(rc.script).endswith(".ipynb"):
        raise UserErrorException(
            f"entry script {rc.script!r} is a notebook; v1 ran notebooks through papermill, which hpcest does not. "
            f"Convert it first (`jupyter nbconvert --to script`) and pass the .py file."
        )
    return str(rc.script), tuple(arguments)


def resolve_inputs(rc: RunConfiguration) -> tuple[DataInput, ...]:
    inputs = []
    for name, ref in (rc.data_references or {}).items():
        inputs.append(
            DataInput(name, ref.cluster_path, str(ref.mode).lower(), str(ref), getattr(ref, "path_on_compute", None))
        )
    for name, ds in (rc.data or {}).items():
        inputs.append(DataInput(name, ds.cluster_path, str(ds.mode).lower(), str(ds), ds.path_on_compute))
    return tuple(inputs)


def _environment_pairs(*maps: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    merged: dict[str, str] = {}
    for mapping in maps:
        for key, value in (mapping or {}).items():
            if value is not None:
                merged[str(key)] = value if isinstance(value, str) else str(value)
    return tuple(merged.items())


def _script_checks(asked: ScriptChecks | None, image: Image, target: str | None) -> ScriptChecks:
    """v1 compared imports with packages only for its framework images and not for "local" runs."""
    if asked is None:
        return ScriptChecks()
    packages = asked.packages and isinstance(image, FrameworkImage) and target != LOCAL_TARGET
    return ScriptChecks(lint=asked.lint, packages=packages)


def resolve_run_configuration(
    rc: RunConfiguration,
    *,
    config_kind: str,
    source_directory: str,
    default_duration: int | None = None,
    checks: ScriptChecks | None = None,
    notes: tuple[str, ...] = (),
) -> ResolvedRun:
    """The ResolvedRun for ``rc``. ``default_duration`` is a class's own default time limit, which
    means "none asked for" rather than a limit (ScriptRunConfig's 30 days)."""
    distribution, nodes = resolve_distribution(rc)
    script, arguments = resolve_command(rc)
    env = rc.environment
    image, packages = resolve_software(env)
    # The target the code names. Sending the run elsewhere (hpcest submit --target, $HPCEST_TARGET)
    # is decided at submission, which calls ``retarget``.
    target_name = None if rc.target is None else as_target_name(rc.target)
    if rc.docker_given:
        use_docker = bool(rc.docker.use_docker)
    else:
        # Nothing said whether to use a container: v1's clusters ran every job in one, while a
        # "local" run used the caller's own Python.
        use_docker = target_name != LOCAL_TARGET
    duration = rc.max_run_duration_seconds
    if duration is not None and (duration == default_duration or duration == 0):
        duration = None  # 0: v1 accepted it and set no limit
    if duration is not None and duration < 0:
        raise UserErrorException(
            f"max_run_duration_seconds={duration} is negative; give the limit in seconds (> 0), or None for no limit."
        )
    priority = str(rc.amlcompute.vm_priority or "dedicated").lower()
    if priority not in ("dedicated", "lowpriority"):
        raise UserErrorException(
            f"vm_priority must be 'dedicated' or 'lowpriority', got {rc.amlcompute.vm_priority!r}."
        )
    return ResolvedRun(
        config_kind=config_kind,
        source_directory=source_directory,
        script=script,
        arguments=arguments,
        target=target_name,
        node_count=nodes,
        distribution=distribution,
        use_docker=use_docker,
        image=image,
        gpu=bool(env.docker.gpu_support),
        packages=packages,
        interpreter=str(env.python.interpreter_path or "python"),
        shm_size=rc.docker.shm_size,
        environment_variables=_environment_pairs(env.environment_variables, rc.environment_variables),
        inputs=resolve_inputs(rc),
        vm_size=rc.amlcompute.vm_size,
        vm_priority="lowpriority" if priority == "lowpriority" else "dedicated",
        time_limit_s=duration,
        checks=_script_checks(checks, image, target_name),
        docker_given=rc.docker_given,
        checks_asked=checks or ScriptChecks(),
        notes=notes,
    )


def retarget(run: ResolvedRun, name: str) -> ResolvedRun:
    """``run`` sent to the compute target ``name`` rather than the one its code named.

    v1's defaults that follow the target are decided again for ``name``: a container everywhere but
    "local" when the configuration did not choose, and the package check not for "local". What the
    configuration set itself stays.
    """
    if name == run.target:
        return run
    use_docker = run.use_docker if run.docker_given else name != LOCAL_TARGET
    checks = run.checks if run.checks_asked is None else _script_checks(run.checks_asked, run.image, name)
    return replace(run, target=name, use_docker=use_docker, checks=checks)
