"""Which image a v1 framework version runs in on a cluster (the framework's own public image).

v1 ran framework estimators in Microsoft's private framework images (``viennaprivate.azurecr.io``)
or built them from scenario files; neither is reachable from a cluster today. We map each
supported ``framework_version`` x CPU/GPU onto the framework's own public image of that
version. The generic ``Estimator`` keeps v1's public base images (DEFAULT_CPU_IMAGE /
DEFAULT_GPU_IMAGE from azureml-core).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..errors import ConfigError

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
    # scikit-learn has no official image: v1's scenario is python 3.6 with scikit-learn 0.20.3,
    # whose pins are installed onto the python image (see IMAGE_PROVIDES).
    ("SKLearn", "0.20.3"): ("python:3.6-slim", "python:3.6-slim"),
}

# The packages each framework's public image already holds; the rest of v1's scenario pins are
# installed on top (scikit-learn has no official image: python:3.6-slim holds none of them).
IMAGE_PROVIDES: dict[str, frozenset[str]] = {
    "PyTorch": frozenset({"torch", "torchvision"}),
    "TensorFlow": frozenset({"tensorflow", "tensorflow-gpu"}),
    "Chainer": frozenset({"chainer", "cupy", "cupy-cuda90", "cupy-cuda100"}),
    "SKLearn": frozenset(),
}
# Built against the site's MPI (and needing a compiler and cmake), so never installed by pip into a
# framework image: MPI jobs need an image that has them.
MPI_BUILT = frozenset({"horovod", "mpi4py", "cmake"})


def _name(requirement: str) -> str:
    return re.split(r"[\s\[=<>!~;@(]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def framework_image(
    framework: str, version: str, use_gpu: bool, pins: Sequence[str] = ()
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(public image, scenario pins to install on it, MPI-built pins it cannot get this way)."""
    try:
        cpu, gpu = FRAMEWORK_IMAGES[(framework, version)]
    except KeyError:
        known = ", ".join(v for f, v in FRAMEWORK_IMAGES if f == framework) or "none"
        raise ConfigError(
            f"no default image for {framework} {version} (known versions: {known}); "
            "pass custom_docker_image= or use the generic Estimator"
        ) from None
    provided = IMAGE_PROVIDES.get(framework, frozenset())
    missing = [p for p in pins if _name(p) not in provided]
    return (
        gpu if use_gpu else cpu,
        tuple(p for p in missing if _name(p) not in MPI_BUILT),
        tuple(p for p in missing if _name(p) in MPI_BUILT),
    )


def to_image_source(image: str) -> str:
    """A runtime image reference: docker:// for registry images, unchanged for paths and URIs."""
    if image.startswith("/") or "://" in image:
        return image
    return f"docker://{image}"


def definition_file(
    base_source: str,
    pip_packages: Sequence[str],
    conda_packages: Sequence[str],
    conda_channels: Sequence[str] = (),
    pip_options: Sequence[str] = (),
) -> str:
    """An Apptainer definition file layering packages onto ``base_source`` (a docker:// ref)."""
    import shlex

    for pkg in [*pip_packages, *conda_packages, *conda_channels, *pip_options]:
        if not pkg or any(c in pkg for c in "\n\r\0"):
            raise ConfigError(f"package specification {pkg!r} is empty or contains a line break")
    if not base_source.startswith("docker://"):
        raise ConfigError(
            f"packages can only be layered onto a registry image, not {base_source!r}; build an image "
            "that contains them, or set user_managed_dependencies"
        )
    lines = ["Bootstrap: docker", f"From: {base_source.removeprefix('docker://')}", "", "%post"]
    if conda_packages:
        channels = "".join(f" -c {shlex.quote(c)}" for c in conda_channels)
        lines.append(
            f"    if command -v conda >/dev/null; then conda install -y{channels} "
            + " ".join(shlex.quote(p) for p in conda_packages)
            + "; else echo 'hpcest: base image has no conda for conda_packages' >&2; exit 1; fi"
        )
    if pip_packages:
        # An option line ("--extra-index-url URL") is several pip arguments, as in a requirements file.
        options = [word for option in pip_options for word in shlex.split(option)]
        lines.append(
            "    python -m pip install --no-cache-dir " + " ".join(shlex.quote(p) for p in [*options, *pip_packages])
        )
    return "\n".join(lines) + "\n"
