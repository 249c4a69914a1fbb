"""Seeded random v1 config specs, plus hand-written named cases.

A *spec* is plain JSON data describing one constructor call, e.g.::

    {"cls": "PyTorch", "region": "usgovvirginia",
     "kwargs": {"source_directory": "src", "entry_script": "train.py", "node_count": 2,
                "distributed_training": {"$obj": "Gloo"}, ...}}

Markers (resolved by ``builders.resolve`` on each side):

- ``{"$obj": NAME, ...args}``: an object built by the side's factory for NAME (Mpi, Gloo, Nccl,
  ParameterServer, MpiConfiguration, PyTorchConfiguration, TensorflowConfiguration,
  DockerConfiguration, ContainerRegistry, Environment (a small recipe), Datastore, DataReference,
  DataPath, AmlCompute). Only the args present are passed, so each side's defaults apply.
- ``{"$pairs": [[key, value], ...]}``: a dict whose insertion order matters (script_params), kept
  as a list so the recording can be written with sorted keys.

``region`` is the v1 AmlCompute ``location`` (a region in v1's non-cached list forces v1's "full
build" mode, the mode hpcest mirrors; ``westeurope`` gives v1's "framework image, no build" mode).
``source`` names a fixture directory layout (``write_fixture``).

This module imports neither SDK, so it runs under both interpreters.
"""

from __future__ import annotations

import copy
import os
import random
from typing import Any

DEFAULT_SEED = 20260701
DEFAULT_COUNT = 1000

FRAMEWORKS = ("PyTorch", "TensorFlow", "Chainer", "SKLearn")
ESTIMATORS = ("Estimator", *FRAMEWORKS)
CLASSES = (*ESTIMATORS, "ScriptRunConfig")

# v1 azureml-train-core 1.62.0 scenario files (behaviour reference §4).
SUPPORTED_VERSIONS = {
    "PyTorch": ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6"),
    "TensorFlow": ("1.10", "1.12", "1.13", "2.0", "2.1", "2.2", "2.3"),
    "Chainer": ("5.1.0", "7.0.0"),
    "SKLearn": ("0.20.3",),
}
SUPPORTED_BACKENDS = {
    "Estimator": ("mpi",),
    "PyTorch": ("mpi", "gloo", "nccl"),
    "TensorFlow": ("mpi", "ps"),
    "Chainer": ("mpi",),
}
# Package names the framework scenarios pin (to provoke collisions on purpose).
SCENARIO_PIP_NAMES = {
    "PyTorch": ("torch==1.7.1", "torchvision==0.8.2", "horovod==0.21.3", "tensorboard==2.4.1", "future==0.18.2"),
    "TensorFlow": ("tensorflow==2.4.1", "horovod==0.21.3", "cmake==3.18.4"),
    "Chainer": ("chainer==7.8.0", "mpi4py==3.0.3"),
    "SKLearn": ("scikit-learn==0.24.2", "scipy==1.5.4", "joblib==1.0.1"),
}
# Conda packages with the same *name* as a scenario pip pin (v1 then drops the pin).
SCENARIO_CONDA_CLASHES = {
    "PyTorch": ("future=0.18.2", "horovod", "tensorboard"),
    "TensorFlow": ("horovod", "cmake"),
    "Chainer": ("mpi4py",),
    "SKLearn": ("scipy", "joblib"),
}
PLAIN_PIP = ("numpy", "pandas==1.1.5", "pyyaml>=5.1", "requests", "azureml-defaults", "tqdm==4.62.0")
PLAIN_CONDA = ("numpy=1.19", "scipy", "libgcc", "pip=20.2")
IMAGES = ("myreg.azurecr.io/train:1", "pytorch/pytorch:1.9.0-cuda11.1-cudnn8-runtime", "ubuntu:22.04")
REGISTRY_ADDRESS = "myreg.azurecr.io"
BACKEND_STRINGS = ("mpi", "MPI", "Mpi", "gloo", "Gloo", "nccl", "NCCL", "ps", "PS", "horovod")
VM_SIZES = ("STANDARD_NC6", "STANDARD_D2_V2")
INPUT_MODES = ("mount", "download")

# Files every run directory has (the recorder and the test both write them before building).
FIXTURE_FILES = {
    "src/train.py": "import argparse\nprint('train')\n",
    "src/env.yml": (
        "name: fromfile\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.7\n"
        "  - scipy\n  - pip:\n    - azureml-defaults\n    - requests==2.25.1\n"
    ),
    "src/requirements.txt": "pandas==1.1.5\nrequests\n",
    # Submission-time script validation (v1 lint and package check): undefined name, an import no
    # scenario pins, a local module with another import.
    "lintsrc/train.py": "import numpy\nimport pandas\nimport helper\n\nprint(undefined_name)\n",
    "lintsrc/helper.py": "import yaml\n",
}


def write_fixture(root: str) -> None:
    """Create the source directories specs refer to (``src``, ``lintsrc``) under ``root``."""
    for rel, text in FIXTURE_FILES.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)


# -- small random pieces ------------------------------------------------------------------------


def _pick(r: random.Random, weighted: list[tuple[Any, float]]) -> Any:
    values = [v for v, _ in weighted]
    weights = [w for _, w in weighted]
    return copy.deepcopy(r.choices(values, weights=weights, k=1)[0])


def _datastore(r: random.Random) -> dict[str, Any]:
    return {"$obj": "Datastore", "name": r.choice(["ds_train", "ds_models"])}


def _data_reference(r: random.Random, name: str | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {
        "$obj": "DataReference",
        "datastore": _datastore(r),
        "data_reference_name": name or r.choice(["train_data", "val_data", "extra"]),
        "path_on_datastore": r.choice(["data/train", "data/val", None]),
        "mode": r.choice(INPUT_MODES),
    }
    if r.random() < 0.2:
        ref["path_on_compute"] = "/tmp/data"
    return ref


def _script_params(r: random.Random) -> dict[str, Any]:
    pool: list[tuple[str, Any]] = [
        ("--epochs", r.choice([1, 10, 0])),
        ("--lr", r.choice([0.01, 0.1, 1e-05])),
        ("--flag", ""),
        ("--skipped", None),
        ("--layers", [64, 32, "out"]),
        ("--use-bn", r.choice([True, False])),
        ("--name", "run one"),
        ("--batch-size", 32),
        ("--tags", ("a", "b")),
    ]
    chosen = r.sample(pool, k=r.randint(1, 5))
    pairs = [[k, list(v) if isinstance(v, tuple) else v] for k, v in chosen]
    if r.random() < 0.2:
        pairs.append(["--data-dir", _data_reference(r)])
    if r.random() < 0.05:
        pairs.append(["--store", _datastore(r)])
    return {"$pairs": pairs}


def _environment(r: random.Random, cls: str) -> dict[str, Any]:
    env: dict[str, Any] = {"$obj": "Environment", "name": r.choice(["myenv", "train-env"])}
    if r.random() < 0.6:
        env["base_image"] = r.choice(IMAGES)
    mode = _pick(r, [("default", 0.2), ("create", 0.5), ("plain", 0.3)])
    if mode != "default":
        conda: dict[str, Any] = {"mode": mode}
        pip = r.sample(PLAIN_PIP, k=r.randint(0, 3))
        if mode == "create":
            conda["pip_packages"] = pip if r.random() < 0.8 else None
            if r.random() < 0.4:
                conda["python_version"] = r.choice(["3.8", "3.7.9"])
            if r.random() < 0.1:
                conda["pip_indexurl"] = "https://my.index/simple"
        else:
            conda["pip_packages"] = pip
            if r.random() < 0.2:
                conda["channels"] = ["pytorch"]
        conda["conda_packages"] = r.sample(PLAIN_CONDA, k=r.randint(0, 2))
        env["conda"] = conda
    if r.random() < 0.15:
        env["user_managed"] = True
    env["docker_enabled"] = _pick(r, [(None, 0.4), (True, 0.4), (False, 0.2)])
    if r.random() < 0.1:
        env["docker_shm_size"] = "4g"
    if r.random() < 0.25:
        env["environment_variables"] = {"ENV_FROM_ENVIRONMENT": "yes"}
    if r.random() < 0.08:
        env["registry"] = {"$obj": "ContainerRegistry", "address": REGISTRY_ADDRESS, "username": "u"}
    return env


def _registry(r: random.Random) -> dict[str, Any]:
    return {"$obj": "ContainerRegistry", "address": REGISTRY_ADDRESS, "username": "user", "password": "secret"}


def _target(r: random.Random, src: bool) -> Any:
    if src:
        return _pick(r, [("aml", 0.45), ("gpucluster", 0.25), ("local", 0.15), (None, 0.15)])
    return _pick(r, [("aml", 0.55), ("gpucluster", 0.25), ("local", 0.08), (None, 0.12)])


def _aml(vm_size: str | None = "STANDARD_NC6") -> dict[str, Any]:
    obj: dict[str, Any] = {"$obj": "AmlCompute", "name": "gpucluster"}
    if vm_size:
        obj["vm_size"] = vm_size
    return obj


def _distribution_object(r: random.Random, cls: str) -> dict[str, Any]:
    preferred = {
        "Estimator": ["Mpi", "Gloo", "Nccl", "ParameterServer", "MpiConfiguration"],
        "PyTorch": ["Mpi", "Gloo", "Nccl", "Gloo", "Nccl", "PyTorchConfiguration", "MpiConfiguration"],
        "TensorFlow": ["Mpi", "ParameterServer", "ParameterServer", "TensorflowConfiguration", "MpiConfiguration"],
        "Chainer": ["Mpi", "MpiConfiguration"],
    }[cls]
    # Now and then an object the class does not support.
    name = r.choice(preferred) if r.random() < 0.9 else r.choice(["Gloo", "ParameterServer", "TensorflowConfiguration"])
    return _dist_obj(r, name)


def _dist_obj(r: random.Random, name: str) -> dict[str, Any]:
    if name == "Mpi":
        return {"$obj": "Mpi", "process_count_per_node": r.choice([1, 2, 4])}
    if name in ("Gloo", "Nccl"):
        return {"$obj": name}
    if name == "ParameterServer":
        return {"$obj": name, "worker_count": r.choice([1, 2, 3]), "parameter_server_count": r.choice([0, 1, 2])}
    if name == "MpiConfiguration":
        return {"$obj": name, "process_count_per_node": r.choice([1, 2, 4]), "node_count": r.choice([1, 2])}
    if name == "PyTorchConfiguration":
        nodes = r.choice([1, 2])
        obj: dict[str, Any] = {"$obj": name, "communication_backend": r.choice(["Nccl", "Gloo", "nccl"])}
        obj["node_count"] = nodes
        obj["process_count"] = r.choice([None, nodes, nodes * 4, 3 if nodes == 2 else 2])
        return obj
    if name == "TensorflowConfiguration":
        return {"$obj": name, "worker_count": r.choice([1, 2, 3]), "parameter_server_count": r.choice([0, 1])}
    raise ValueError(name)


# -- one estimator ------------------------------------------------------------------------------


def _estimator(r: random.Random, cls: str) -> dict[str, Any]:
    kw: dict[str, Any] = {"source_directory": "src", "entry_script": "train.py"}
    spec: dict[str, Any] = {"cls": cls, "kwargs": kw}
    target = _target(r, src=False)
    vm_size = r.choice(VM_SIZES) if r.random() < 0.25 or target is None else None
    if target == "aml":
        kw["compute_target"] = _aml(r.choice([*VM_SIZES, None]))
        spec["region"] = "westeurope" if r.random() < 0.2 else "usgovvirginia"
    elif target is not None:
        kw["compute_target"] = target
    if vm_size and r.random() < 0.95:
        kw["vm_size"] = vm_size
    if "vm_size" in kw and r.random() < 0.4:
        kw["vm_priority"] = _pick(r, [("dedicated", 0.4), ("lowpriority", 0.5), ("spot", 0.1)])
    if r.random() < 0.6:
        kw["script_params"] = _script_params(r)
    framework = cls in FRAMEWORKS
    if cls != "SKLearn":
        _distribution(r, cls, kw)
        if r.random() < 0.4:
            kw["use_gpu"] = True
    # Image.
    image = _pick(r, [(None, 0.72), ("custom", 0.16), ("base", 0.09), ("both", 0.03)])
    if image in ("custom", "both"):
        kw["custom_docker_image"] = r.choice(IMAGES)
    if image in ("base", "both") and cls != "SKLearn":
        kw["custom_docker_base_image"] = r.choice(IMAGES)
    if r.random() < 0.08:
        kw["image_registry_details"] = _registry(r)
    # Packages.
    if r.random() < 0.4:
        pool = list(PLAIN_PIP) + (list(SCENARIO_PIP_NAMES[cls]) * 2 if framework else [])
        kw["pip_packages"] = r.sample(pool, k=r.randint(1, 3))
        if r.random() < 0.04:
            kw["pip_packages"].insert(0, "--extra-index-url https://my.index/simple")
    if r.random() < 0.3:
        pool = list(PLAIN_CONDA) + (list(SCENARIO_CONDA_CLASHES[cls]) * 2 if framework else [])
        if r.random() < 0.25:
            pool += ["python=3.7"] * 3
        kw["conda_packages"] = r.sample(pool, k=r.randint(1, 2))
    if r.random() < 0.04:
        kw["pip_requirements_file" if r.random() < 0.7 else "pip_requirements_file_path"] = "requirements.txt"
    if r.random() < 0.04:
        kw["conda_dependencies_file" if r.random() < 0.7 else "conda_dependencies_file_path"] = "env.yml"
    package_keys = ("pip_packages", "conda_packages", "pip_requirements_file", "pip_requirements_file_path",
                    "conda_dependencies_file", "conda_dependencies_file_path")
    if sum(k in kw for k in package_keys[2:]) and r.random() < 0.8:
        # A conda file replaces the package lists (v1 refuses both): mostly keep them apart.
        for key in ("pip_packages", "conda_packages"):
            kw.pop(key, None)
    if r.random() < 0.12:
        kw["user_managed"] = True
        if r.random() < 0.85:  # user_managed with packages is refused; mostly keep them apart
            for key in package_keys:
                kw.pop(key, None)
    if r.random() < 0.1:
        kw["use_docker"] = False
        if r.random() < 0.85:  # refused with a custom image; mostly keep them apart
            kw.pop("custom_docker_image", None)
            kw.pop("custom_docker_base_image", None)
    if r.random() < 0.3:
        kw["environment_variables"] = r.choice(
            [{"MY_VAR": "1"}, {"OMP_NUM_THREADS": "4", "MY_VAR": "x y"}, {"PYTHONPATH": "/opt/lib"},
             {"NCCL_DEBUG": "INFO"}]
        )
    if r.random() < 0.15:
        kw["shm_size"] = r.choice(["8g", "16g"])
    if r.random() < 0.13:
        kw["environment_definition"] = _environment(r, cls)
        if r.random() < 0.85:
            # The Environment defines these; v1 refuses them beside it: mostly leave them out.
            for key in (*package_keys, "custom_docker_image", "image_registry_details", "use_gpu", "user_managed",
                        "shm_size", "environment_variables"):
                kw.pop(key, None)
    if r.random() < 0.3:
        kw["max_run_duration_seconds"] = r.choice([3600, 86400, 90, 0, -5])
    if framework:
        kw["framework_version"] = _pick(
            r,
            [
                ("valid", 0.72),
                (None, 0.1),
                ("9.9", 0.04),
                (1.6 if cls == "PyTorch" else 2.0 if cls == "TensorFlow" else 5.1, 0.05),
                ("1.10" if cls == "TensorFlow" else "1.13", 0.03),
            ],
        )
        if kw["framework_version"] == "valid":
            kw["framework_version"] = r.choice(SUPPORTED_VERSIONS[cls])
        if kw["framework_version"] is None and r.random() < 0.5:
            del kw["framework_version"]
    if r.random() < 0.12:
        kw["inputs"] = [_data_reference(r, "in_ref")] + ([_datastore(r)] if r.random() < 0.5 else [])
    if r.random() < 0.04:
        kw["resume_from"] = {"$obj": "DataPath", "datastore": _datastore(r), "path_on_datastore": "outputs/ckpt"}
    if r.random() < 0.03:
        kw["source_directory"] = "lintsrc"
        kw["_disable_validation"] = False
        kw["_show_lint_warnings"] = r.random() < 0.8
        kw["_show_package_warnings"] = r.random() < 0.8
    if r.random() < 0.12:
        _break(r, cls, kw, spec)
    return spec


def _distribution(r: random.Random, cls: str, kw: dict[str, Any]) -> None:
    mode = _pick(r, [("none", 0.3), ("backend", 0.25), ("object", 0.32), ("both", 0.08), ("torchcfg", 0.05)])
    # Without a backend or object, counts > 1 are an error in v1: keep that to a few configs.
    multi = 0.45 if mode != "none" else 0.05
    if r.random() < multi:
        kw["node_count"] = r.choice([2, 2, 3, 4])
    if r.random() < multi:
        kw["process_count_per_node"] = r.choice([2, 4])
    if cls == "TensorFlow" and r.random() < 0.4:
        kw["worker_count"] = r.choice([1, 2, 3])
        kw["parameter_server_count"] = r.choice([0, 1, 2])
    if mode in ("backend", "both"):
        supported = SUPPORTED_BACKENDS[cls]
        if r.random() < 0.8:
            choice = r.choice(supported)
            kw["distributed_backend"] = r.choice([choice, choice.upper(), choice.capitalize()])
        else:
            kw["distributed_backend"] = r.choice(("horovod", "Horovod", *BACKEND_STRINGS))
    if mode in ("object", "both"):
        kw["distributed_training"] = _distribution_object(r, cls)
    if mode == "torchcfg":
        kw["distributed_training"] = _dist_obj(r, "PyTorchConfiguration")


# Rules that make a config invalid; several are applied at once to see which one v1 raises first.
def _break(r: random.Random, cls: str, kw: dict[str, Any], spec: dict[str, Any]) -> None:
    breakers = [
        lambda: kw.update(use_docker=False, custom_docker_image=r.choice(IMAGES)),
        lambda: kw.update(environment_definition=_environment(r, cls), pip_packages=["numpy"]),
        lambda: kw.update(environment_definition=_environment(r, cls), environment_variables={"A": "1"}),
        lambda: kw.update(conda_dependencies_file="env.yml", pip_packages=["numpy"]),
        lambda: kw.update(user_managed=True, pip_packages=["numpy"]),
        lambda: kw.update(user_managed=True, conda_packages=["scipy"]),
        lambda: kw.update(resume_from="outputs/ckpt"),
        lambda: kw.update(max_run_duration_seconds="3600"),
    ]
    if cls != "SKLearn":
        breakers += [
            lambda: kw.update(custom_docker_image=r.choice(IMAGES), custom_docker_base_image=r.choice(IMAGES)),
            lambda: kw.update(node_count=0),
            lambda: kw.update(process_count_per_node=0),
            lambda: kw.update(distributed_backend=r.choice(["gloo", "ps", "horovod", "nccl"])),
            lambda: kw.update(distributed_backend="mpi", distributed_training=_dist_obj(r, "Gloo")),
            lambda: kw.update(distributed_training=_dist_obj(r, r.choice(["ParameterServer", "Gloo", "Nccl"]))),
            lambda: (kw.update(node_count=2), kw.pop("distributed_backend", None),
                     kw.pop("distributed_training", None)),
        ]
    if cls in FRAMEWORKS:
        breakers.append(lambda: kw.update(framework_version="0.1"))
    breakers.append(lambda: (kw.pop("compute_target", None), kw.pop("vm_size", None)))
    for breaker in r.sample(breakers, k=r.randint(2, 3)):
        breaker()
    spec["broken"] = True  # documentary: several invalid rules applied on purpose
    if kw.get("compute_target") is None:
        spec.pop("region", None)


# -- one ScriptRunConfig ------------------------------------------------------------------------


def _script_run_config(r: random.Random) -> dict[str, Any]:
    kw: dict[str, Any] = {"source_directory": "src"}
    spec: dict[str, Any] = {"cls": "ScriptRunConfig", "kwargs": kw}
    mode = _pick(r, [("script", 0.7), ("command_list", 0.15), ("command_str", 0.1), ("both", 0.03), ("none", 0.02)])
    if mode in ("script", "both"):
        kw["script"] = "train.py"
        if r.random() < 0.55:
            pool = ["--epochs", 10, "--lr", 0.001, "--flag", "--name", "a b", True, 0]
            kw["arguments"] = r.sample(pool, k=r.randint(1, 6))
    if mode in ("command_list", "both"):
        kw["command"] = ["python", "train.py", "--epochs", r.choice([1, 5])]
    if mode == "command_str":
        kw["command"] = r.choice(["python train.py --lr 0.1", "bash -c 'echo hi && python train.py'"])
    target = _target(r, src=True)
    if target == "aml":
        kw["compute_target"] = _aml()
        spec["region"] = "usgovvirginia"
    elif target is not None:
        kw["compute_target"] = target
    if r.random() < 0.6:
        kw["environment"] = _environment(r, "ScriptRunConfig")
    if r.random() < 0.45:
        name = r.choice(["MpiConfiguration", "PyTorchConfiguration", "PyTorchConfiguration", "TensorflowConfiguration"])
        kw["distributed_job_config"] = _dist_obj(r, name) if r.random() < 0.95 else _dist_obj(r, "Mpi")
    if r.random() < 0.3:
        docker: dict[str, Any] = {"$obj": "DockerConfiguration", "use_docker": r.choice([True, False])}
        if r.random() < 0.4:
            docker["shm_size"] = r.choice(["8g", None])
        kw["docker_runtime_config"] = docker
    if r.random() < 0.3:
        kw["max_run_duration_seconds"] = r.choice([3600, 0, -1, None, 86400])
    if r.random() < 0.04:
        kw["resume_from"] = {"$obj": "DataPath", "datastore": _datastore(r), "path_on_datastore": "outputs/ckpt"}
    if r.random() < 0.03:
        kw["distributed_job_config"] = {"$obj": "MpiConfiguration", "process_count_per_node": 0, "node_count": 2}
    return spec


def generate(seed: int = DEFAULT_SEED, count: int = DEFAULT_COUNT) -> list[dict[str, Any]]:
    """``count`` specs from ``random.Random(seed)``; the same seed always gives the same list."""
    r = random.Random(seed)
    weights = {"Estimator": 15, "PyTorch": 24, "TensorFlow": 18, "Chainer": 9, "SKLearn": 9, "ScriptRunConfig": 25}
    specs = []
    for _ in range(count):
        cls = r.choices(list(weights), weights=list(weights.values()), k=1)[0]
        specs.append(_script_run_config(r) if cls == "ScriptRunConfig" else _estimator(r, cls))
    return specs


# -- named cases: one or more per item of issue 7's list, and per deliberate difference ---------


def _est(cls: str, region: str | None = "usgovvirginia", **kwargs: Any) -> dict[str, Any]:
    kw: dict[str, Any] = {"source_directory": "src", "entry_script": "train.py", "compute_target": _aml()}
    kw.update(kwargs)
    spec: dict[str, Any] = {"cls": cls, "kwargs": kw}
    if isinstance(kw.get("compute_target"), dict) and region:
        spec["region"] = region
    return spec


def _src(region: str = "usgovvirginia", **kwargs: Any) -> dict[str, Any]:
    kw: dict[str, Any] = {"source_directory": "src", "script": "train.py", "compute_target": _aml()}
    kw.update(kwargs)
    return {"cls": "ScriptRunConfig", "region": region, "kwargs": kw}


_ENV_WITH_PACKAGES = {
    "$obj": "Environment",
    "name": "myenv",
    "base_image": "myreg.azurecr.io/base:1",
    "conda": {"mode": "create", "pip_packages": ["numpy", "azureml-defaults"], "conda_packages": ["scipy"]},
    "docker_shm_size": "4g",
}


def named_cases() -> dict[str, dict[str, Any]]:
    """Hand-written cases, keyed by name (``issue<N>_...`` for issue 7's items, ``deliberate_...``)."""
    return {
        # 1. custom_docker_image on a framework estimator.
        "issue1_pytorch_custom_docker_image": _est(
            "PyTorch", framework_version="1.6", custom_docker_image="myreg/img:1"
        ),
        "issue1_tensorflow_custom_docker_image_gpu": _est(
            "TensorFlow", framework_version="2.2", use_gpu=True, custom_docker_image="myreg/tf:2"
        ),
        # 2. Estimator with environment_definition (docker off by default in an Environment).
        "issue2_estimator_environment_definition": _est("Estimator", environment_definition=_ENV_WITH_PACKAGES),
        "issue2_estimator_environment_definition_docker_on": _est(
            "Estimator", environment_definition={**_ENV_WITH_PACKAGES, "docker_enabled": True}
        ),
        "issue2_pytorch_environment_definition": _est(
            "PyTorch", framework_version="1.6", environment_definition={**_ENV_WITH_PACKAGES, "docker_enabled": True}
        ),
        "issue2_contrast_script_run_config_same_environment": _src(
            environment={**_ENV_WITH_PACKAGES, "docker_enabled": True}
        ),
        # 3. Gloo / Nccl with process_count_per_node > 1.
        "issue3_pytorch_gloo_ppn4": _est(
            "PyTorch", framework_version="1.6", node_count=2, process_count_per_node=4,
            distributed_training={"$obj": "Gloo"},
        ),
        "issue3_pytorch_nccl_backend_ppn4": _est(
            "PyTorch", framework_version="1.6", node_count=2, process_count_per_node=4, distributed_backend="nccl",
            use_gpu=True,
        ),
        "issue3_pytorch_nccl_object_single_node_ppn2": _est(
            "PyTorch", framework_version="1.6", process_count_per_node=2, distributed_training={"$obj": "Nccl"}
        ),
        # 4. PyTorchConfiguration passed as an estimator's distributed_training.
        "issue4_pytorch_torchcfg_one_node": _est(
            "PyTorch", framework_version="1.6",
            distributed_training={"$obj": "PyTorchConfiguration", "communication_backend": "Nccl",
                                  "process_count": 4, "node_count": 1},
        ),
        "issue4_pytorch_torchcfg_two_nodes": _est(
            "PyTorch", framework_version="1.6", node_count=2,
            distributed_training={"$obj": "PyTorchConfiguration", "communication_backend": "Nccl",
                                  "process_count": 8, "node_count": 2},
        ),
        # 5. Backend string and a distribution object together.
        "issue5_tensorflow_ps_backend_and_mpi_object": _est(
            "TensorFlow", framework_version="2.2", node_count=2, distributed_backend="ps", worker_count=3,
            parameter_server_count=1, distributed_training={"$obj": "Mpi", "process_count_per_node": 3},
        ),
        "issue5_pytorch_nccl_backend_and_mpi_object": _est(
            "PyTorch", framework_version="1.6", node_count=2, distributed_backend="nccl",
            distributed_training={"$obj": "Mpi", "process_count_per_node": 2},
        ),
        # 6. Exception order; max_run_duration_seconds=0.
        "issue6_gloo_backend_packages_user_managed": _est(
            "Estimator", distributed_backend="gloo", pip_packages=["numpy"], user_managed=True
        ),
        "issue6_max_run_duration_zero": _est("Estimator", max_run_duration_seconds=0),
        "issue6_max_run_duration_negative_src": _src(max_run_duration_seconds=-1),
        # 7. Conda specs.
        "issue7_estimator_default_conda_python": _est("Estimator", pip_packages=["numpy"]),
        "issue7_pytorch_channels": _est("PyTorch", framework_version="1.6"),
        "issue7_pytorch_conda_package_drops_scenario_pin": _est(
            "PyTorch", framework_version="1.6", conda_packages=["future=0.18.2"]
        ),
        "issue7_environment_plain_conda_dependencies": _src(
            environment={"$obj": "Environment", "name": "plain",
                         "conda": {"mode": "plain", "pip_packages": ["numpy"], "conda_packages": []}},
        ),
        # 8. Lint and package warnings asked for (shown by v1 at submission).
        "issue8_pytorch_show_lint_and_package_warnings": _est(
            "PyTorch", framework_version="1.6", source_directory="lintsrc", _disable_validation=False,
            _show_lint_warnings=True, _show_package_warnings=True,
        ),
        "issue8_estimator_show_lint_warnings": _est(
            "Estimator", source_directory="lintsrc", _disable_validation=False, _show_lint_warnings=True
        ),
        # Deliberate differences (README / issue 7), recorded so the allow-list is exercised.
        "deliberate_multinode_on_string_target": _est(
            "PyTorch", framework_version="1.6", compute_target="gpucluster", node_count=2,
            distributed_training={"$obj": "Mpi", "process_count_per_node": 2},
        ),
        "deliberate_framework_image_mode_westeurope": _est("PyTorch", region="westeurope", framework_version="1.5"),
        "deliberate_custom_docker_base_image_on_framework": _est(
            "Chainer", framework_version="7.0.0", custom_docker_base_image="myreg/chainer:7"
        ),
        "deliberate_user_python_pin_on_framework": _est(
            "TensorFlow", framework_version="1.13", conda_packages=["python=3.7"]
        ),
        "deliberate_user_managed_framework": _est("SKLearn", framework_version="0.20.3", user_managed=True),
        "deliberate_default_environment_placeholder": _src(),
        "deliberate_pythonpath_prefixed": _src(environment={"$obj": "Environment", "name": "e"},
                                               docker_runtime_config={"$obj": "DockerConfiguration",
                                                                      "use_docker": True}),
        "deliberate_pip_index_options": _src(
            environment={"$obj": "Environment", "name": "idx",
                         "conda": {"mode": "create", "pip_packages": ["numpy"], "pip_indexurl": "https://my.index/simple"}},
        ),
        # Other things worth pinning down.
        "extra_src_tensorflow_configuration": _src(
            distributed_job_config={"$obj": "TensorflowConfiguration", "worker_count": 3, "parameter_server_count": 1}
        ),
        "extra_src_pytorch_configuration_process_count": _src(
            distributed_job_config={"$obj": "PyTorchConfiguration", "communication_backend": "Nccl",
                                    "process_count": 8, "node_count": 2},
        ),
        "extra_registry_with_unqualified_image": _est(
            "Estimator", custom_docker_image="train:1",
            image_registry_details={"$obj": "ContainerRegistry", "address": REGISTRY_ADDRESS, "username": "u"},
        ),
        "extra_src_default_duration": _src(environment={"$obj": "Environment", "name": "e", "docker_enabled": True}),
        "extra_estimator_use_docker_false_on_cluster": _est("Estimator", use_docker=False),
        "extra_sklearn_scenario_packages": _est("SKLearn", framework_version="0.20.3"),
        "extra_src_pytorch_configuration_unsupported_backend": _src(
            distributed_job_config={"$obj": "PyTorchConfiguration", "communication_backend": "mpi"}
        ),
        "extra_estimator_tensorflow_configuration": _est(
            "Estimator", distributed_training={"$obj": "TensorflowConfiguration", "worker_count": 2,
                                               "parameter_server_count": 1},
        ),
        "extra_pytorch_mpi_horovod": _est(
            "PyTorch", framework_version="1.6", node_count=2,
            distributed_training={"$obj": "Mpi", "process_count_per_node": 2},
        ),
    }


# -- coverage tags (what the generator's unit test counts) --------------------------------------


def _objs(value: Any) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        if "$obj" in value:
            found.append(value["$obj"])
        for item in value.values():
            found += _objs(item)
    elif isinstance(value, list):
        for item in value:
            found += _objs(item)
    return found


def areas(spec: dict[str, Any]) -> set[str]:
    """The coverage tags of one spec (which features it exercises)."""
    kw = spec["kwargs"]
    cls = spec["cls"]
    tags = {f"cls:{cls}"}
    if spec.get("region") == "westeurope":
        tags.add("region:westeurope")
    target = kw.get("compute_target")
    tags.add("target:" + ("amlcompute_object" if isinstance(target, dict) else str(target)))
    if cls == "ScriptRunConfig":
        if "script" in kw:
            tags.add("src:script")
        if isinstance(kw.get("command"), list):
            tags.add("src:command_list")
        if isinstance(kw.get("command"), str):
            tags.add("src:command_str")
        if kw.get("arguments"):
            tags.add("src:arguments")
        if "distributed_job_config" in kw:
            tags.add(f"src:distributed_job_config:{kw['distributed_job_config']['$obj']}")
        if "docker_runtime_config" in kw:
            tags.add("src:docker_runtime_config")
        if "environment" in kw:
            tags.add("src:environment")
    if isinstance(kw.get("node_count"), int) and kw["node_count"] > 1:
        tags.add("node_count>1")
    if isinstance(kw.get("process_count_per_node"), int) and kw["process_count_per_node"] > 1:
        tags.add("process_count_per_node>1")
    backend = kw.get("distributed_backend")
    if isinstance(backend, str):
        tags.add(f"backend:{backend.lower()}")
        if backend != backend.lower():
            tags.add("backend:not_lower_case")
    training = kw.get("distributed_training")
    if isinstance(training, dict):
        tags.add(f"distributed_training:{training['$obj']}")
        if backend is not None:
            tags.add("backend_and_object")
    for key in ("use_gpu", "custom_docker_image", "custom_docker_base_image", "image_registry_details",
                "user_managed", "environment_definition", "environment_variables", "shm_size", "inputs",
                "script_params", "pip_requirements_file", "conda_dependencies_file", "resume_from", "vm_size",
                "vm_priority"):
        if kw.get(key) not in (None, False, [], {}):
            tags.add(key)
    if kw.get("use_docker") is False:
        tags.add("use_docker:false")
    if kw.get("pip_packages"):
        tags.add("pip_packages")
    if kw.get("conda_packages"):
        tags.add("conda_packages")
        if any(p.startswith("python=") for p in kw["conda_packages"]):
            tags.add("conda_packages:python_pin")
    if cls in FRAMEWORKS:
        pins = {p.split("=")[0].split(">")[0] for p in SCENARIO_PIP_NAMES[cls]}
        if any(p.split("=")[0] in pins for p in kw.get("pip_packages") or []):
            tags.add("pip_packages:collides_with_framework_pin")
        clashes = {p.split("=")[0] for p in SCENARIO_CONDA_CLASHES[cls]}
        if any(p.split("=")[0] in clashes for p in kw.get("conda_packages") or []):
            tags.add("conda_packages:same_name_as_scenario_pip_pin")
    duration = kw.get("max_run_duration_seconds", "absent")
    if duration != "absent":
        if duration == 0:
            tags.add("max_run_duration:0")
        elif isinstance(duration, int) and duration < 0:
            tags.add("max_run_duration:negative")
        else:
            tags.add("max_run_duration:other")
    if cls in FRAMEWORKS:
        version = kw.get("framework_version", "absent")
        if version in ("absent", None):
            tags.add("framework_version:default")
        elif isinstance(version, float):
            tags.add("framework_version:float")
        elif version in SUPPORTED_VERSIONS[cls]:
            tags.add("framework_version:valid")
        else:
            tags.add("framework_version:invalid")
    pairs = (kw.get("script_params") or {}).get("$pairs", [])
    if any(v in ("", None) for _, v in pairs):
        tags.add("script_params:bare_flag")
    if any(isinstance(v, list) for _, v in pairs):
        tags.add("script_params:list")
    if any(isinstance(v, (int, float)) and not isinstance(v, bool) for _, v in pairs):
        tags.add("script_params:number")
    objects = _objs(kw)
    if "DataReference" in objects or "Datastore" in objects:
        tags.add("data_reference")
    if "Environment" in objects:
        tags.add("environment_recipe")
    if kw.get("_disable_validation") is False:
        tags.add("submission_validation")
    if spec.get("broken"):
        tags.add("several_invalid_rules")
    return tags
