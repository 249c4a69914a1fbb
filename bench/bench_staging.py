"""Staging cost: first vs second stage of a generated 1,000-file project.

Runs through LocalTransport and through SshTransport against a loopback sshd (started with the
local test cluster). Prints bytes sent, wall time and the first/second ratios, and what each
run's private copy of its snapshot costs against the hard links into the content store that
staging used before (measured in the same run, on the same store).

    python bench/bench_staging.py [--files 1000] [--no-ssh] [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from hpc_estimator.job.snapshot_copy import PRIVATE_COPY_SH
from hpc_estimator.snapshot import staging
from hpc_estimator.snapshot.staging import StageStats, build_manifest, stage
from hpc_estimator.transport.local import LocalTransport
from hpc_estimator.transport.ssh import SshTransport


def make_project(root: Path, files: int, seed: int = 7) -> None:
    """A source tree shaped like a real one: nested packages, mostly small text files, a few
    larger data-ish files, some executables, some duplicate contents."""
    rng = random.Random(seed)
    words = ["model", "train", "loss", "epoch", "batch", "optimizer", "layer", "config", "data"]
    for i in range(files):
        depth = rng.randint(0, 3)
        parts = [f"pkg{rng.randint(0, 9)}" for _ in range(depth)]
        path = root.joinpath(*parts, f"mod_{i:04d}.py")
        path.parent.mkdir(parents=True, exist_ok=True)
        if i % 50 == 0:
            body = "X = 1\n"  # duplicates: one CAS object for many files
        else:
            lines = rng.randint(20, 400) if i % 100 else rng.randint(5000, 20000)
            body = "".join(
                f"def {rng.choice(words)}_{n}(x):\n    return x * {rng.random():.6f}\n" for n in range(lines // 2)
            )
        path.write_text(body)
        if i % 97 == 0:
            path.chmod(0o755)


def report(label: str, first: StageStats, second: StageStats) -> None:
    print(f"{label}:")
    for name, s in (("first ", first), ("second", second)):
        print(
            f"  {name}: {s.files_sent:5d}/{s.files_total} files sent, {s.bytes_sent:>10,d} bytes, "
            f"{s.seconds * 1000:8.1f} ms"
        )
    bytes_ratio = first.bytes_sent / second.bytes_sent if second.bytes_sent else float("inf")
    print(
        f"  first/second: time x{first.seconds / max(second.seconds, 1e-9):.1f}, bytes "
        + ("all -> 0" if bytes_ratio == float("inf") else f"x{bytes_ratio:.1f}")
    )


@contextlib.contextmanager
def copying_stage() -> Iterator[None]:
    """The alternative measured against: the same staging, but src/ copied at submission (every
    file a new inode before sbatch) instead of linked and copied by the job on the compute node."""
    original = staging._STAGE_PY
    link, no_link = "os.link(src, target)\n", "raise OSError(errno.EMLINK, 'bench')\n"
    patched = original.replace(link, no_link)
    assert patched != original, "the staging program changed: update the bench"
    staging._STAGE_PY = patched
    try:
        yield
    finally:
        staging._STAGE_PY = original


def submission_vs_job_copy(project: Path, side: Path) -> None:
    manifest = build_manifest(project)
    cas = str(side / "cas")
    rounds = 5

    def stage_once(name: str) -> float:
        t0 = time.perf_counter()
        stage(LocalTransport(), manifest, project, str(side / "runs" / name / "src"), cas, remote_tools="python")
        return time.perf_counter() - t0

    def job_copy(name: str) -> float:
        t0 = time.perf_counter()
        subprocess.run(["bash", "-c", PRIVATE_COPY_SH], cwd=side / "runs" / name, check=True)
        return time.perf_counter() - t0

    stage_once("fill")  # the store has every object: every round stages an unchanged tree
    linked, job, copied = [], [], []
    for i in range(rounds):
        linked.append(stage_once(f"link{i}"))
        job.append(job_copy(f"link{i}"))
        with copying_stage():
            copied.append(stage_once(f"copy{i}"))
    med = lambda xs: sorted(xs)[rounds // 2] * 1000  # noqa: E731
    print("unchanged 1,000-file tree, one remote command each (median of 5):")
    print(f"  submission, src/ linked into the store:     {med(linked):8.1f} ms")
    print(f"  job start, src/ made the run's own (cp -Rp): {med(job):8.1f} ms (on the compute node)")
    print(f"  alternative, src/ copied at submission:     {med(copied):8.1f} ms")
    print(f"  submission linked/copied: x{med(linked) / max(med(copied), 1e-9):.2f}")


def run_pair(
    transport: object, project: Path, remote_root: str, remote_tools: str = "auto"
) -> tuple[StageStats, StageStats]:
    manifest = build_manifest(project)
    cas = f"{remote_root}/cas"
    first = stage(
        transport,
        manifest,
        project,
        f"{remote_root}/runs/r1/src",
        cas,  # type: ignore[arg-type]
        remote_tools=remote_tools,
    )
    second = stage(
        transport,
        build_manifest(project),
        project,
        f"{remote_root}/runs/r2/src",
        cas,  # type: ignore[arg-type]
        remote_tools=remote_tools,
    )
    return first, second


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--no-ssh", action="store_true", help="skip the SSH measurement")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    args = parser.parse_args(argv)

    work = args.keep or Path(tempfile.mkdtemp(prefix="hpcest-bench-staging-"))
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o755)  # munged (local cluster) refuses a state dir under a private directory
    try:
        project = work / "project"
        if not project.exists():
            make_project(project, args.files)
        t0 = time.perf_counter()
        manifest = build_manifest(project)
        print(
            f"project: {len(manifest.files)} files, {manifest.total_bytes:,d} bytes; "
            f"manifest built in {(time.perf_counter() - t0) * 1000:.1f} ms"
        )

        for tools in ("python", "sh"):
            side = work / f"local-cluster-side-{tools}"
            shutil.rmtree(side, ignore_errors=True)
            first, second = run_pair(LocalTransport(), project, str(side), tools)
            report(f"LocalTransport, cluster-side helper {tools}", first, second)
        print(f"  (archive is {first.bytes_sent / manifest.total_bytes:.0%} of the project's bytes)")
        submission_vs_job_copy(project, work / "copy-vs-link")

        if not args.no_ssh:
            from hpc_estimator.testing import local_cluster

            problems = local_cluster.missing_requirements(ssh=True)
            if problems:
                print("SshTransport: skipped (" + "; ".join(problems) + ")")
                return 0
            cluster = local_cluster.start(work / "cluster", nodes=1, ssh=True)
            try:
                ep = cluster.ssh
                assert ep is not None
                ssh = SshTransport(
                    ep.host, user=ep.user, port=ep.port, identity_file=ep.identity_file, known_hosts=ep.known_hosts
                )
                try:
                    remote = str(work / "ssh-cluster-side")
                    shutil.rmtree(remote, ignore_errors=True)
                    report("SshTransport (loopback sshd)", *run_pair(ssh, project, remote))
                finally:
                    ssh.close()
            finally:
                local_cluster.stop(cluster)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
