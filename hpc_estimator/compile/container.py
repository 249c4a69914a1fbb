"""Lowering: use_docker, image and packages -> the container runtime, the image file and its build."""

from __future__ import annotations

from ..cluster.profile import ClusterProfile
from ..job import containers
from ..job.spec import Bind, ContainerSpec, RuntimeName
from ..v1.resolved import FrameworkImage, MpiRanks, ResolvedRun
from . import images


def choose_runtime(run: ResolvedRun, profile: ClusterProfile) -> RuntimeName:
    """The profile's container runtime when the run uses a container, else none."""
    runtime = profile.container_runtime if run.use_docker else "none"
    if runtime not in ("apptainer", "singularity", "charliecloud", "none"):
        raise AssertionError(f"unresolved runtime {runtime!r}: resolve 'auto' before compiling")
    return runtime  # type: ignore[return-value]


def image_label(run: ResolvedRun) -> str | None:
    """'PyTorch 1.6' when the image came from the framework table (for summaries)."""
    if isinstance(run.image, FrameworkImage):
        return f"{run.image.framework} {run.image.version}"
    return None


def lower_image(
    run: ResolvedRun, runtime: RuntimeName, profile: ClusterProfile, gpu: bool
) -> tuple[str | None, str | None, str | None, list[str]]:
    """(image path the runtime runs, source it is fetched or built from, definition file, warnings)."""
    warnings: list[str] = []
    if runtime == "none":
        if run.packages:
            warnings.append(
                f"packages {', '.join([*run.packages.pip, *run.packages.conda])} are not installed for a run "
                "without a container: install them into the cluster Python, or use a container runtime"
            )
        return None, None, None, warnings
    extra_pip: tuple[str, ...] = ()
    if isinstance(run.image, FrameworkImage):
        image = run.image
        reference, extra_pip, mpi_built = images.framework_image(
            image.framework, image.version, image.gpu or gpu, image.pins
        )
        if mpi_built and isinstance(run.distribution, MpiRanks):
            warnings.append(
                f"v1's {image.framework} {image.version} environment had {', '.join(mpi_built)}, which must be built "
                f"against the cluster's MPI and are not in the public image {reference}: for Horovod/MPI jobs pass "
                "custom_docker_image= an image that has them (e.g. one of horovod/horovod) or build one on the cluster"
            )
    else:
        reference = run.image.reference
        if run.image.registry_username:
            warnings.append(
                f"image {reference!r} comes from a private registry (user {run.image.registry_username!r}): "
                f"log the cluster in once (`{runtime} registry login`, or APPTAINER_DOCKER_USERNAME/PASSWORD); "
                "hpcest does not carry registry passwords"
            )
    source = images.to_image_source(reference)
    if containers.is_image_archive(runtime, source):
        if run.packages:
            warnings.append(_not_layered(run, f"the image archive {source}"))
        # Converted once into the image cache (a new version of the image needs a new file name).
        return containers.cached_image_path(runtime, profile.image_cache, source), source, None, warnings
    if source.startswith("/"):
        if run.packages:
            warnings.append(_not_layered(run, f"the prebuilt image {source}"))
        return source, None, None, warnings  # a prebuilt image on the cluster (.sif file or directory)
    pip = [*extra_pip, *run.packages.pip]
    conda = list(run.packages.conda)
    if not (pip or conda):
        return containers.cached_image_path(runtime, profile.image_cache, source), source, None, warnings
    if runtime not in ("apptainer", "singularity"):
        warnings.append(
            f"packages {', '.join([*pip, *conda])} are not installed for runtime {runtime!r}: use an image "
            "that contains them (custom_docker_image) or an apptainer/singularity profile"
        )
        return containers.cached_image_path(runtime, profile.image_cache, source), source, None, warnings
    # Layer the packages onto the image once per cluster, as v1 built one image per environment.
    definition = images.definition_file(source, pip, conda, run.packages.conda_channels, run.packages.pip_options)
    path = containers.cached_image_path(runtime, profile.image_cache, definition)
    return path, path.removesuffix(".sif") + ".def", definition, warnings


def _not_layered(run: ResolvedRun, image: str) -> str:
    packages = ", ".join([*run.packages.pip, *run.packages.conda])
    return f"packages {packages} are not installed into {image}: build them into it"


def lower_container(
    run: ResolvedRun,
    runtime: RuntimeName,
    profile: ClusterProfile,
    run_dir: str,
    *,
    gpus: int,
    input_binds: tuple[Bind, ...],
    forward_env: tuple[str, ...],
) -> tuple[ContainerSpec, list[str]]:
    image, source, definition, warnings = lower_image(run, runtime, profile, gpus > 0)
    shm = containers.shm_warning(runtime, run.shm_size)
    if shm:
        warnings.append(shm)
    binds = (*containers.default_binds(run_dir, runtime), *(input_binds if runtime != "none" else ()))
    for bind in binds:
        containers.bind_spec(bind, runtime)  # refuse unbindable paths now, not at render time
    spec = ContainerSpec(
        runtime=runtime,
        image=image,
        image_source=source,
        gpu=runtime != "none" and gpus > 0,
        binds=binds,
        workdir=containers.layout(runtime, run_dir).src_dir if runtime != "none" else None,
        shm_size=run.shm_size,
        definition=definition,
        forward_env=forward_env if runtime in containers.ENV_PREFIX else (),
        fetch_at="job" if profile.image_fetch == "job" else "submission",
    )
    return spec, warnings
