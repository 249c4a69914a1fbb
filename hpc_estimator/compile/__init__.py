"""Compile an Azure ML v1 configuration (Estimator family or ScriptRunConfig) into a JobSpec.

All Azure semantics live here: the run configuration's script and arguments, distribution
(communicator, node and process counts), environment and image, inputs and their tokens,
vm_size / vm_priority, time limit. What comes out is a neutral ``JobSpec``.
"""

from __future__ import annotations

import math
import posixpath
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..cluster.profile import ClusterProfile
from ..errors import ConfigError
from ..job import containers
from ..job.spec import (
    Bind,
    ContainerSpec,
    InputSpec,
    JobSpec,
    LaunchSpec,
    ResourceSpec,
    RuntimeName,
    SchedulerSpec,
)
from ..v1.compute import as_target_name
from . import images

# ScriptRunConfig's own default (30 days): treated as "no explicit limit" so the partition's
# default applies instead of a limit many partitions would reject.
SCRIPT_RUN_CONFIG_DEFAULT_DURATION = 2592000

_MPI_COMMUNICATORS = {"intelmpi", "mpi", "openmpi"}
_TORCH_COMMUNICATORS = {"gloo", "nccl"}
_FRAMEWORK_CLASSES = {"PyTorch", "TensorFlow", "Chainer", "SKLearn"}
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DATASET_TOKEN = "DatasetConsumptionConfig:"
_DATAREF_TOKEN = "$AZUREML_DATAREFERENCE_"


@dataclass(frozen=True)
class CompiledJob:
    spec: JobSpec
    warnings: tuple[str, ...] = ()
    # Framework name and version when the image came from hpcest's framework table.
    framework: str | None = None


def _value_to_arg(value: object) -> str:
    # v1 serialises arguments to JSON and the run command line uses their text form.
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value)
    name = getattr(value, "data_reference_name", None)
    if name:
        return f"{_DATAREF_TOKEN}{name}"
    name = getattr(value, "name", None)
    if name and type(value).__name__ == "DatasetConsumptionConfig":
        return f"{_DATASET_TOKEN}{name}"
    raise ConfigError(
        f"argument {value!r} of type {type(value).__name__} cannot be passed on a command line; "
        "use strings, numbers, DataReference or dataset.as_named_input(...).as_mount()"
    )


def target_of(config: object) -> str | None:
    """The compute target name the configuration asks for (None when it names none)."""
    target = getattr(getattr(config, "run_config", None), "target", None)
    return None if target is None else as_target_name(target)


def _launch(rc: Any) -> tuple[LaunchSpec, int, int | None, int]:
    """(launch spec, nodes, total tasks if uneven, tasks per node)."""
    communicator = str(getattr(rc, "communicator", None) or "None")
    comm = communicator.lower()
    nodes = int(getattr(rc, "node_count", 1) or 1)
    if comm in _MPI_COMMUNICATORS:
        ppn = int(getattr(rc.mpi, "process_count_per_node", 1) or 1)
        return LaunchSpec(kind="mpi"), nodes, None, ppn
    if comm in _TORCH_COMMUNICATORS:
        total = getattr(rc.pytorch, "process_count", None) or nodes
        if total % nodes:
            raise ConfigError(
                f"PyTorchConfiguration process_count={total} does not divide evenly over "
                f"node_count={nodes}; give a multiple of node_count (processes per node x nodes)"
            )
        return LaunchSpec(kind="torch", master_port=6105), nodes, None, total // nodes
    if comm == "parameterserver":
        workers = int(rc.tensorflow.worker_count)
        ps = int(rc.tensorflow.parameter_server_count)
        if workers < 1 or ps < 0:
            raise ConfigError("TensorFlow parameter server jobs need worker_count >= 1, parameter_server_count >= 0")
        total = workers + ps
        nodes = max(1, min(nodes, total))
        return LaunchSpec(kind="tf_ps", worker_count=workers, ps_count=ps), nodes, total, 1
    if comm != "none":
        raise ConfigError(f"communicator {communicator!r} is not supported (use MPI, Gloo, Nccl or ParameterServer)")
    if nodes > 1:
        raise ConfigError(
            f"node_count={nodes} without a distributed configuration would run {nodes} copies that "
            "do not talk to each other; set distributed_training=Mpi()/Gloo()/Nccl()/ParameterServer()"
        )
    return LaunchSpec(kind="single"), 1, None, 1


def _framework_of(config: object) -> tuple[str, str] | None:
    cls = type(config).__name__
    if cls in _FRAMEWORK_CLASSES:
        version = getattr(config, "framework_version", None) or getattr(config, "_framework_version", None)
        if version:
            return cls, str(version)
    return None


def _params(config: object) -> Mapping[str, Any]:
    """An estimator's constructor arguments as given (empty for ScriptRunConfig)."""
    return getattr(config, "_constructor_params", None) or {}


def _resolve_image(config: object, rc: Any, use_gpu: bool) -> tuple[str, str | None]:
    """(image reference, framework label) for the job's environment."""
    params = _params(config)
    custom = params.get("custom_docker_image") or params.get("custom_docker_base_image")
    framework = _framework_of(config)
    if framework and not custom and not params.get("environment_definition"):
        fw, version = framework
        try:
            return images.framework_image(fw, version, use_gpu), f"{fw} {version}"
        except KeyError as exc:
            raise ConfigError(str(exc.args[0])) from None
    scenario = getattr(rc.environment, "framework_scenario", None)
    if isinstance(scenario, Mapping) and scenario.get("framework") and scenario.get("version"):
        # A curated environment (Environment.get(ws, "AzureML-PyTorch-1.6-GPU")): the framework's
        # own public image of that version, as for the framework estimators.
        fw, version = str(scenario["framework"]), str(scenario["version"])
        gpu = use_gpu or scenario.get("processor") == "gpu"
        try:
            return images.framework_image(fw, version, gpu), f"{fw} {version}"
        except KeyError as exc:
            raise ConfigError(str(exc.args[0])) from None
    docker = getattr(rc.environment, "docker", None)
    base = getattr(docker, "base_image", None) if docker is not None else None
    if base:
        return str(base), None
    return (images.DEFAULT_GPU_IMAGE if use_gpu else images.DEFAULT_CPU_IMAGE), None


def _user_packages(config: object, env: Any) -> tuple[list[str], list[str], list[str]]:
    """(pip packages, conda packages, files) the user asked for on top of the image."""
    params = _params(config)
    if params:
        if params.get("user_managed") or params.get("environment_definition") is not None:
            return [], [], []
        files = [str(f) for f in (params.get("conda_dependencies_file"), params.get("pip_requirements_file")) if f]
        return (
            [str(p) for p in params.get("pip_packages") or []],
            [str(p) for p in params.get("conda_packages") or []],
            files,
        )
    python = getattr(env, "python", None)
    conda = getattr(python, "conda_dependencies", None)
    if conda is None or getattr(python, "user_managed_dependencies", False):
        return [], [], []
    if getattr(env, "framework_scenario", None):
        # A curated environment: its packages are what the framework image already holds.
        return [], [], []

    def listed(attr: str) -> list[str]:
        value = getattr(conda, attr, None)
        value = value() if callable(value) else value
        return [
            str(p)
            for p in (value or [])
            if not str(p).startswith(("python=", "python==", "pip=", "pip==", "azureml-defaults"))
            and str(p) not in ("pip", "python")
        ]

    return listed("pip_packages"), listed("conda_packages"), []


def _env_pairs(*maps: Mapping[str, object] | None) -> list[tuple[str, str]]:
    merged: dict[str, str] = {}
    for mapping in maps:
        for key, value in (mapping or {}).items():
            if not isinstance(key, str) or not _NAME_RE.match(key):
                raise ConfigError(
                    f"environment variable name {key!r} is not valid (letters, digits, '_'; not starting with a digit)"
                )
            if value is None:
                continue
            text = value if isinstance(value, str) else str(value)
            if "\x00" in text:
                raise ConfigError(f"environment variable {key} contains a NUL byte, which no process can receive")
            merged[key] = text
    return list(merged.items())


def _inputs(
    rc: Any, runtime: RuntimeName, host_run_dir: str, warnings: list[str]
) -> tuple[list[InputSpec], dict[str, str], dict[str, str]]:
    """(inputs, dataref name -> path seen by the job, dataset name -> path seen by the job)."""
    lay = containers.layout(runtime, host_run_dir)
    specs: list[InputSpec] = []
    ref_paths: dict[str, str] = {}
    ds_paths: dict[str, str] = {}

    def add(name: str, obj: Any, table: dict[str, str]) -> None:
        source = getattr(obj, "cluster_path", None)
        if not source:
            raise ConfigError(f"input {name!r} has no cluster path; build it from a Datastore or a cluster path")
        mode = str(getattr(obj, "mode", "mount") or "mount").lower()
        if mode not in ("mount", "download"):
            raise ConfigError(
                f"input {name!r}: mode {mode!r} is not supported on Slurm; use as_mount() or as_download()"
            )
        if not _NAME_RE.match(name):
            raise ConfigError(
                f"input name {name!r} must be letters, digits and '_' (it becomes an environment variable)"
            )
        if getattr(obj, "path_on_compute", None):
            warnings.append(
                f"input {name!r}: path_on_compute is ignored; the data appears at {lay.input_path(name)} "
                "and its path is passed through the argument token"
            )
        specs.append(InputSpec(name=name, source=str(source), mode=mode))  # type: ignore[arg-type]
        if runtime == "none" and mode == "mount":
            table[name] = str(source)
        else:
            table[name] = lay.input_path(name)

    for name, ref in (getattr(rc, "data_references", None) or {}).items():
        add(name, ref, ref_paths)
    for name, ds in (getattr(rc, "data", None) or {}).items():
        add(name, ds, ds_paths)
    return specs, ref_paths, ds_paths


def _substitute(arg: str, ref_paths: Mapping[str, str], ds_paths: Mapping[str, str]) -> str:
    if arg.startswith(_DATASET_TOKEN) and arg[len(_DATASET_TOKEN) :] in ds_paths:
        return ds_paths[arg[len(_DATASET_TOKEN) :]]
    if _DATAREF_TOKEN in arg:
        # Longest names first so $AZUREML_DATAREFERENCE_ab is not eaten by a reference named a.
        for name in sorted(ref_paths, key=len, reverse=True):
            arg = arg.replace(_DATAREF_TOKEN + name, ref_paths[name])
    return arg


def _command(config: object, rc: Any, python: str) -> list[str]:
    command = getattr(rc, "command", None) or getattr(config, "command", None)
    arguments = [_value_to_arg(a) for a in (getattr(rc, "arguments", None) or [])]
    if command:
        if isinstance(command, str):
            return [*shlex.split(command), *arguments]
        items = list(command)
        head = shlex.split(str(items[0])) if items else []
        return [*head, *(_value_to_arg(i) for i in items[1:]), *arguments]
    script = getattr(rc, "script", None) or getattr(config, "script", None)
    if not script:
        raise ConfigError("the configuration has neither an entry script nor a command; set entry_script= / script=")
    if str(script).endswith(".ipynb"):
        raise ConfigError(
            f"entry script {script!r} is a notebook; convert it first "
            "(`jupyter nbconvert --to script`) and pass the .py file"
        )
    return [python, str(script), *arguments]


def compile_job(
    config: object,
    *,
    profile: ClusterProfile,
    run_id: str,
    run_dir: str,
    experiment: str = "",
) -> CompiledJob:
    """Compile ``config`` for ``profile``; ``run_dir`` is the run's directory on the cluster."""
    rc = getattr(config, "run_config", None)
    if rc is None:
        raise ConfigError(f"{type(config).__name__} is not an Estimator or ScriptRunConfig (no run_config)")
    if not posixpath.isabs(run_dir):
        raise ConfigError(f"run directory {run_dir!r} must be absolute")
    warnings: list[str] = []

    launch, nodes, ntasks, tasks_per_node = _launch(rc)
    launch = LaunchSpec(
        kind=launch.kind,
        mpi_plugin=profile.mpi_plugin,
        master_port=launch.master_port,
        worker_count=launch.worker_count,
        ps_count=launch.ps_count,
    )

    # Resources: vm_size from the profile's table, GPUs from use_gpu or the size.
    amlcompute = getattr(rc, "amlcompute", None)
    params = _params(config)
    # v1 kept vm_size/vm_priority only for its run-based compute; here they always describe the job.
    vm_size = getattr(amlcompute, "vm_size", None) or params.get("vm_size")
    vm_priority = str(getattr(amlcompute, "vm_priority", None) or params.get("vm_priority") or "dedicated").lower()
    env = rc.environment
    use_gpu = bool(getattr(getattr(env, "docker", None), "gpu_support", False))
    partition, constraint = profile.partition, None
    gpus = 0
    cpus_per_task = None
    mem = None
    if vm_size:
        size = profile.vm_sizes.get(vm_size)
        if size is None:
            known = ", ".join(sorted(profile.vm_sizes)) or "none configured"
            raise ConfigError(
                f"vm_size {vm_size!r} is not known to cluster profile {profile.name!r} (known: {known}); "
                f"add it under [clusters.{profile.name}.vm_sizes.{vm_size}] in hpcest.toml"
            )
        partition = size.partition or partition
        constraint = size.constraint
        gpus = size.gpus
        mem = size.mem_mb
        if size.cpus:
            cpus_per_task = max(1, size.cpus // (ntasks or tasks_per_node))
    if use_gpu and gpus == 0:
        gpus = (
            profile.gpus_per_node
            if profile.gpus_per_node
            else (math.ceil(ntasks / nodes) if ntasks else tasks_per_node)
        )
    qos, requeue = profile.qos, False
    if vm_priority == "lowpriority":
        requeue = True
        if profile.lowpriority_qos:
            qos = profile.lowpriority_qos
        if profile.lowpriority_partition:
            partition = profile.lowpriority_partition
        if not (profile.lowpriority_qos or profile.lowpriority_partition):
            warnings.append(
                f"vm_priority='lowpriority': profile {profile.name!r} sets no lowpriority_qos or "
                "lowpriority_partition, so the job only becomes requeue-able"
            )
    elif vm_priority != "dedicated":
        raise ConfigError(f"vm_priority must be 'dedicated' or 'lowpriority', got {vm_priority!r}")

    duration = getattr(rc, "max_run_duration_seconds", None)
    if duration == SCRIPT_RUN_CONFIG_DEFAULT_DURATION and type(config).__name__ == "ScriptRunConfig":
        duration = None

    # Container runtime and image.
    docker_cfg = getattr(rc, "docker", None)
    use_docker = getattr(docker_cfg, "use_docker", True)
    runtime: RuntimeName = profile.container_runtime if use_docker else "none"  # type: ignore[assignment]
    framework_label = None
    image_path = image_source = None
    if runtime != "none":
        image_ref, framework_label = _resolve_image(config, rc, use_gpu or gpus > 0)
        source = images.to_image_source(image_ref)
        if source.startswith("/"):
            image_path = source  # a prebuilt image on the cluster (.sif file or charliecloud dir)
        else:
            image_source = source
            image_path = containers.cached_image_path(runtime, profile.image_cache, source)
    shm = containers.shm_warning(runtime, getattr(docker_cfg, "shm_size", None))
    if shm:
        warnings.append(shm)
    pip_pkgs, conda_pkgs, dep_files = _user_packages(config, env)
    definition = None
    if dep_files:
        warnings.append(
            f"dependency files {', '.join(dep_files)} are not installed by hpcest; build an image from them "
            "(apptainer build) and pass it as custom_docker_image"
        )
    if (pip_pkgs or conda_pkgs) and runtime in ("apptainer", "singularity") and image_source:
        # Layer the packages onto the image once per cluster, as v1 built an image per environment.
        try:
            definition = images.definition_file(image_source, pip_pkgs, conda_pkgs)
        except ValueError as exc:
            raise ConfigError(f"pip_packages/conda_packages: {exc}") from None
        image_path = containers.cached_image_path(runtime, profile.image_cache, definition)
        image_source = image_path.removesuffix(".sif") + ".def"
    elif pip_pkgs or conda_pkgs:
        warnings.append(
            f"packages {', '.join([*pip_pkgs, *conda_pkgs])} are not installed for runtime {runtime!r}: "
            "use an image that contains them (custom_docker_image) or an apptainer/singularity profile"
        )

    inputs, ref_paths, ds_paths = _inputs(rc, runtime, run_dir, warnings)
    lay = containers.layout(runtime, run_dir)
    python = "python" if runtime != "none" else profile.python
    argv = [_substitute(a, ref_paths, ds_paths) for a in _command(config, rc, python)]

    binds = list(containers.default_binds(run_dir, runtime))
    if runtime != "none":
        for inp in inputs:
            if inp.mode == "mount":
                binds.append(Bind(inp.source, lay.input_path(inp.name), read_only=True))

    for bind in binds:
        containers.bind_spec(bind, runtime)  # refuse unbindable paths now, not at render time

    system_env = {
        "AZUREML_RUN_ID": run_id,
        "AZUREML_EXPERIMENT_NAME": experiment,
        "HPCEST_RUN_DIR": lay.run_dir,
        "HPCEST_EXPERIMENT": experiment,
    }
    dataref_env = {f"AZUREML_DATAREFERENCE_{n}": p for n, p in {**ref_paths, **ds_paths}.items()}
    # The in-job azureml/hpc_estimator stand-ins come first; a user PYTHONPATH follows them.
    pylib = posixpath.join(lay.run_dir, ".hpcest", "pylib")
    user_pythonpath = (getattr(rc, "environment_variables", None) or {}).get("PYTHONPATH")
    system_env["PYTHONPATH"] = f"{pylib}:{user_pythonpath}" if user_pythonpath else pylib
    env_pairs = _env_pairs(
        profile.env,
        getattr(env, "environment_variables", None) if env is not None else None,
        getattr(rc, "environment_variables", None),
        dataref_env,
        system_env,
    )

    if runtime in ("apptainer", "singularity"):
        blocked = [k for k, _ in env_pairs if k in containers.NOT_FORWARDABLE]
        if blocked:
            warnings.append(
                f"environment variable(s) {', '.join(blocked)} are not passed into {runtime} containers "
                "(the image defines them); set them in the training script or the image instead"
            )

    spec = JobSpec(
        name=run_id,
        argv=tuple(argv),
        run_dir=run_dir,
        resources=ResourceSpec(
            nodes=nodes,
            tasks_per_node=tasks_per_node,
            ntasks=ntasks,
            cpus_per_task=cpus_per_task,
            gpus_per_node=gpus,
            gres_name=profile.gres_name,
            mem_per_node_mb=mem,
        ),
        launcher=launch,
        container=ContainerSpec(
            runtime=runtime,
            image=image_path,
            image_source=image_source,
            gpu=runtime != "none" and gpus > 0,
            binds=tuple(binds),
            workdir=lay.src_dir if runtime != "none" else None,
            shm_size=getattr(docker_cfg, "shm_size", None),
            definition=definition,
        ),
        scheduler=SchedulerSpec(
            partition=partition,
            account=profile.account,
            qos=qos,
            constraint=constraint,
            time_limit_s=int(duration) if duration else None,
            requeue=requeue,
            extra_directives=profile.extra_directives,
        ),
        env=tuple(env_pairs),
        inputs=tuple(inputs),
        prologue=profile.prologue,
    )
    return CompiledJob(spec=spec, warnings=tuple(warnings), framework=framework_label)
