"""Images of a graph of jobs (a pipeline's steps, a sweep's trials), provided before anything is queued.

A single run's image is fetched on the login node at submission (``image_fetch = "login"``, the
default: compute nodes of most sites have no internet) or left to the job (``"job"``). A pipeline or
a sweep needs the same for every distinct image its jobs run, once each, before the first sbatch:
a job that finds its image missing can only fail. ``"build-job"`` (a build job each run waits for)
is for single runs; a graph is refused with the fix instead of being queued half-provided.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..backends.base import Backend
from ..cluster.profile import ClusterProfile
from ..errors import ConfigError
from ..job import image_fetch
from ..job.spec import JobSpec


def needing_fetch(specs: Iterable[JobSpec]) -> list[JobSpec]:
    """One spec per distinct image that must be in the cache before its jobs start."""
    seen: set[str] = set()
    out: list[JobSpec] = []
    for spec in specs:
        container = spec.container
        if not image_fetch.fetched_at_submission(container):
            continue
        if container.image is None or container.image in seen:
            continue
        seen.add(container.image)
        out.append(spec)
    return out


def provide_images(
    backend: Backend, profile: ClusterProfile, specs: Iterable[JobSpec], *, what: str, report: Callable[[str], None]
) -> None:
    """Fetch each image ``specs`` need (login mode) now; with build-job, raise for one not cached yet
    (nothing is queued)."""
    wanted = needing_fetch(specs)
    if not wanted:
        return
    if profile.image_fetch == "build-job":
        missing = [s for s in wanted if not backend.transport.run(image_fetch.present_argv(s.container)).ok]
        if not missing:
            return
        raise ConfigError(
            f"cluster profile {profile.name!r} builds images in a job of their own (image_fetch = \"build-job\"), "
            f"which single runs wait for; {what} cannot yet. Set image_fetch = \"login\" (fetch on the login node "
            f"at submission) or \"job\" (each job fetches it) for this profile, or submit one run first to fill "
            f"the image cache ({missing[0].container.image_source})."
        )
    for spec in wanted:
        backend.provide_image(spec, report=report)
