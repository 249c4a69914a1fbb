"""The shell that puts a container image into the cluster's image cache, once (pure text builders).

The same block runs in one of three places, chosen by the cluster profile (``image_fetch``):
on the login node at submission, through the transport (the default: compute nodes of most sites
have no internet and no fakeroot); inside the job script before the ranks start ("job"); or as a
build job of its own that the training job depends on ("build-job"). Wherever it runs it takes a
lock beside the cached image, so concurrent jobs and submissions fetch an image once, and it
renames a finished temporary into place, so nobody ever sees a half-written image.
"""

from __future__ import annotations

import hashlib
import posixpath
import re

from ..util.shellquote import quote
from .containers import pull_argv
from .spec import ContainerSpec

_TMP = "\x00hpcest-tmp\x00"


def needs_fetch(container: ContainerSpec) -> bool:
    """True when the image has to be fetched or built into the cache (not a prebuilt path)."""
    return container.runtime != "none" and bool(container.image) and bool(container.image_source)


def fetched_at_submission(container: ContainerSpec) -> bool:
    """True when the image is fetched or built before the job is queued (not by the job itself)."""
    return needs_fetch(container) and container.fetch_at == "submission"


def _commands(container: ContainerSpec) -> list[str]:
    assert container.image_source and container.image
    argvs = pull_argv(container.runtime, container.image_source, _TMP)
    return [" ".join('"$hpcest_tmp"' if a == _TMP else quote(a) for a in argv) for argv in argvs]


# Found in the cache: its time says it was used now (``hpcest gc`` keeps what was used in its last N
# days). Harmless where it cannot (another user's image in a shared cache).
_MARK_USED = 'touch -c -- "$HPCEST_IMAGE" 2>/dev/null || :'


def present_argv(container: ContainerSpec) -> list[str]:
    """argv that succeeds when the image is in the cache, marking it as used now (see ``_MARK_USED``)."""
    assert container.image
    return ["sh", "-c", f'HPCEST_IMAGE="$1"; [ -e "$HPCEST_IMAGE" ] || exit 1; {_MARK_USED}', "hpcest-image",
            container.image]


def fetch_block(container: ContainerSpec) -> str:
    """Shell lines that fetch (or build) the image into its cache path unless it is there."""
    assert container.image and container.image_source
    image, source = container.image, container.image_source
    lines = [
        f"HPCEST_IMAGE={quote(image)}",
        'if [ ! -e "$HPCEST_IMAGE" ]; then',
        f"  mkdir -p {quote(posixpath.dirname(image))}",
        "  (",
        '    flock -w 7200 9 || { echo "hpcest: timed out waiting for another job to fetch the image" >&2; exit 1; }',
        '    if [ ! -e "$HPCEST_IMAGE" ]; then',
        "      # Under the lock nobody else is fetching this image: what a killed fetch left can go.",
        '      rm -rf "$HPCEST_IMAGE".tmp.*',
        '      hpcest_tmp="$HPCEST_IMAGE.tmp.${SLURM_JOB_ID:-$$}"',
    ]
    if container.definition:
        lines += [
            "      # The environment's packages, layered onto the base image (the file name is its hash).",
            f"      cat > {quote(source)} <<'HPCEST_DEFINITION_END'",
            *container.definition.rstrip("\n").split("\n"),
            "HPCEST_DEFINITION_END",
        ]
    lines += [f'      {cmd} || {{ rm -rf "$hpcest_tmp"; exit 1; }}' for cmd in _commands(container)]
    lines += [
        '      mv -f "$hpcest_tmp" "$HPCEST_IMAGE"',
        "    fi",
        f"  ) 9> {quote(image + '.lock')} || {{ echo {quote('hpcest: cannot fetch image ' + source)} >&2; exit 1; }}",
        "else",
        f"  {_MARK_USED}",
        "fi",
    ]
    return "\n".join(lines) + "\n"


def check_block(container: ContainerSpec) -> str:
    """Shell lines that stop the job with the fix when the image it was submitted with is gone."""
    assert container.image and container.image_source
    message = (
        f"hpcest: image {container.image} (from {container.image_source}) is not in the image cache any more; "
        "it is fetched when a run is submitted: submit the run again"
    )
    return f"HPCEST_IMAGE={quote(container.image)}\n" + (
        f'[ -e "$HPCEST_IMAGE" ] || {{ echo {quote(message)} >&2; exit 1; }}\n'
    )


def login_script(container: ContainerSpec) -> list[str]:
    """argv that fetches the image on the login node (bash: the block uses a subshell and flock)."""
    return ["bash", "-c", "set -uo pipefail\n" + fetch_block(container) + 'printf "%s\\n" "$HPCEST_IMAGE"']


def size_probe(container: ContainerSpec) -> list[str]:
    """argv printing how many bytes of the image have arrived so far (for progress)."""
    assert container.image
    return ["sh", "-c", 'du -sk -- "$1".tmp.* 2>/dev/null | awk \'{s+=$1} END {print s*1024}\'', "hpcest-du",
            container.image]


def build_job_name(image: str) -> str:
    """The Slurm job name of the build job for the cached image ``image``: one name per image path, so
    that squeue finds a build under way for the same cache, and only for it (another cache, another
    user's, gets another name); letters, digits and ``_.-`` only, at most 128 characters."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "-", posixpath.basename(image).rsplit(".", 1)[0])[:80] or "image"
    where = hashlib.sha256(posixpath.dirname(image).encode()).hexdigest()[:8]
    return f"hpcest-image-{stem}-{where}"


def build_job_script(container: ContainerSpec, *, directives: list[str]) -> str:
    """A batch script whose only work is the fetch (``image_fetch = "build-job"``)."""
    return "#!/bin/bash\n" + "".join(f"{d}\n" for d in directives) + "set -uo pipefail\n" + fetch_block(container)

