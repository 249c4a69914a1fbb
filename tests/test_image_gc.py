"""``hpcest gc`` on a cluster's image cache: an image goes only when no run of the last N days, no job
Slurm still lists and no fetch under way uses it, and a submission that finds it keeps it.

The cluster side runs for real through the LocalTransport on directories laid out as a cluster's;
the job scripts' image lines are written by the same builders as a real job script's, and ages are
set with os.utime, as months of runs would leave them. The scheduler's part (which runs' directories
are in use) is tested on the real cluster (tests/integration/test_outages.py) and its parser on
recorded squeue output (tests/test_slurm_parsers.py)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
from pathlib import Path

import pytest

from hpc_estimator.backends.image_gc import ImageStore, collect_images
from hpc_estimator.errors import UserErrorException
from hpc_estimator.job import image_fetch
from hpc_estimator.job.spec import ContainerSpec
from hpc_estimator.transport.local import LocalTransport

DAY = 86400
HEX = "0123456789abcdef01234567"


def _age(path: Path, days: float) -> None:
    then = time.time() - days * DAY
    os.utime(path, (then, then), follow_symlinks=False)


def _container(image: Path) -> ContainerSpec:
    return ContainerSpec(runtime="apptainer", image=str(image), image_source="docker://python:3.11",
                         fetch_at="submission")


class Site:
    """A cluster work directory: runs/, images/, image-builds/."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.runs, self.cache, self.builds = root / "runs", root / "images", root / "image-builds"
        for folder in (self.runs, self.cache, self.builds):
            folder.mkdir(parents=True)
        self.cache.chmod(0o755)

    def image(self, n: int, *, days: float, size: int = 1000) -> Path:
        path = self.cache / f"apptainer-{HEX[:-2]}{n:02d}.sif"
        path.write_bytes(b"I" * size)
        (self.cache / f"{path.name}.lock").touch()
        _age(path, days)
        return path

    def run(self, run_id: str, image: Path, *, days: float, script: str = "job.sbatch") -> Path:
        """A run directory whose job script names ``image``, as the compiled script does."""
        run_dir = self.runs / run_id
        (run_dir / "src").mkdir(parents=True)
        text = "#!/bin/bash\n#SBATCH --job-name=x\n" + image_fetch.check_block(_container(image)) + "srun true\n"
        (run_dir / script).write_text(text)
        _age(run_dir / script, days)
        return run_dir

    def collect(self, *, delete: bool, active: tuple[str, ...] = (), days: float = 30, also: tuple[Path, ...] = ()):
        roots = [str(self.runs), *map(str, also)]
        return collect_images(LocalTransport(), ImageStore(str(self.cache), str(self.builds)), roots, active,
                              days=days, delete=delete)  # fmt: skip


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path / "work dir")  # a space: paths travel quoted


def test_an_image_no_recent_run_uses_goes_with_its_definition_file(site: Site) -> None:
    old = site.image(1, days=40, size=3000)
    (site.cache / f"{old.name[:-4]}.def").write_text("Bootstrap: docker\n")
    used = site.image(2, days=40)
    site.run("recent", used, days=2)
    site.run("old", old, days=40)
    dry = site.collect(delete=False)
    assert (dry.images, dry.unused, dry.unused_bytes, dry.removed) == (2, 1, 3000, False)
    assert old.exists()  # a dry run removes nothing
    done = site.collect(delete=True)
    assert (done.unused, done.unused_bytes, done.errors) == (1, 3000, ())
    assert not old.exists() and not (site.cache / f"{old.name[:-4]}.def").exists()
    assert used.exists()
    assert (site.cache / f"{old.name}.lock").exists()  # a fetch may have it open: locks stay
    assert (site.runs / "old" / "job.sbatch").exists()  # runs are never touched


def test_an_old_run_whose_job_slurm_still_lists_keeps_its_image(site: Site) -> None:
    # Pending for 40 days (or held): its script is old, but the scheduler lists its directory.
    image = site.image(1, days=40)
    pending = site.run("waiting", image, days=40)
    assert site.collect(delete=True, active=(str(pending),)).unused == 0
    assert image.exists()
    # A sweep's or pipeline's job works in a directory below the run's: the same run.
    below = pending / "trials" / "3"
    below.mkdir(parents=True)
    assert site.collect(delete=True, active=(str(below),)).unused == 0
    assert site.collect(delete=True).unused == 1 and not image.exists()


def test_a_cache_that_serves_several_profiles_keeps_what_any_of_their_runs_uses(site: Site, tmp_path: Path) -> None:
    image = site.image(1, days=40)
    other = Site(tmp_path / "other work dir")  # another profile's workdir, the same image cache
    other.run("theirs", image, days=1)
    assert site.collect(delete=True, also=(other.runs,)).unused == 0 and image.exists()
    assert site.collect(delete=True).unused == 1  # seen from one profile alone it would go


def test_the_cli_collects_a_cache_with_the_runs_of_every_profile_of_that_cluster_using_it(tmp_path: Path) -> None:
    from hpc_estimator.cli.gc import _runs_sharing
    from hpc_estimator.runs.workspace import Workspace

    ws = Workspace.create(tmp_path / "ws", name="gc")
    try:
        shared = str(tmp_path / "images")
        ws.add_profile("a", {"transport": "local", "workdir": str(tmp_path / "a"), "image_cache": shared})
        ws.add_profile("b", {"transport": "local", "workdir": str(tmp_path / "b"), "image_cache": shared})
        ws.add_profile("c", {"transport": "local", "workdir": str(tmp_path / "c")})  # its own cache
        ws.add_profile("d", {"transport": "ssh", "host": "elsewhere", "workdir": str(tmp_path / "d"),
                             "image_cache": shared})  # the same path on another machine  # fmt: skip
        assert _runs_sharing(ws, "a", shared) == [str(tmp_path / "a" / "runs"), str(tmp_path / "b" / "runs")]
    finally:
        from hpc_estimator.backends import close_all

        close_all()
        ws.close()


def test_an_image_fetched_recently_stays_even_if_no_run_names_it_yet(site: Site) -> None:
    # Fetched at submission a minute ago; the run's script is still being staged.
    fresh = site.image(1, days=0.001)
    assert site.collect(delete=True).unused == 0 and fresh.exists()


def test_a_submission_that_finds_the_image_marks_it_used(site: Site) -> None:
    image = site.image(1, days=40)
    found = subprocess.run(image_fetch.present_argv(_container(image)))
    assert found.returncode == 0
    assert time.time() - image.stat().st_mtime < 60
    assert site.collect(delete=True).unused == 0 and image.exists()
    missing = subprocess.run(image_fetch.present_argv(_container(site.cache / "apptainer-none.sif")))
    assert missing.returncode == 1 and not (site.cache / "apptainer-none.sif").exists()  # touch -c


def test_a_job_that_fetches_its_own_image_marks_a_cached_one_used(site: Site) -> None:
    image = site.image(1, days=40)
    block = image_fetch.fetch_block(ContainerSpec(runtime="apptainer", image=str(image),
                                                  image_source="docker://python:3.11"))
    assert subprocess.run(["bash", "-c", "set -euo pipefail\n" + block]).returncode == 0  # nothing fetched
    assert time.time() - image.stat().st_mtime < 60


def test_an_image_whose_fetch_holds_the_lock_stays(site: Site) -> None:
    image = site.image(1, days=40)
    holder = os.open(f"{image}.lock", os.O_WRONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)  # as flock(1) in the fetch block: the same kind of lock
    try:
        report = site.collect(delete=True)
        assert (report.unused, report.busy) == (0, 1) and image.exists()
        assert "1 being fetched right now, kept" in report.summary(30)
    finally:
        os.close(holder)
    assert site.collect(delete=True).unused == 1


def test_a_dry_run_creates_no_lock_file(site: Site) -> None:
    image = site.image(1, days=40)
    (site.cache / f"{image.name}.lock").unlink()  # fetched by hand, or its lock removed
    assert site.collect(delete=False).unused == 1
    assert sorted(p.name for p in site.cache.iterdir()) == [image.name]


def test_leftovers_of_killed_fetches_go_when_old_and_unlocked(site: Site) -> None:
    image = site.cache / f"apptainer-{HEX}.sif"
    old_tmp = site.cache / f"{image.name}.tmp.4242"
    old_tmp.write_bytes(b"x" * 500)
    _age(old_tmp, 40)
    new_tmp = site.cache / f"{image.name}.tmp.4343"
    new_tmp.write_bytes(b"y")
    report = site.collect(delete=True)
    assert (report.images, report.unused, report.unused_bytes) == (0, 0, 500)
    assert not old_tmp.exists() and new_tmp.exists()


def test_a_charliecloud_image_directory_goes_whole(site: Site) -> None:
    image = site.cache / f"charliecloud-{HEX}"
    (image / "usr" / "bin").mkdir(parents=True)
    (image / "usr" / "bin" / "python3").write_bytes(b"E" * 700)
    (image / "etc").mkdir()
    (image / "etc" / "os-release").write_bytes(b"R" * 300)
    _age(image, 40)
    report = site.collect(delete=True)
    assert (report.images, report.image_bytes, report.unused, report.unused_bytes) == (1, 1000, 1, 1000)
    assert not image.exists()


def test_files_that_are_not_cached_images_are_left_alone(site: Site) -> None:
    mine = site.cache / "my-own-image.sif"  # put there by hand, not by a fetch
    mine.write_bytes(b"m")
    _age(mine, 400)
    assert site.collect(delete=True).images == 0 and mine.exists()


def test_a_cache_shared_with_other_users_is_left_alone(site: Site) -> None:
    if os.getuid() != 0:
        pytest.skip("giving a file to another user needs root")
    theirs = site.image(1, days=40)
    mine = site.image(2, days=40)
    os.chown(theirs, 65534, 65534)
    report = site.collect(delete=True)
    assert report.shared is not None and theirs.name in report.shared
    assert report.unused == 0 and theirs.exists() and mine.exists()
    assert "left alone" in report.summary(30)
    os.chown(theirs, 0, 0)
    site.cache.chmod(0o775)  # group-writable: someone else's runs may use it
    assert site.collect(delete=True).shared == f"{site.cache} is writable by other users"
    assert mine.exists()


def test_image_build_directories_go_once_old_and_not_in_use(site: Site) -> None:
    def attempt(name: str, days: float) -> Path:
        path = site.builds / "hpcest-image-x-1" / name
        path.mkdir(parents=True)
        for f in ("build.sbatch", "build-12.out"):
            (path / f).write_text("x")
            _age(path / f, days)
        _age(path, days)
        return path

    old, recent, queued = attempt("a", 40), attempt("b", 1), attempt("c", 40)
    report = site.collect(delete=True, active=(str(queued),))
    assert (report.builds, report.unused_builds) == (3, 1)
    assert not old.exists() and recent.exists() and queued.exists()
    (recent / "build.sbatch").unlink()
    (recent / "build-12.out").unlink()
    recent.rmdir()
    queued_files = list(queued.iterdir())
    for f in queued_files:
        f.unlink()
    queued.rmdir()
    site.collect(delete=True)
    assert not (site.builds / "hpcest-image-x-1").exists()  # the name's folder goes once empty


def test_days_must_be_positive(site: Site) -> None:
    with pytest.raises(UserErrorException, match="positive number of days"):
        site.collect(delete=False, days=0)


def test_the_local_target_collects_no_images_and_never_answers_nothing_in_use(tmp_path: Path) -> None:
    from hpc_estimator.backends.local import LocalBackend
    from hpc_estimator.errors import SchedulerError

    backend = LocalBackend(tmp_path / "runs", tmp_path / "cas")
    assert backend.image_store() is None
    with pytest.raises(SchedulerError, match="no scheduler"):
        backend.active_workdirs()
