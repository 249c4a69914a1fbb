"""The hpcest side of the differential harness: the ONLY place that imports hpcest internals.

The v1 surface comes from the top-level ``hpc_estimator`` names (stable across the package
restructure); "what runs" comes from ``compile_job`` and ``ClusterProfile`` (and ``VmSize``, which
lives beside it). Re-point the two internal imports below when those modules move.
"""

from __future__ import annotations

import re
import shlex
import warnings
from typing import Any

import hpc_estimator as hpc
from hpc_estimator import ClusterProfile, VmSize
from hpc_estimator.compile import compile_job
from hpc_estimator.compile.command import IMAGE_PYTHON

from . import builders

# The brief's profile. vm_sizes: hpcest refuses a vm_size its profile does not describe (by design,
# README "vm_size" row), so the sizes the generator uses are declared with no other effect.
PROFILE = ClusterProfile(
    name="gpucluster",
    container_runtime="apptainer",
    gpus_per_node=4,
    image_cache="/cache",
    workdir="/w",
    vm_sizes={"STANDARD_NC6": VmSize(), "STANDARD_D2_V2": VmSize()},
)
RUN_ID = "r"
RUN_DIR = "/w/runs/r"
# Interpreters hpcest puts first in argv: in a container, and the profile's bare-node Python.
PYTHON_EXECUTABLES = ("python", PROFILE.python)


def _side() -> builders.Side:
    classes = {
        name: getattr(hpc, name)
        for name in (
            "Estimator", "PyTorch", "TensorFlow", "Chainer", "SKLearn", "ScriptRunConfig", "Mpi", "Gloo", "Nccl",
            "ParameterServer", "MpiConfiguration", "PyTorchConfiguration", "TensorflowConfiguration",
            "DockerConfiguration", "ContainerRegistry", "Environment", "CondaDependencies", "DataReference",
            "DataPath",
        )
    }

    def amlcompute(args: dict[str, Any], spec: dict[str, Any]) -> Any:
        return args["name"]  # the same cluster, by name (hpcest's targets are profile names)

    def datastore(args: dict[str, Any], spec: dict[str, Any]) -> Any:
        return hpc.Datastore(args["name"], f"/data/{args['name']}")

    return builders.Side("hpcest", classes, {"AmlCompute": amlcompute, "Datastore": datastore})


SIDE = _side()


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Build ``spec`` with hpcest: error or view, warnings, and what runs (or the compile error)."""
    result: dict[str, Any] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            config = builders.build(spec, SIDE)
        except Exception as exc:
            config = None
            result["error"] = builders.error_record(exc)
    result["warnings"] = [str(w.message) for w in caught]
    if config is None:
        return result
    result["error"] = None
    result["view"] = builders.view(config, spec["cls"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            compiled = compile_job(config, profile=PROFILE, run_id=RUN_ID, run_dir=RUN_DIR)
        except Exception as exc:
            compiled = None
            result["compile_error"] = builders.error_record(exc)
    result["compile_warnings"] = [str(w.message) for w in caught]
    if compiled is not None:
        result["compile_error"] = None
        result["compile_warnings"] += list(compiled.warnings)
        result["framework_label"] = compiled.framework
        result["runs"] = what_runs(compiled.spec)
    return result


_PIP_VALUE_OPTIONS = ("--index-url", "-i", "--extra-index-url", "--find-links", "-f", "--trusted-host")
_INSTALL = re.compile(r"\b(conda|pip)\s+install\b(.*?)(?:;|&&|\|\||$)")


def _layered(definition: str | None) -> tuple[str | None, list[str], list[str], list[str]]:
    """(From: image, conda packages, pip packages, pip options) of an Apptainer definition file."""
    if not definition:
        return None, [], [], []
    base = None
    conda: list[str] = []
    pip: list[str] = []
    options: list[str] = []
    for line in definition.splitlines():
        if line.startswith("From:"):
            base = line.split(":", 1)[1].strip()
        for tool, rest in _INSTALL.findall(line):
            words = iter(shlex.split(rest))
            for word in words:
                if tool == "conda":
                    if word in ("-c", "--channel"):
                        next(words, None)  # a channel, not a package
                    elif not word.startswith("-"):
                        conda.append(word)
                elif word in _PIP_VALUE_OPTIONS:
                    options.append(f"{word} {next(words, '')}".strip())  # v1 keeps "--opt value" as one item
                elif word.startswith("-") and " " in word:
                    # "--opt value" passed to pip as ONE argument: pip does not parse that (a
                    # requirements file, which is what v1's conda pip section becomes, does).
                    options.append(f"{word} (as one argument)")
                elif word.startswith("-"):
                    if word != "--no-cache-dir":
                        options.append(word)
                else:
                    pip.append(word)
    return base, conda, pip, options


def what_runs(spec: Any) -> dict[str, Any]:
    """The same fields as ``v1_runs.what_runs``, read from hpcest's JobSpec."""
    container = spec.container.runtime != "none"
    base, conda, pip, options = _layered(spec.container.definition)
    image = None
    if container:
        image = base or spec.container.image_source or spec.container.image
        if image and image.startswith("docker://"):
            image = image[len("docker://") :]
    python = None
    for package in list(conda):
        if package.split("=")[0] == "python":
            python = package.split("=", 1)[1].lstrip("=") if "=" in package else None
            conda.remove(package)
    env = dict(spec.env)
    # Paths hpcest substituted for v1's data tokens go back to the tokens, so argv compares.
    paths = {
        value: f"$AZUREML_DATAREFERENCE_{key[len('AZUREML_DATAREFERENCE_'):]}"
        for key, value in env.items()
        if key.startswith("AZUREML_DATAREFERENCE_")
    }
    argv = [paths.get(a, a) for a in spec.argv]
    # In an image hpcest runs whichever of python3/python the image has; v1 called it "python".
    if tuple(argv[: len(IMAGE_PYTHON)]) == IMAGE_PYTHON:
        argv = ["python", *argv[len(IMAGE_PYTHON):]]
    for path, tok in sorted(paths.items(), key=lambda item: -len(item[0])):
        argv = [a.replace(path, tok) if path in a else a for a in argv]
    return {
        "launcher": spec.launcher.kind,
        "nodes": spec.resources.nodes,
        "total_tasks": spec.resources.total_tasks,
        "container": container,
        "image": image,
        "python": python,
        "conda_packages": sorted(conda),
        "pip_packages": sorted(pip),
        "pip_options": sorted(options),
        "env": env,
        "argv": argv,
        "time_limit_s": spec.scheduler.time_limit_s,
        "inputs": sorted([inp.name, inp.mode] for inp in spec.inputs),
    }
