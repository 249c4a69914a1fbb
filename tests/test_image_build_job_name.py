"""The build job's name (image_fetch = "build-job") is what squeue finds a build under way by.

Protects: one name per cached image path (runs of the same image share the build job), another name
for the same image file in another cache (another user's or profile's job is never waited for), and
only characters squeue --name and the recording submit command accept, at most 128 of them.
"""

from __future__ import annotations

import re

from hpc_estimator.job.image_fetch import build_job_name
from hpc_estimator.slurm import recorded_submit_argv


def test_the_same_image_path_gives_the_same_name() -> None:
    assert build_job_name("/scratch/u/images/sha256-ab12.sif") == build_job_name("/scratch/u/images/sha256-ab12.sif")


def test_the_same_image_file_in_another_cache_gives_another_name() -> None:
    mine = build_job_name("/scratch/u/images/sha256-ab12.sif")
    theirs = build_job_name("/scratch/v/images/sha256-ab12.sif")
    assert mine != theirs
    assert mine.startswith("hpcest-image-sha256-ab12-") and theirs.startswith("hpcest-image-sha256-ab12-")


def test_any_file_name_becomes_a_name_squeue_and_the_submit_command_accept() -> None:
    for image in ("/c/my image:1.0 (copy).sqsh", "/c/" + "x" * 300 + ".sif", "/c/.sif", "/c/ünïcode"):
        name = build_job_name(image)
        assert re.fullmatch(r"[A-Za-z0-9_.\-]{1,128}", name), name
        recorded_submit_argv(name, "/c/image-builds/a", "/c/image-builds/a/build.sbatch")  # raises if not
