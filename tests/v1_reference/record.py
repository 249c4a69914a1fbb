"""Record what the real Azure ML SDK v1 does for every generated and named spec.

Runs under the real SDK's interpreter only (never a project dependency, never in CI)::

    /work/v1sdk/bin/python -m tests.v1_reference.record            # from the worktree root

writes ``tests/data/v1_reference/estimators.json`` (sorted keys, one field per line, stable across
runs). Options: ``--seed N --count N --out PATH``. The venv holds azureml-core 1.61.0.post4,
azureml-train-core 1.62.0 (``python -m venv /work/v1sdk && /work/v1sdk/bin/pip install
azureml-core==1.61.0.post4 azureml-train-core==1.62.0``).

Per spec it records v1's exception (class and message) or the normalised view of the objects
(``builders.view``), the warnings v1 logged / warned / printed, "what v1 would run"
(``v1_runs.what_runs``), v1-internal facts the comparison needs (framework image mode used, the
scenario file's image and pins), and, where v1 validates scripts at submission
(``_disable_validation=False``), the warnings that validation shows. Two variants are recorded
beside the plain result:

- ``as_amlcompute``: a multi-node spec on a *string* target that v1 refused only because the target
  is not an AmlCompute object, re-run with an AmlCompute object of that name (hpcest accepts a
  string target; it is compared with what v1 does once that Azure-only check passes);
- ``full_build``: a spec for which v1 chose its private prebuilt framework image (an AmlCompute
  target in a cached region, or no target at all), re-run on an AmlCompute target in a region that
  forces the full build (the mode hpcest mirrors); only its environment is compared.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import logging
import os
import sys
import tempfile
import warnings
from importlib import metadata
from typing import Any

from . import builders, generator, v1_runs

OUT = os.path.join(os.path.dirname(__file__), "..", "data", "v1_reference", "estimators.json")
FULL_BUILD_REGION = "usgovvirginia"
STRING_TARGET_REFUSAL = "Compute target should be AmlCompute or KubernetesCompute for distributed training"


def _side() -> builders.Side:
    from azureml.core import Environment, ScriptRunConfig
    from azureml.core.compute import AmlCompute
    from azureml.core.conda_dependencies import CondaDependencies
    from azureml.core.container_registry import ContainerRegistry
    from azureml.core.runconfig import (
        DockerConfiguration,
        MpiConfiguration,
        PyTorchConfiguration,
        TensorflowConfiguration,
    )
    from azureml.data.azure_storage_datastore import AzureBlobDatastore
    from azureml.data.data_reference import DataReference
    from azureml.data.datapath import DataPath
    from azureml.train.dnn import Chainer, Gloo, Mpi, Nccl, ParameterServer, PyTorch, TensorFlow
    from azureml.train.estimator import Estimator
    from azureml.train.sklearn import SKLearn

    def amlcompute(args: dict[str, Any], spec: dict[str, Any]) -> Any:
        # A fake AmlCompute (no workspace needed); the region picks v1's image mode.
        target = object.__new__(AmlCompute)
        target.name = args["name"]
        target.location = target.cluster_location = spec.get("region", FULL_BUILD_REGION)
        target.vm_size = args.get("vm_size", "STANDARD_NC6")
        return target

    def datastore(args: dict[str, Any], spec: dict[str, Any]) -> Any:
        return AzureBlobDatastore(None, args["name"], "container", "account")

    def datapath(args: dict[str, Any], spec: dict[str, Any]) -> Any:
        return DataPath(args["datastore"], args.get("path_on_datastore"))

    classes = {
        "Estimator": Estimator, "PyTorch": PyTorch, "TensorFlow": TensorFlow, "Chainer": Chainer,
        "SKLearn": SKLearn, "ScriptRunConfig": ScriptRunConfig, "Mpi": Mpi, "Gloo": Gloo, "Nccl": Nccl,
        "ParameterServer": ParameterServer, "MpiConfiguration": MpiConfiguration,
        "PyTorchConfiguration": PyTorchConfiguration, "TensorflowConfiguration": TensorflowConfiguration,
        "DockerConfiguration": DockerConfiguration, "ContainerRegistry": ContainerRegistry,
        "Environment": Environment, "CondaDependencies": CondaDependencies, "DataReference": DataReference,
    }
    hooks = {"AmlCompute": amlcompute, "Datastore": datastore, "DataPath": datapath}
    return builders.Side("v1", classes, hooks)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def captured() -> Any:
    """Everything v1 tells the user: logging (WARNING+), warnings.warn and printed text."""
    handler = _Capture()
    root = logging.getLogger()
    root.addHandler(handler)
    stdout = io.StringIO()
    try:
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(stdout):
            warnings.simplefilter("always")
            messages: list[str] = handler.messages
            yield messages
        # The vendored ruamel's own pending-deprecation notices are hidden from users by default.
        messages.extend(str(w.message) for w in caught if not issubclass(w.category, PendingDeprecationWarning))
        printed = " ".join(stdout.getvalue().split())
        if printed:
            messages.append(printed)
    finally:
        root.removeHandler(handler)


def _internal(config: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {"use_framework_image": getattr(config, "_use_framework_image", None)}
    if hasattr(config, "_load_from_scenario_file"):
        try:
            base_image, deps = config._load_from_scenario_file()
        except Exception as exc:  # an unsupported version has no scenario file
            facts["scenario"] = {"error": builders.error_record(exc)}
        else:
            conda = builders.conda_view(deps)
            facts["scenario"] = {"base_image": base_image, **{k: conda[k] for k in ("conda_packages", "pip_packages")}}
    return facts


def run_v1(spec: dict[str, Any], side: builders.Side) -> dict[str, Any]:
    result: dict[str, Any] = {}
    with captured() as messages:
        try:
            config = builders.build(copy.deepcopy(spec), side)
        except Exception as exc:
            config = None
            result["error"] = builders.error_record(exc)
    result["warnings"] = list(messages)
    if config is None:
        return result
    result["error"] = None
    result["view"] = builders.view(config, spec["cls"])
    result["runs"] = v1_runs.what_runs(result["view"])
    result["internal"] = _internal(config)
    if spec["kwargs"].get("_disable_validation") is False:
        from azureml.train._script_validation import _validate

        with captured() as submit_messages:
            _validate(config.source_directory, config.run_config, config._show_lint_warnings,
                      config._show_package_warnings)
        result["submit_warnings"] = list(submit_messages)
    return result


def record_case(case_id: str, spec: dict[str, Any], side: builders.Side) -> dict[str, Any]:
    case: dict[str, Any] = {"id": case_id, "spec": spec, "v1": run_v1(spec, side)}
    target = spec["kwargs"].get("compute_target")
    error = case["v1"]["error"]
    if isinstance(target, str) and error and error["message"].startswith(STRING_TARGET_REFUSAL):
        variant = copy.deepcopy(spec)
        variant["kwargs"]["compute_target"] = {"$obj": "AmlCompute", "name": target}
        variant["region"] = FULL_BUILD_REGION
        case["as_amlcompute"] = run_v1(variant, side)
    if (case["v1"].get("internal") or {}).get("use_framework_image"):
        variant = copy.deepcopy(spec)
        variant["region"] = FULL_BUILD_REGION
        if not isinstance(target, dict):  # run-based compute (no target): the same, as an AmlCompute object
            variant["kwargs"]["compute_target"] = {"$obj": "AmlCompute", "name": "amlcompute"}
        case["full_build"] = run_v1(variant, side)
    return case


def _versions() -> dict[str, str]:
    names = ("azureml-core", "azureml-train-core", "azureml-pipeline-core", "azureml-pipeline-steps")
    found = {}
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def record(seed: int, count: int) -> dict[str, Any]:
    from azureml.core.conda_dependencies import CondaDependencies

    side = _side()
    cases = [record_case(f"seed:{i}", spec, side) for i, spec in enumerate(generator.generate(seed, count))]
    cases += [record_case(f"case:{name}", spec, side) for name, spec in sorted(generator.named_cases().items())]
    return {
        "meta": {
            "seed": seed,
            "count": count,
            "named_cases": len(generator.named_cases()),
            "sdk": _versions(),
            "python": ".".join(map(str, sys.version_info[:3])),
            "regenerate": "/work/v1sdk/bin/python -m tests.v1_reference.record",
            # What v1's CondaDependencies() holds by default (the estimators start from it).
            "default_conda": builders.conda_view(CondaDependencies()),
        },
        "cases": cases,
    }


def _json_default(value: Any) -> str:
    return f"<{type(value).__name__}>"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=generator.DEFAULT_SEED)
    parser.add_argument("--count", type=int, default=generator.DEFAULT_COUNT)
    parser.add_argument("--out", default=OUT)
    args = parser.parse_args(argv)
    out = os.path.abspath(args.out)
    logging.getLogger("azureml").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as root:
        generator.write_fixture(root)
        cwd = os.getcwd()
        os.chdir(root)
        try:
            data = record(args.seed, args.count)
        finally:
            os.chdir(cwd)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(data, indent=1, sort_keys=True, default=_json_default) + "\n")
    failed = sum(1 for c in data["cases"] if c["v1"]["error"])
    print(f"wrote {out}: {len(data['cases'])} cases, {failed} raise in v1", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
