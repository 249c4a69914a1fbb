"""Source snapshots: manifest rules and incremental staging into a content-addressed store.

Staging runs through the real LocalTransport (real sh, tar, cp on this machine).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from hpc_estimator.errors import TransportError, UserErrorException
from hpc_estimator.job.snapshot_copy import PRIVATE_COPY_SH
from hpc_estimator.snapshot.staging import (
    FileEntry,
    Manifest,
    SnapshotSizeWarning,
    SnapshotSymlinkWarning,
    build_manifest,
    stage,
)
from hpc_estimator.transport.local import LocalTransport

HOSTILE_NAMES = [
    "with space.py",
    "new\nline.txt",
    "ünïcødé-λ.py",
    "-leading-dash",
    'quote\'s "double".txt',
    "$(touch pwned).txt",
    "back\\slash",
    "star*?[x].txt",
]


def write(path: Path, text: str, mode: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mode is not None:
        path.chmod(mode)


def tree_contents(root: Path) -> dict[str, tuple[bytes, bool]]:
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            out[p.relative_to(root).as_posix()] = (p.read_bytes(), bool(p.stat().st_mode & 0o100))
    return out


def paths(m: Manifest) -> set[str]:
    return {f.relpath for f in m.files}


# --- manifest ------------------------------------------------------------------------------


def test_amlignore_takes_precedence_over_gitignore(tmp_path: Path) -> None:
    """v1 rule: with an .amlignore, .gitignore in the same directory is not consulted."""
    write(tmp_path / ".gitignore", "*.py\n")
    write(tmp_path / ".amlignore", "*.csv\n")
    write(tmp_path / "train.py", "x")
    write(tmp_path / "data.csv", "x")
    assert paths(build_manifest(tmp_path)) == {".gitignore", ".amlignore", "train.py"}


def test_gitignore_used_without_amlignore_and_nested_files(tmp_path: Path) -> None:
    """.gitignore applies when no .amlignore; a nested ignore file scopes to its directory."""
    write(tmp_path / ".gitignore", "*.log\ncheckpoints/\n")
    write(tmp_path / "a.log", "x")
    write(tmp_path / "checkpoints" / "big.pt", "x")
    write(tmp_path / "sub" / ".gitignore", "!keep.log\nlocal.txt\n")
    write(tmp_path / "sub" / "keep.log", "x")
    write(tmp_path / "sub" / "drop.log", "x")
    write(tmp_path / "sub" / "local.txt", "x")
    write(tmp_path / "local.txt", "x")
    m = build_manifest(tmp_path)
    assert paths(m) == {".gitignore", "sub/.gitignore", "sub/keep.log", "local.txt"}
    assert "checkpoints" not in m.dirs and "sub" in m.dirs


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_snapshot_equals_what_git_would_track(tmp_path: Path) -> None:
    """With nested .gitignore files, the snapshot holds exactly git's untracked-not-ignored files."""
    src = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(src)], check=True)
    write(src / ".gitignore", "*.log\n/build/\ndata/*\n!data/keep.csv\nlogs/\n!logs/x.log\n")
    write(src / "pkg" / ".gitignore", "!important.log\n*.tmp\n/local/\n")
    write(src / "pkg" / "sub" / ".gitignore", "!*.tmp\n")
    files = [
        "a.py",
        "a.log",
        "build/out.o",
        "src/build/x.py",
        "data/big.bin",
        "data/keep.csv",
        "logs/x.log",
        "pkg/important.log",
        "pkg/other.log",
        "pkg/t.tmp",
        "pkg/sub/t.tmp",
        "pkg/local/f",
        "pkg/sub/local/f",
        "deep/er/file name.txt",
    ]
    for rel in files:
        write(src / rel, "x")
    listed = subprocess.run(
        ["git", "-C", str(src), "ls-files", "--others", "--exclude-standard", "-z"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    assert paths(build_manifest(src)) == {p for p in listed if p}


def test_git_and_pycache_always_skipped_exec_bit_kept(tmp_path: Path) -> None:
    """.git/ and __pycache__/ never ship; the executable bit is recorded."""
    write(tmp_path / ".git" / "HEAD", "ref")
    write(tmp_path / "pkg" / "__pycache__" / "m.cpython-311.pyc", "x")
    write(tmp_path / "pkg" / "m.py", "x")
    write(tmp_path / "run.sh", "#!/bin/sh\n", mode=0o755)
    m = build_manifest(tmp_path)
    assert paths(m) == {"pkg/m.py", "run.sh"}
    assert {f.relpath: f.executable for f in m.files} == {"pkg/m.py": False, "run.sh": True}


def test_symlinks_inside_followed_outside_skipped(tmp_path: Path) -> None:
    """Links inside the tree ship their content; links leaving it or dangling are skipped with a warning."""
    src = tmp_path / "src"
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    write(src / "real" / "f.txt", "inside")
    (src / "link_file.txt").symlink_to("real/f.txt")
    (src / "link_dir").symlink_to("real")
    (src / "escape.txt").symlink_to(outside)
    (src / "dangling").symlink_to(src / "missing")
    (src / "real" / "loop").symlink_to("..")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = build_manifest(src)
    assert paths(m) == {"real/f.txt", "link_file.txt", "link_dir/f.txt"}
    reasons = dict(m.skipped)
    assert "leaves the source directory" in reasons["escape.txt"]
    assert "dangling" in reasons["dangling"]
    assert "loop" in reasons["real/loop"]
    assert sum(issubclass(w.category, SnapshotSymlinkWarning) for w in caught) == 2


def test_size_warning(tmp_path: Path) -> None:
    """Over the threshold the user is warned (not failed) and told about .amlignore."""
    for i in range(5):
        write(tmp_path / f"f{i}", "x" * 10)
    with pytest.warns(SnapshotSizeWarning, match="amlignore"):
        build_manifest(tmp_path, warn_files=3)
    with pytest.warns(SnapshotSizeWarning):
        build_manifest(tmp_path, warn_bytes=20)


def test_not_a_directory(tmp_path: Path) -> None:
    """A missing source_directory is a user error naming the path."""
    with pytest.raises(UserErrorException, match="not a directory"):
        build_manifest(tmp_path / "nope")


def test_digest_changes_with_content_and_exec_bit(tmp_path: Path) -> None:
    """The snapshot digest identifies content and modes, not timestamps."""
    write(tmp_path / "a.py", "1")
    d1 = build_manifest(tmp_path).digest
    os.utime(tmp_path / "a.py", (1, 1))
    assert build_manifest(tmp_path).digest == d1
    (tmp_path / "a.py").chmod(0o755)
    d2 = build_manifest(tmp_path).digest
    write(tmp_path / "a.py", "2")
    assert len({d1, d2, build_manifest(tmp_path).digest}) == 3


# --- staging -------------------------------------------------------------------------------


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    src = tmp_path / "project"
    write(src / "train.py", "print('hi')\n")
    write(src / "run.sh", "#!/bin/sh\necho run\n", mode=0o755)
    write(src / "pkg" / "__init__.py", "")
    write(src / "pkg" / "util.py", "X = 1\n")
    write(src / "dup1.txt", "same")
    write(src / "dup2.txt", "same")
    (src / "empty_dir").mkdir()
    for i, name in enumerate(HOSTILE_NAMES):
        write(src / "odd" / name, f"content {i}\n")
    # A name that is not valid UTF-8 (Linux allows any bytes but "/" and NUL).
    with open(os.fsencode(src / "odd") + b"/latin1-\xe9t\xe9.txt", "wb") as f:
        f.write(b"bytes name\n")
    return src


@pytest.fixture(params=["sh", "python"])
def remote_tools(request: pytest.FixtureRequest) -> str:
    """Both cluster-side toolsets (python3 and plain sh) must behave the same."""
    return str(request.param)


def test_stage_copies_tree_and_second_stage_sends_nothing(project: Path, tmp_path: Path, remote_tools: str) -> None:
    """First stage sends every distinct content once; an unchanged tree then sends 0 files.

    Hostile file names (newline, quotes, $(...), leading dash, unicode) arrive intact and run
    no command.
    """
    cluster = tmp_path / "cluster"
    t = LocalTransport()
    m = build_manifest(project)
    s1 = stage(t, m, project, str(cluster / "runs" / "r1" / "src"), str(cluster / "cas"), remote_tools=remote_tools)
    assert s1.files_total == len(m.files) and s1.files_sent == len(m.files) and s1.bytes_sent > 0
    assert s1.objects_total == len(m.files) - 1  # dup1/dup2 share one object
    assert tree_contents(cluster / "runs" / "r1" / "src") == tree_contents(project)
    assert (cluster / "runs" / "r1" / "src" / "empty_dir").is_dir()
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()

    s2 = stage(
        t,
        build_manifest(project),
        project,
        str(cluster / "runs" / "r2" / "src"),
        str(cluster / "cas"),
        remote_tools=remote_tools,
    )
    assert (s2.files_sent, s2.bytes_sent) == (0, 0)
    assert tree_contents(cluster / "runs" / "r2" / "src") == tree_contents(project)


def _job_first_step(run_dir: Path) -> subprocess.CompletedProcess[str]:
    """The job script's first step, as the job runs it (bash in the run directory)."""
    return subprocess.run(["bash", "-c", "set -uo pipefail\n" + PRIVATE_COPY_SH], cwd=run_dir,
                          capture_output=True, text=True)  # fmt: skip


def test_staging_links_into_the_read_only_store_and_marks_the_snapshot(
    project: Path, tmp_path: Path, remote_tools: str
) -> None:
    """Staging is one metadata operation per file (a link); executables are copies (a link would
    share the store's read-only mode); everything is private to the user under the default umask."""
    cluster = tmp_path / "cluster"
    m = build_manifest(project)
    stage(LocalTransport(), m, project, str(cluster / "src"), str(cluster / "cas"), remote_tools=remote_tools)
    entry = next(f for f in m.files if f.relpath == "train.py")
    obj = cluster / "cas" / entry.sha256[:2] / entry.sha256
    assert os.path.samefile(obj, cluster / "src" / "train.py")
    assert stat.S_IMODE(obj.stat().st_mode) == 0o400
    assert stat.S_IMODE((cluster / "src" / "run.sh").stat().st_mode) == 0o700
    assert stat.S_IMODE((cluster / "src").stat().st_mode) == 0o700
    assert stat.S_IMODE((cluster / "cas").stat().st_mode) == 0o700
    assert (cluster / "src-linked").exists()


def test_the_jobs_first_step_gives_the_run_its_own_writable_copy(
    project: Path, tmp_path: Path, remote_tools: str
) -> None:
    """After it, a job may rewrite its snapshot as on v1's compute: the store and the next run of
    the unchanged project keep the original."""
    cluster = tmp_path / "cluster"
    t = LocalTransport()
    stage(t, build_manifest(project), project, str(cluster / "a" / "src"), str(cluster / "cas"),
          remote_tools=remote_tools)  # fmt: skip
    done = _job_first_step(cluster / "a")
    assert done.returncode == 0, done.stderr
    assert not (cluster / "a" / "src-linked").exists() and not (cluster / "a" / "src.linked").exists()
    staged = cluster / "a" / "src" / "train.py"
    assert stat.S_IMODE(staged.stat().st_mode) == 0o600  # writable, still private
    assert stat.S_IMODE((cluster / "a" / "src" / "run.sh").stat().st_mode) == 0o700
    with open(staged, "a") as f:
        f.write("# written by the job\n")
    again = stage(t, build_manifest(project), project, str(cluster / "b" / "src"), str(cluster / "cas"),
                  remote_tools=remote_tools)  # fmt: skip
    assert again.files_sent == 0
    assert (cluster / "b" / "src" / "train.py").read_text() == (project / "train.py").read_text()
    for obj in (cluster / "cas").glob("??/*"):
        assert hashlib.sha256(obj.read_bytes()).hexdigest() == obj.name


def test_the_first_step_is_safe_to_run_again_after_a_kill(project: Path, tmp_path: Path) -> None:
    """Requeued, or killed between its two renames: the next attempt finishes the copy."""
    cluster = tmp_path / "cluster"
    stage(LocalTransport(), build_manifest(project), project, str(cluster / "src"), str(cluster / "cas"))
    os.rename(cluster / "src", cluster / "src.linked")  # stopped after the first rename
    (cluster / "src.private").mkdir()  # and a half copy left behind
    assert _job_first_step(cluster).returncode == 0
    assert (cluster / "src" / "train.py").read_text() == (project / "train.py").read_text()
    assert not os.path.samefile(next((cluster / "cas").glob("??/*")), cluster / "src" / "train.py")
    assert _job_first_step(cluster).returncode == 0  # nothing left to do


def test_group_readable_umask(project: Path, tmp_path: Path) -> None:
    cluster = tmp_path / "cluster"
    stage(LocalTransport(), build_manifest(project), project, str(cluster / "src"), str(cluster / "cas"),
          umask="0027")
    assert stat.S_IMODE((cluster / "src" / "train.py").stat().st_mode) == 0o440  # the store's object
    subprocess.run(["bash", "-c", "umask 0027\n" + PRIVATE_COPY_SH], cwd=cluster, check=True)
    assert stat.S_IMODE((cluster / "src" / "train.py").stat().st_mode) == 0o640


def test_stale_upload_temporaries_are_removed_at_the_next_stage(
    project: Path, tmp_path: Path, remote_tools: str
) -> None:
    """An upload that died leaves a temporary in .incoming; the next staging removes it once it is
    an hour old, and leaves a fresh one (another submission may be uploading it right now)."""
    cluster = tmp_path / "cluster"
    incoming = cluster / "cas" / ".incoming"
    incoming.mkdir(parents=True)
    stale, fresh = incoming / "dead.tar.gz", incoming / "live.tar.gz"
    stale.write_bytes(b"x" * 1000)
    fresh.write_bytes(b"y")
    hours_ago = os.path.getmtime(stale) - 2 * 3600
    os.utime(stale, (hours_ago, hours_ago))
    stage(LocalTransport(), build_manifest(project), project, str(cluster / "src"), str(cluster / "cas"),
          remote_tools=remote_tools)
    assert not stale.exists() and fresh.exists()


class _RecordingTransport(LocalTransport):
    """The real local transport, remembering which files were uploaded."""

    def __init__(self) -> None:
        super().__init__()
        self.uploads: list[str] = []

    def put(self, local: Path, remote: str, *, progress=None) -> None:  # type: ignore[no-untyped-def]
        self.uploads.append(remote)
        super().put(local, remote, progress=progress)


def test_data_that_does_not_shrink_is_not_gzipped(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src / "weights.bin", "")
    (src / "weights.bin").write_bytes(os.urandom(1 << 20))
    t = _RecordingTransport()
    s = stage(t, build_manifest(src), src, str(tmp_path / "run" / "src"), str(tmp_path / "cas"))
    assert t.uploads[-1].endswith(".tar") and s.bytes_sent < (1 << 20) + 64 * 1024
    write(src / "text.py", "x = 1\n" * 20000)
    stage(t, build_manifest(src), src, str(tmp_path / "run2" / "src"), str(tmp_path / "cas"))
    assert t.uploads[-1].endswith(".tar.gz")


def test_changed_file_sends_only_that_file(project: Path, tmp_path: Path) -> None:
    """Editing one file re-sends one file; the new run dir has the new content."""
    cluster = tmp_path / "cluster"
    t = LocalTransport()
    stage(t, build_manifest(project), project, str(cluster / "a"), str(cluster / "cas"))
    write(project / "pkg" / "util.py", "X = 2\n")
    s = stage(t, build_manifest(project), project, str(cluster / "b"), str(cluster / "cas"))
    assert s.files_sent == 1
    assert (cluster / "b" / "pkg" / "util.py").read_text() == "X = 2\n"
    assert (cluster / "a" / "pkg" / "util.py").read_text() == "X = 1\n"  # old run untouched


def test_restage_replaces_run_dir_without_leftovers(project: Path, tmp_path: Path, remote_tools: str) -> None:
    """Staging onto an existing src/ replaces it whole and leaves no temp directories."""
    cluster = tmp_path / "cluster"
    t = LocalTransport()
    dst, cas = str(cluster / "run" / "src"), str(cluster / "cas")
    stage(t, build_manifest(project), project, dst, cas, remote_tools=remote_tools)
    (project / "dup2.txt").unlink()
    stage(t, build_manifest(project), project, dst, cas, remote_tools=remote_tools)
    assert not (cluster / "run" / "src" / "dup2.txt").exists()
    assert sorted(os.listdir(cluster / "run")) == ["snapshot-objects", "src", "src-linked"]
    assert os.listdir(cluster / "cas" / ".incoming") == []


def test_home_relative_paths(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, remote_tools: str) -> None:
    """Profile workdirs default to ~/hpcest: a leading ~/ is expanded on the cluster side."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    stats = stage(
        LocalTransport(),
        build_manifest(project),
        project,
        "~/hpcest/runs/x/src",
        "~/hpcest/cas",
        remote_tools=remote_tools,
    )
    assert stats.remote_cas == str(tmp_path / "home" / "hpcest" / "cas")
    assert (tmp_path / "home" / "hpcest" / "runs" / "x" / "src" / "train.py").exists()


def test_failed_build_leaves_no_run_dir(project: Path, tmp_path: Path, remote_tools: str) -> None:
    """If the cluster side fails halfway, neither src/ nor a temp dir is left behind.

    The failure is provoked for real: a directory squats on one object's place in the CAS.
    """
    cluster = tmp_path / "cluster"
    m = build_manifest(project)
    last = m.files[-1]
    (cluster / "cas" / last.sha256[:2] / last.sha256).mkdir(parents=True)
    with pytest.raises(TransportError, match="staging failed"):
        stage(
            LocalTransport(), m, project, str(cluster / "run" / "src"), str(cluster / "cas"), remote_tools=remote_tools
        )
    assert not (cluster / "run").exists() or os.listdir(cluster / "run") == []
    assert os.listdir(cluster / "cas" / ".incoming") == []


def _path_without_python(tmp_path: Path) -> str:
    """A PATH holding the POSIX tools staging needs, and no python3."""
    bin_dir = tmp_path / "bin-no-python"
    bin_dir.mkdir()
    for tool in ("sh", "tar", "gzip", "mkdir", "mv", "ln", "cp", "chmod", "rm", "mktemp", "dirname", "cat", "find"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


def test_auto_falls_back_to_sh_without_python(project: Path, tmp_path: Path) -> None:
    """A cluster without python3 is staged with the sh scripts; asking for python fails clearly."""
    t = LocalTransport(env={"PATH": _path_without_python(tmp_path), "HOME": str(tmp_path)})
    cluster = tmp_path / "cluster"
    m = build_manifest(project)
    s1 = stage(t, m, project, str(cluster / "a"), str(cluster / "cas"))
    s2 = stage(t, m, project, str(cluster / "b"), str(cluster / "cas"))
    assert s1.files_sent == len(m.files) and s2.files_sent == 0
    assert tree_contents(cluster / "b") == tree_contents(project)
    with pytest.raises(TransportError, match="python3 is not on the cluster"):
        stage(t, m, project, str(cluster / "c"), str(cluster / "cas"), remote_tools="python")


def _old_python() -> Path | None:
    """A Python 3.6/3.7 interpreter if this machine has one (pyenv or system)."""
    candidates = [Path(p) for p in ("/usr/bin/python3.6", "/usr/bin/python3.7")]
    candidates += sorted(Path.home().glob(".pyenv/versions/3.[67].*/bin/python3"))
    return next((c for c in candidates if c.is_file()), None)


def test_cluster_helper_runs_on_python36(project: Path, tmp_path: Path) -> None:
    """Old login nodes: the python3 helper works on Python 3.6/3.7, even in the C locale."""
    old = _old_python()
    if old is None:
        pytest.skip("no Python 3.6/3.7 interpreter on this machine")
    bin_dir = tmp_path / "bin-old-python"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(old)
    t = LocalTransport(env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C"})
    assert t.run(["python3", "-c", "import sys; print(sys.version_info[1])"]).stdout.strip() in ("6", "7")
    cluster = tmp_path / "cluster"
    m = build_manifest(project)
    s1 = stage(t, m, project, str(cluster / "a"), str(cluster / "cas"), remote_tools="python")
    s2 = stage(t, m, project, str(cluster / "b"), str(cluster / "cas"), remote_tools="python")
    assert s1.files_sent == len(m.files) and s2.files_sent == 0
    assert tree_contents(cluster / "b") == tree_contents(project)


def test_file_changed_after_manifest_is_refused(project: Path, tmp_path: Path) -> None:
    """A file edited between manifest and upload is not stored under a stale hash."""
    m = build_manifest(project)
    write(project / "train.py", "print('edited')\n")
    cluster = tmp_path / "cluster"
    with pytest.raises(UserErrorException, match="changed"):
        stage(LocalTransport(), m, project, str(cluster / "run" / "src"), str(cluster / "cas"))
    assert not (cluster / "run").exists()
    bogus = FileEntry("train.py", "0" * 64, 3, 0o644)
    assert not (cluster / "cas" / "00" / bogus.sha256).exists()


# --- over real SSH (loopback sshd of a local test cluster) ----------------------------------


@pytest.fixture(scope="module")
def ssh_cluster() -> Iterator[object]:
    from hpc_estimator.testing import local_cluster as lc
    from hpc_estimator.testing.state_dir import new_state_dir, remove_state_dir

    problems = lc.missing_requirements(ssh=True)
    if problems:
        if os.environ.get("HPCEST_REQUIRE_CLUSTER") == "1":
            pytest.fail("sshd required (HPCEST_REQUIRE_CLUSTER=1): " + "; ".join(problems))
        pytest.skip("loopback sshd unavailable: " + "; ".join(problems))
    state = new_state_dir("hpcest-staging-")
    cluster = lc.start(state, nodes=1, ssh=True)
    try:
        yield cluster
    finally:
        try:
            lc.stop(cluster)
        finally:
            remove_state_dir(state)


@pytest.mark.integration
def test_stage_over_ssh(ssh_cluster: object, project: Path, tmp_path: Path, remote_tools: str) -> None:
    """Through a real sshd and SshTransport: hostile names arrive intact, re-stage sends nothing."""
    from hpc_estimator.transport.ssh import SshTransport

    ep = ssh_cluster.ssh  # type: ignore[attr-defined]
    ssh = SshTransport(ep.host, user=ep.user, port=ep.port, identity_file=ep.identity_file, known_hosts=ep.known_hosts)
    try:
        cluster_side = tmp_path / "cluster"  # sshd runs on this machine, so we can look at it
        m = build_manifest(project)
        s1 = stage(
            ssh, m, project, str(cluster_side / "r1" / "src"), str(cluster_side / "cas"), remote_tools=remote_tools
        )
        s2 = stage(
            ssh, m, project, str(cluster_side / "r2" / "src"), str(cluster_side / "cas"), remote_tools=remote_tools
        )
    finally:
        ssh.close()
    assert s1.files_sent == len(m.files) and (s2.files_sent, s2.bytes_sent) == (0, 0)
    assert tree_contents(cluster_side / "r1" / "src") == tree_contents(project)
    assert tree_contents(cluster_side / "r2" / "src") == tree_contents(project)
