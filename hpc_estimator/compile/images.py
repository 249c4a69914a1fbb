"""Default container images for the framework estimators.

v1 ran framework estimators in Microsoft's private framework images (``viennaprivate.azurecr.io``)
or built them from scenario files; neither is reachable from a cluster today. We map each
supported ``framework_version`` x CPU/GPU onto the framework's own public image of that
version. The generic ``Estimator`` keeps v1's public base images (DEFAULT_CPU_IMAGE /
DEFAULT_GPU_IMAGE from azureml-core).
"""

from __future__ import annotations

# v1 azureml.core.runconfig constants, defined once with the environment classes.
from ..v1.environment import DEFAULT_CPU_IMAGE, DEFAULT_GPU_IMAGE

__all__ = ["DEFAULT_CPU_IMAGE", "DEFAULT_GPU_IMAGE", "FRAMEWORK_IMAGES", "definition_file", "framework_image"]

# (framework, version) -> (cpu image, gpu image). PyTorch and Chainer publish one CUDA image per
# release that also runs on CPU nodes; TensorFlow publishes separate CPU and GPU tags.
FRAMEWORK_IMAGES: dict[tuple[str, str], tuple[str, str]] = {
    ("PyTorch", "1.0"): ("pytorch/pytorch:1.0.1-cuda10.0-cudnn7-runtime",) * 2,
    ("PyTorch", "1.1"): ("pytorch/pytorch:1.1.0-cuda10.0-cudnn7.5-runtime",) * 2,
    ("PyTorch", "1.2"): ("pytorch/pytorch:1.2-cuda10.0-cudnn7-runtime",) * 2,
    ("PyTorch", "1.3"): ("pytorch/pytorch:1.3-cuda10.1-cudnn7-runtime",) * 2,
    ("PyTorch", "1.4"): ("pytorch/pytorch:1.4-cuda10.1-cudnn7-runtime",) * 2,
    ("PyTorch", "1.5"): ("pytorch/pytorch:1.5-cuda10.1-cudnn7-runtime",) * 2,
    ("PyTorch", "1.6"): ("pytorch/pytorch:1.6.0-cuda10.1-cudnn7-runtime",) * 2,
    ("TensorFlow", "1.10"): ("tensorflow/tensorflow:1.10.1-py3", "tensorflow/tensorflow:1.10.1-gpu-py3"),
    ("TensorFlow", "1.12"): ("tensorflow/tensorflow:1.12.0-py3", "tensorflow/tensorflow:1.12.0-gpu-py3"),
    ("TensorFlow", "1.13"): ("tensorflow/tensorflow:1.13.1-py3", "tensorflow/tensorflow:1.13.1-gpu-py3"),
    ("TensorFlow", "2.0"): ("tensorflow/tensorflow:2.0.0-py3", "tensorflow/tensorflow:2.0.0-gpu-py3"),
    ("TensorFlow", "2.1"): ("tensorflow/tensorflow:2.1.0-py3", "tensorflow/tensorflow:2.1.0-gpu-py3"),
    ("TensorFlow", "2.2"): ("tensorflow/tensorflow:2.2.0", "tensorflow/tensorflow:2.2.0-gpu"),
    ("TensorFlow", "2.3"): ("tensorflow/tensorflow:2.3.0", "tensorflow/tensorflow:2.3.0-gpu"),
    ("Chainer", "5.1.0"): ("chainer/chainer:v5.1.0-python3",) * 2,
    ("Chainer", "7.0.0"): ("chainer/chainer:v7.0.0-python3",) * 2,
    # scikit-learn has no official image; v1's scenario is python 3.6 + scikit-learn 0.20.3,
    # layered onto the python image through a definition-file build (see compile).
    ("SKLearn", "0.20.3"): ("python:3.6-slim", "python:3.6-slim"),
}

# Packages the v1 scenario pinned that the public image lacks, layered on top when building.
FRAMEWORK_EXTRA_PIP: dict[tuple[str, str], tuple[str, ...]] = {
    ("SKLearn", "0.20.3"): ("scikit-learn==0.20.3", "numpy<1.20", "scipy<1.6"),
}


def framework_image(framework: str, version: str, use_gpu: bool) -> str:
    try:
        cpu, gpu = FRAMEWORK_IMAGES[(framework, version)]
    except KeyError:
        known = ", ".join(v for f, v in FRAMEWORK_IMAGES if f == framework) or "none"
        raise KeyError(
            f"no default image for {framework} {version} (known versions: {known}); "
            "pass custom_docker_image= or use the generic Estimator"
        ) from None
    return gpu if use_gpu else cpu


def to_image_source(image: str) -> str:
    """A runtime image reference: docker:// for registry images, unchanged for paths and URIs."""
    if image.startswith("/") or "://" in image:
        return image
    return f"docker://{image}"


def definition_file(base_source: str, pip_packages: list[str], conda_packages: list[str]) -> str:
    """An Apptainer definition file layering packages onto ``base_source`` (a docker:// ref)."""
    import shlex

    for pkg in [*pip_packages, *conda_packages]:
        if not pkg or any(c in pkg for c in "\n\r\0"):
            raise ValueError(f"package specification {pkg!r} is empty or contains a line break")
    if not base_source.startswith("docker://"):
        raise ValueError(f"packages can only be layered onto a registry image, not {base_source!r}")
    lines = ["Bootstrap: docker", f"From: {base_source.removeprefix('docker://')}", "", "%post"]
    if conda_packages:
        lines.append(
            "    if command -v conda >/dev/null; then conda install -y "
            + " ".join(shlex.quote(p) for p in conda_packages)
            + "; else echo 'hpcest: base image has no conda; conda_packages skipped' >&2; exit 1; fi"
        )
    if pip_packages:
        lines.append("    python -m pip install --no-cache-dir " + " ".join(shlex.quote(p) for p in pip_packages))
    return "\n".join(lines) + "\n"
