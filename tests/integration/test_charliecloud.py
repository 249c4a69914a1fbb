"""Real container execution with charliecloud's ch-run, in the layout hpcest binds.

A python process started by ``ch-run`` inside the offline test image (hpc_estimator.testing
.ch_image, an ordinary image: nothing in it is made for hpcest) must see the run directory at
/mnt, read its source and an input bound at /mnt/inputs/<name>, write outputs the host sees
afterwards, start in the requested directory, receive environment values and arguments byte
for byte, and hand its exit status back. Every command line used here is also checked with
the CLI validator, so the validator's idea of a good ch-run command line is tested against
the real program.

Without ch-run (or user namespaces) the tests are skipped, or fail when HPCEST_REQUIRE_CLUSTER=1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from hpc_estimator.job.containers import CHARLIECLOUD_RUN_DIR, default_binds, exec_prefix, layout
from hpc_estimator.job.spec import Bind, ContainerSpec
from hpc_estimator.testing.ch_image import (
    build_test_image,
    ch_run_env,
    ch_run_missing_reason,
    default_cache_dir,
)
from hpc_estimator.testing.cli_spec import load_spec, validate_argv

CH_RUN_SPEC = load_spec("ch-run")
RUN = CHARLIECLOUD_RUN_DIR

# Values that break naive quoting somewhere: shell, CSV, ch-run's ':'/'$' expansion, its
# single-quote stripping, newlines, non-ASCII.
HOSTILE = {
    "H_COMMA": "a,b,c=d",
    "H_NEWLINE": "line1\nline2\n",
    "H_DOLLAR": "$HOME:$PATH:${X}",
    "H_QUOTES": "'single' \"double\" `tick`",
    "H_WRAPPED": "'wrapped in single quotes'",
    "H_LONE_QUOTE": "'",
    "H_SPACES": "  leading and trailing  ",
    "H_UNICODE": "héllo wörld ✓",
    "H_BACKSLASH": "C:\\path\\to\\file\\t",
    "H_EMPTY": "",
    "H_EQUALS": "==x==",
}

PROBE = textwrap.dedent(
    """
    import json, os, sys
    RUN = os.environ["PROBE_RUN"]
    report = {
        "argv": sys.argv[1:],
        "cwd": os.getcwd(),
        "env": {k: v for k, v in os.environ.items() if k.startswith("H_")},
        "src": sorted(os.listdir(RUN + "/src")),
        "input": open(RUN + "/inputs/data/values.txt").read(),
    }
    try:
        open(RUN + "/src/written-by-job", "w").write("x")
        report["src_writable"] = True
    except OSError as exc:
        report["src_writable"] = exc.errno
    try:
        open("/usr/written-by-job", "w").write("x")
        report["image_writable"] = True
    except OSError as exc:
        report["image_writable"] = exc.errno
    with open(RUN + "/outputs/report.json", "w") as fh:
        json.dump(report, fh)
    open(RUN + "/logs/done", "w").write("ok")
    sys.exit(int(os.environ.get("PROBE_EXIT", "0")))
    """
)


def _unavailable(reason: str) -> None:
    if os.environ.get("HPCEST_REQUIRE_CLUSTER") == "1":
        pytest.fail(f"ch-run required (HPCEST_REQUIRE_CLUSTER=1) but {reason}", pytrace=False)
    pytest.skip(f"ch-run unavailable: {reason}")


@pytest.fixture(scope="session")
def ch_image() -> Path:
    """The offline test image, built once per cache key and reused across sessions."""
    reason = ch_run_missing_reason()
    if reason:
        _unavailable(reason)
    return build_test_image(default_cache_dir())


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A host run directory laid out as hpcest stages it, plus a separate input directory."""
    run = tmp_path / "run"
    for sub in ("src", "outputs", "logs", "inputs/data"):
        (run / sub).mkdir(parents=True)
    (run / "src" / "probe.py").write_text(PROBE)
    (run / "src" / "helper.txt").write_text("helper\n")
    data = tmp_path / "dataset"
    data.mkdir()
    (data / "values.txt").write_text("1,2,3\n")
    return run


def _ch_run_argv(image: Path, run: Path, env: dict[str, str], *args: str) -> list[str]:
    argv = [
        "ch-run",
        "-b", f"{run}:{RUN}",
        # The input's mount point exists in the host run dir, reached through the bind above.
        "-b", f"{run.parent / 'dataset'}:{RUN}/inputs/data",
        "-c", f"{RUN}/src",
        "--env-no-expand",
    ]  # fmt: skip
    argv += [f"--set-env={name}='{value}'" for name, value in env.items()]
    argv += [str(image), "--", "python3", "probe.py", *args]
    return argv


def _run(argv: list[str], extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = ch_run_env()
    env["PROBE_RUN"] = RUN  # where the probe finds the run directory inside the container
    env.update(extra_env or {})
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)


def _report(run: Path) -> dict:
    return json.loads((run / "outputs" / "report.json").read_text())


def test_image_is_ordinary_and_has_the_mount_points_ch_run_binds(ch_image: Path) -> None:
    """ch-run 0.31 cannot create bind targets in a read-only image; hpcest binds only onto /mnt,
    which ordinary images have, so nothing hpcest-specific is in the image (and only python3)."""
    for d in (RUN, "/dev", "/proc", "/sys", "/tmp"):
        assert (ch_image / d.lstrip("/")).is_dir(), d
    assert not (ch_image / "hpcest").exists()
    assert not (ch_image / "usr/bin/python").exists()
    for f in ("etc/passwd", "etc/group"):
        assert (ch_image / f).is_file()


def test_python_in_container_sees_binds_cwd_env_and_args(ch_image: Path, run_dir: Path) -> None:
    """Source and input are visible, outputs land on the host, cwd is the requested one, and
    hostile env values and arguments arrive byte-identical."""
    args = ["--lr", "0.1", "a b", "$HOME", "x,y:z", "'q'", "line\nbreak", "--", "-c"]
    argv = _ch_run_argv(ch_image, run_dir, HOSTILE, *args)
    assert validate_argv(argv, CH_RUN_SPEC) == []

    result = _run(argv)
    assert result.returncode == 0, result.stderr
    report = _report(run_dir)
    assert report["cwd"] == f"{RUN}/src"
    assert report["argv"] == args
    assert report["env"] == HOSTILE
    assert {"probe.py", "helper.txt"} <= set(report["src"])
    assert report["input"] == "1,2,3\n"
    assert (run_dir / "logs" / "done").read_text() == "ok"
    assert report["image_writable"] == 30  # EROFS: the shared image stays read-only


def test_host_environment_passes_through_unchanged(ch_image: Path, run_dir: Path) -> None:
    """ch-run hands its own environment to the job as is: a second byte-exact channel."""
    argv = _ch_run_argv(ch_image, run_dir, {})
    assert validate_argv(argv, CH_RUN_SPEC) == []
    result = _run(argv, extra_env=HOSTILE)
    assert result.returncode == 0, result.stderr
    assert _report(run_dir)["env"] == HOSTILE


def test_set_env_without_no_expand_alters_values_as_the_validator_warns(ch_image: Path, run_dir: Path) -> None:
    """The validator's --env-no-expand warning describes real ch-run behaviour: without it,
    '$NAME' items are replaced by host values."""
    argv = _ch_run_argv(ch_image, run_dir, {"H_DOLLAR": "$HOME:x"})
    argv.remove("--env-no-expand")
    assert any("--env-no-expand" in p for p in validate_argv(argv, CH_RUN_SPEC))
    result = _run(argv, extra_env={"HOME": "/home/probe"})
    assert result.returncode == 0, result.stderr
    assert _report(run_dir)["env"]["H_DOLLAR"] == "/home/probe:x"


@pytest.mark.parametrize("code", [0, 3, 42])
def test_exit_status_propagates(ch_image: Path, run_dir: Path, code: int) -> None:
    """ch-run exits with the job's own status, so the job's exit-code file can trust it."""
    argv = _ch_run_argv(ch_image, run_dir, {})
    result = _run(argv, extra_env={"PROBE_EXIT": str(code)})
    assert result.returncode == code, result.stderr


def test_uncaught_exception_exits_nonzero(ch_image: Path, run_dir: Path) -> None:
    (run_dir / "src" / "probe.py").write_text("raise SystemError('boom')\n")
    result = _run(_ch_run_argv(ch_image, run_dir, {}))
    assert result.returncode == 1
    assert "boom" in result.stderr


def test_bind_target_missing_from_the_image_is_refused(ch_image: Path, run_dir: Path) -> None:
    """ch-run 0.31 does not create bind destinations in a read-only image (the reason the image
    carries hpcest's mount points); if a newer ch-run starts creating them, this test says so."""
    argv = ["ch-run", "-b", f"{run_dir}:/not-in-image", str(ch_image), "--", "true"]
    assert validate_argv(argv, CH_RUN_SPEC) == []
    result = _run(argv)
    assert result.returncode != 0
    assert "not-in-image" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root and unshare(1)")
def test_read_only_source_through_a_read_only_host_mount(ch_image: Path, run_dir: Path) -> None:
    """ch-run has no read-only bind option; a read-only host mount of the source (made in a
    private mount namespace) stays read-only inside, while outputs stay writable."""
    src = run_dir / "src"
    argv = _ch_run_argv(ch_image, run_dir, {})
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    result = _run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", str(src), *argv])
    assert result.returncode == 0, result.stderr
    report = _report(run_dir)
    assert report["src_writable"] == 30  # EROFS
    assert not (src / "written-by-job").exists()
    assert (run_dir / "logs" / "done").exists()


def test_source_is_writable_without_the_read_only_host_mount(ch_image: Path, run_dir: Path) -> None:
    """Counterpart of the read-only test: a plain ch-run bind is read-write, so hpcest must not
    assume ch-run protects the source snapshot by itself."""
    result = _run(_ch_run_argv(ch_image, run_dir, {}))
    assert result.returncode == 0, result.stderr
    assert _report(run_dir)["src_writable"] is True


def test_image_is_reused_from_the_cache(ch_image: Path) -> None:
    """A second build with the same inputs returns the cached directory instead of rebuilding."""
    marker = ch_image / "ch" / "hpcest-test-image.json"
    before = marker.stat().st_mtime_ns
    assert build_test_image(ch_image.parent) == ch_image
    assert marker.stat().st_mtime_ns == before


def test_hpcest_charliecloud_prefix_runs_in_the_test_image(ch_image: Path, run_dir: Path) -> None:
    """The ch-run prefix hpcest's container builder emits (run-dir bind, read-only input bind,
    working directory) validates against the ch-run spec and runs the job in this image."""
    lay = layout("charliecloud", str(run_dir))
    binds = (
        *default_binds(str(run_dir), "charliecloud"),
        Bind(str(run_dir.parent / "dataset"), lay.input_path("data"), read_only=True),
    )
    spec = ContainerSpec(runtime="charliecloud", image=str(ch_image), binds=binds, workdir=lay.src_dir)
    argv = [*exec_prefix(spec, str(ch_image)), "python3", "probe.py", "--epochs", "2"]
    assert validate_argv(argv, CH_RUN_SPEC) == []
    result = _run(argv, extra_env=HOSTILE)
    assert result.returncode == 0, result.stderr
    report = _report(run_dir)
    assert report["cwd"] == lay.src_dir
    assert report["argv"] == ["--epochs", "2"]
    assert report["input"] == "1,2,3\n"
    assert report["env"] == HOSTILE


def test_ch_run_refuses_to_start_without_user(ch_image: Path) -> None:
    """ch-run 0.31 exits with '$USER not set' when USER is missing (as in some batch and
    container environments); ch_run_env() fills it in, and job scripts must export it."""
    env = {k: v for k, v in ch_run_env().items() if k != "USER"}
    result = subprocess.run(["ch-run", str(ch_image), "--", "true"], capture_output=True, text=True, env=env)
    assert result.returncode != 0
    assert "USER not set" in result.stderr


def test_ch_run_under_srun_on_two_nodes(ch_image: Path, run_dir: Path, local_cluster) -> None:
    """Ranks started by srun on the local Slurm cluster run inside the image on both nodes,
    keep Slurm's per-rank variables (ch-run passes the environment through) and write into the
    shared run directory; srun reports the job's exit status."""
    (run_dir / "src" / "rank.py").write_text(
        textwrap.dedent(
            """
            import json, os, socket
            rank = os.environ["SLURM_PROCID"]
            info = [socket.gethostname(), os.environ.get("CUDA_VISIBLE_DEVICES"), os.getcwd()]
            with open(f"@RUN@/outputs/rank{rank}.json", "w") as fh:
                json.dump(info, fh)
            """
        ).replace("@RUN@", RUN)
    )
    inner = ["ch-run", "-b", f"{run_dir}:{RUN}", "-c", f"{RUN}/src", str(ch_image), "--", "python3", "rank.py"]
    assert validate_argv(inner, CH_RUN_SPEC) == []
    srun = ["srun", "-N2", "-n2", "--ntasks-per-node=1", "--gres=gpu:1", *inner]
    result = subprocess.run(srun, capture_output=True, text=True, env=ch_run_env(), timeout=300)
    assert result.returncode == 0, result.stderr
    infos = [json.loads((run_dir / "outputs" / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert sorted(i[0] for i in infos) == ["node1", "node2"]
    assert all(i[1] is not None and i[2] == f"{RUN}/src" for i in infos)

    failing = ["srun", "-N1", "-n1", "ch-run", str(ch_image), "--", "python3", "-c", "raise SystemExit(5)"]
    result = subprocess.run(failing, capture_output=True, text=True, env=ch_run_env(), timeout=300)
    assert result.returncode == 5, result.stderr
