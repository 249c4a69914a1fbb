"""Container command lines checked against the documented apptainer / singularity / ch-run CLIs.

Apptainer cannot be installed on the test machine, so its command lines are validated against
a data description of its CLI (hpc_estimator/testing/container_cli). These tests pin down that the
validator rejects what the real parsers reject or would silently reinterpret, and accepts the
command lines the upstream documentation shows.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpc_estimator.job.containers import default_binds, exec_prefix, pull_argv
from hpc_estimator.job.spec import Bind, ContainerSpec
from hpc_estimator.testing.cli_spec import (
    SPEC_NAMES,
    go_csv_record,
    load_spec,
    parse_argv,
    pflag_string_to_string,
    validate_argv,
)

APPTAINER = load_spec("apptainer")
SINGULARITY = load_spec("singularity")
CH_RUN = load_spec("ch-run")
CH_CONVERT = load_spec("ch-convert")
CH_IMAGE = load_spec("ch-image")


# ----------------------------------------------------------------------------- the data itself


@pytest.mark.parametrize("name", SPEC_NAMES)
def test_every_option_names_its_source_and_first_version(name: str) -> None:
    """Each described option must say where it was read and which release introduced it."""
    spec = load_spec(name)
    tables = (
        [spec.data["options"]]
        if "options" in spec.data
        else [spec.data["global_options"], *(s["options"] for s in spec.data["subcommands"].values())]
    )
    assert sum(len(t) for t in tables) >= 7
    for table in tables:
        for opt_name, opt in table.items():
            assert "github.com/" in opt["source"], opt_name
            assert opt["since"].startswith("v"), opt_name


@pytest.mark.parametrize("spec", [APPTAINER, SINGULARITY], ids=["apptainer", "singularity"])
def test_exec_options_hpcest_relies_on_are_described(spec) -> None:
    """The options the apptainer/singularity builders use exist, with the documented shorthands."""
    exec_opts = spec.data["subcommands"]["exec"]["options"]
    expected_short = {
        "bind": "B",
        "cleanenv": "e",
        "contain": "c",
        "containall": "C",
        "home": "H",
        "ipc": "i",
        "pid": "p",
        "fakeroot": "f",
    }
    for name, short in expected_short.items():
        assert exec_opts[name]["short"] == short
    for name in ("env", "env-file", "nv", "pwd", "no-home", "writable-tmpfs", "no-mount", "mount", "no-eval"):
        assert name in exec_opts
    assert exec_opts["nv"]["takes_value"] is False
    assert exec_opts["env"]["kind"] == "stringToString"


def test_apptainer_facts_record_the_env_and_bind_findings() -> None:
    """The findings the builders depend on are kept with their sources, not only in prose."""
    topics = {f["topic"]: f for f in APPTAINER.data["facts"]}
    assert {"env_commas", "env_evaluation", "cleanenv", "bind_paths", "nv", "mount_keys"} <= set(topics)
    assert "--no-eval" in topics["env_evaluation"]["finding"]
    assert "APPTAINERENV_" in topics["cleanenv"]["finding"]


def test_ch_run_spec_is_the_installed_release_and_knows_later_options() -> None:
    """ch-run 0.31 (Debian 12) has no --write-fake; the spec says when it arrived."""
    assert CH_RUN.described_version == "v0.31"
    assert "write-fake" not in CH_RUN.data["options"]
    assert CH_RUN.data["later_options"]["write-fake"]["since"] == "v0.36"
    assert CH_RUN.data["options"]["set-env"]["value_optional"] is True


def test_load_spec_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown CLI spec"):
        load_spec("docker")


# ----------------------------------------------------------------------------- documented lines


DOCUMENTED = [
    # apptainer-userdocs bind_paths_and_mounts.rst / environment_and_metadata.rst / gpu.rst
    (APPTAINER, ["apptainer", "exec", "--bind", "/data:/mnt", "my_container.sif", "ls", "/mnt"]),
    (APPTAINER, ["apptainer", "exec", "--bind", "/opt,/data:/mnt", "my_container.sif", "ls"]),
    (APPTAINER, ["apptainer", "exec", "--mount", "type=bind,src=/data,dst=/mnt", "c.sif", "ls", "/mnt"]),
    (APPTAINER, ["apptainer", "exec", "--mount", 'type=bind,"src=/comma,dir",dst=/mnt', "c.sif", "ls"]),
    (APPTAINER, ["apptainer", "exec", "--env", "MYVAR=A,MYVAR2=B", "env.sif", "env"]),
    (APPTAINER, ["apptainer", "exec", "--env-file", "myenvs", "--env-file", "myenvs2", "env.sif", "env"]),
    (APPTAINER, ["apptainer", "exec", "--env-file", "myenvs2,myenvs", "env.sif", "env"]),
    (APPTAINER, ["apptainer", "exec", "--env=LD_PRELOAD=/foo/bar/\\$LIB/baz.so", "c.sif", "env"]),
    (APPTAINER, ["apptainer", "exec", "--no-mount", "tmp,sys,dev", "c.sif", "true"]),
    (APPTAINER, ["apptainer", "exec", "--cleanenv", "env.sif", "env"]),
    (APPTAINER, ["apptainer", "exec", "--nv", "tensorflow_latest-gpu.sif", "python"]),
    (APPTAINER, ["apptainer", "exec", "-uwc", "--nvccli", "tensorflow_latest-gpu", "nvidia-smi"]),
    (APPTAINER, ["apptainer", "pull", "docker://tensorflow/tensorflow:latest-gpu"]),
    (APPTAINER, ["apptainer", "pull", "out.sif", "docker://python:3.11"]),
    (APPTAINER, ["apptainer", "build", "--fakeroot", "out.sif", "def.def"]),
    (APPTAINER, ["apptainer", "inspect", "--json", "img.sif"]),
    (APPTAINER, ["apptainer", "--debug", "exec", "img.sif", "true"]),
    (SINGULARITY, ["singularity", "exec", "-B", "/opt,/data:/mnt:ro", "c.sif", "ls"]),
    (SINGULARITY, ["singularity", "exec", "--pwd", "/work", "--containall", "c.sif", "pwd"]),
    # charliecloud doc/ch-run.rst (v0.31)
    (CH_RUN, ["ch-run", "/data/foo", "--", "echo", "hello"]),
    (CH_RUN, ["ch-run", "--set-env=FOO=bar", "/img", "--", "env"]),
    (CH_RUN, ["ch-run", "--set-env=/tmp/env.txt", "/img", "--", "env"]),
    (CH_RUN, ["ch-run", "--set-env", "--set-env=PATH=/opt/bin:$PATH", "/var/tmp/foo.sqfs", "--", "env"]),
    (CH_RUN, ["ch-run", "--unset-env=SLURM*", "/img", "--", "/hello/hello"]),
    (CH_RUN, ["ch-run", "-b", "/foo:/mnt/0", "-c", "/mnt/0", "-w", "/img", "--", "ls"]),
    # doc/ch-convert.rst and ch-image pull --help (v0.31)
    (CH_CONVERT, ["ch-convert", "-o", "dir", "python:3.11", "/var/tmp/python"]),
    (CH_CONVERT, ["ch-convert", "foo.tar.gz", "/var/tmp/foo"]),
    (CH_IMAGE, ["ch-image", "pull", "debian:bookworm"]),
    (CH_IMAGE, ["ch-image", "-s", "/var/tmp/store", "pull", "--last-layer", "2", "alpine:3.17", "my-alpine"]),
]


@pytest.mark.parametrize(("spec", "argv"), DOCUMENTED, ids=[" ".join(a[:4]) for _, a in DOCUMENTED])
def test_documented_command_lines_are_accepted(spec, argv: list[str]) -> None:
    """What the upstream documentation shows parses without structural problems."""
    assert validate_argv(argv, spec, strict=False) == []


def test_hpcest_style_lines_pass_strict_validation() -> None:
    """One variable per option, absolute paths, --no-eval: the byte-exact style passes strict."""
    apptainer = [
        "apptainer", "exec", "--cleanenv", "--no-eval", "--nv",
        "--bind", "/scratch/run/1:/hpcest/run", "--bind", "/scratch/run/1/src:/hpcest/run/src:ro",
        "--env", "EPOCHS=3", "--pwd", "/hpcest/run/src",
        "/cache/apptainer-abc.sif", "python", "train.py", "--lr", "0.1",
    ]  # fmt: skip
    assert validate_argv(apptainer, APPTAINER) == []
    ch_run = [
        "ch-run", "-b", "/scratch/run/1:/hpcest/run", "-c", "/hpcest/run/src",
        "--env-no-expand", "--set-env=MSG='a,b=c $HOME:$PATH'", "--unset-env=PYTHONUSERBASE",
        "/cache/ch-image", "--", "python3", "train.py",
    ]  # fmt: skip
    assert validate_argv(ch_run, CH_RUN) == []


# ----------------------------------------------------------------------------- rejections


REJECTED = [
    (APPTAINER, ["apptainer", "exec", "--gpu", "img.sif", "python"], "unknown option --gpu"),
    (APPTAINER, ["apptainer", "exec", "-Z", "img.sif", "python"], "unknown option -Z"),
    (APPTAINER, ["apptainer", "exec", "img.sif", "--nv", "python"], "comes after the image"),
    (APPTAINER, ["apptainer", "exec", "--nv", "img.sif"], "no command given"),
    (APPTAINER, ["apptainer", "exec", "--bind"], "--bind needs a value"),
    (APPTAINER, ["apptainer", "exec", "--nv=yes", "img.sif", "true"], "takes no value"),
    (APPTAINER, ["apptainer", "exec", "--bind", "/a:b:c:d", "i.sif", "true"], "more than two ':'"),
    (APPTAINER, ["apptainer", "exec", "--bind", "/a:/b:rox", "i.sif", "true"], "not a valid bind option"),
    (APPTAINER, ["apptainer", "exec", "--bind", ":/b", "i.sif", "true"], "empty source"),
    (APPTAINER, ["apptainer", "exec", "--bind", "/my:path:/mnt", "i.sif", "true"], "not a valid bind option"),
    (APPTAINER, ["apptainer", "exec", "--bind", "/a^b:/c", "i.sif", "true"], "drops"),
    (APPTAINER, ["apptainer", "exec", "--bind", "/a :/c", "i.sif", "true"], "whitespace"),
    (APPTAINER, ["apptainer", "exec", "--bind", "/a:rel", "i.sif", "true"], "should be absolute"),
    (APPTAINER, ["apptainer", "exec", "--mount", "type=bind,src=/a,dest=/b", "i.sif", "true"], "invalid key"),
    (APPTAINER, ["apptainer", "exec", "--mount", "type=volume,src=/a,dst=/b", "i.sif", "true"], "only type=bind"),
    (APPTAINER, ["apptainer", "exec", "--mount", "src=/a", "i.sif", "true"], "source and a destination"),
    (APPTAINER, ["apptainer", "exec", "--env", "NOEQUALS", "i.sif", "true"], "key=value"),
    (APPTAINER, ["apptainer", "exec", "--env", "A=x,y,B=2", "i.sif", "true"], "key=value"),
    (APPTAINER, ["apptainer", "exec", "--env", 'A=x"y,B=2', "i.sif", "true"], "bare"),
    (APPTAINER, ["apptainer", "exec", "--env", "A=1,B=2", "i.sif", "true"], "one variable per --env"),
    (APPTAINER, ["apptainer", "exec", "--env", 'A="quoted"', "i.sif", "true"], "one variable per --env"),
    (APPTAINER, ["apptainer", "exec", "--env", "A=b=c\nd", "i.sif", "true"], "one variable per --env"),
    (APPTAINER, ["apptainer", "exec", "--env", "A=$HOME", "i.sif", "true"], "--no-eval"),
    (APPTAINER, ["apptainer", "exec", "--env", "1A=x", "i.sif", "true"], "not a valid variable name"),
    (APPTAINER, ["apptainer", "exec", "--env-file", "a,b.env", "i.sif", "true"], "cannot contain ','"),
    (APPTAINER, ["apptainer", "exec", "--pwd", "rel", "i.sif", "true"], "absolute"),
    (APPTAINER, ["apptainer", "exec", "--pwd", "/a", "--pwd", "/b", "i.sif", "true"], "more than once"),
    (APPTAINER, ["apptainer", "exec", "--home", "/a:/b:/c", "i.sif", "true"], "src[:dest]"),
    (APPTAINER, ["apptainer", "run", "i.sif"], "not described"),
    (APPTAINER, ["apptainer"], "no subcommand"),
    (APPTAINER, ["singularity", "exec", "i.sif", "true"], "is not apptainer"),
    (APPTAINER, ["apptainer", "pull", "a", "b", "c"], "too many arguments"),
    (APPTAINER, ["apptainer", "build", "out.sif"], "too few arguments"),
    (SINGULARITY, ["singularity", "exec", "--bind", '/a"b:/c', "i.sif", "true"], "CSV"),
    (CH_RUN, ["ch-run", "/img", "python3", "-c", "pass"], "needs '--'"),
    (CH_RUN, ["ch-run", "--set-env", "A=b", "/img", "--", "true"], "exactly one IMAGE"),
    (CH_RUN, ["ch-run", "--write-fake", "/img", "--", "true"], "needs ch-run >= v0.36"),
    (CH_RUN, ["ch-run", "-W", "/img", "--", "true"], "needs ch-run >= v0.36"),
    (CH_RUN, ["ch-run", "--bogus", "/img", "--", "true"], "unknown option --bogus"),
    (CH_RUN, ["ch-run", "-b", "/a:rel", "/img", "--", "true"], "must be absolute"),
    (CH_RUN, ["ch-run", "-b", "/a:/", "/img", "--", "true"], "can't be /"),
    (CH_RUN, ["ch-run", "-b", ":/x", "/img", "--", "true"], "no source"),
    (CH_RUN, ["ch-run", "-b", "/my:dir:/x", "/img", "--", "true"], "first ':'"),
    (CH_RUN, ["ch-run", "--set-env==x", "/img", "--", "true"], "name cannot be empty"),
    (CH_RUN, ["ch-run", "--set-env=P=$HOME:x", "/img", "--", "true"], "--env-no-expand"),
    (CH_RUN, ["ch-run", "--set-env=P=$HOME", "--env-no-expand", "/img", "--", "true"], "--env-no-expand"),
    (CH_RUN, ["ch-run", "--set-env=P='$HOME:x'", "/img", "--", "true"], "--env-no-expand"),
    (CH_RUN, ["ch-run", "--wri", "/img", "--", "true"], "abbreviation"),
    (CH_RUN, ["ch-run", "-c", "/x", "/img", "--"], "no command"),
    (CH_RUN, ["ch-run", "-u", "root", "/img", "--", "id"], "integer"),
    (CH_CONVERT, ["ch-convert", "a", "-o", "dir", "/b"], "too many arguments"),
    (CH_CONVERT, ["ch-convert", "-o", "zip", "a", "/b"], "unknown format"),
    (CH_CONVERT, ["ch-convert", "-o", "dir", "a"], "too few arguments"),
    (CH_IMAGE, ["ch-image", "pull", "docker://python:3.11"], "without a transport prefix"),
    (CH_IMAGE, ["ch-image", "push", "a"], "not described"),
    (CH_IMAGE, ["ch-image", "pull", "--bogus", "a"], "unknown option --bogus"),
]


@pytest.mark.parametrize(("spec", "argv", "expected"), REJECTED, ids=[e for *_, e in REJECTED])
def test_wrong_command_lines_are_rejected(spec, argv: list[str], expected: str) -> None:
    """Each malformed or lossy command line yields a problem that names the cause."""
    problems = validate_argv(argv, spec)
    assert any(expected in p for p in problems), problems


def test_target_version_flags_options_newer_than_the_cluster() -> None:
    """--cwd appeared in Apptainer 1.3.0; --pwd works everywhere."""
    line = ["apptainer", "exec", "--cwd", "/x", "i.sif", "true"]
    assert validate_argv(line, APPTAINER, target_version="1.5.0") == []
    assert any("needs apptainer >= v1.3.0" in p for p in validate_argv(line, APPTAINER, target_version="1.2.0"))
    pwd = ["apptainer", "exec", "--pwd", "/x", "i.sif", "true"]
    assert validate_argv(pwd, APPTAINER, target_version="1.0.0") == []
    no_eval = ["apptainer", "exec", "--no-eval", "i.sif", "true"]
    assert any("v1.1.0" in p for p in validate_argv(no_eval, APPTAINER, target_version="1.0.3"))


def test_parse_splits_options_image_and_command() -> None:
    """The parser separates apptainer's options from the command, as cobra does."""
    parsed = parse_argv(
        ["apptainer", "-q", "exec", "-eB", "/a:/b", "--env=X=1", "i.sif", "python", "-c", "pass"], APPTAINER
    )
    assert parsed.subcommand == "exec"
    assert parsed.options == [("quiet", None), ("cleanenv", None), ("bind", "/a:/b"), ("env", "X=1")]
    assert parsed.positionals == ["i.sif"]
    assert parsed.command == ["python", "-c", "pass"]
    ch = parse_argv(["ch-run", "-wb/a:/b", "--set-env", "/img", "--", "python3", "-c", "x"], CH_RUN)
    assert ch.options == [("write", None), ("bind", "/a:/b"), ("set-env", None)]
    assert ch.positionals == ["/img"]
    assert ch.command == ["python3", "-c", "x"]


# ----------------------------------------------------------------------------- pflag emulation


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("A=b,c", {"A": "b,c"}),  # one '=': commas survive
        ('"A=b"', {"A": "b"}),  # one '=': surrounding quotes stripped
        ("A=x\ny", {"A": "x\ny"}),  # one '=': newline survives
        ("A=1,B=2", {"A": "1", "B": "2"}),  # several '=': CSV split
        ('"A=x,y",B=1', {"A": "x,y", "B": "1"}),  # CSV quoting keeps a comma
        ("A=b=c\nD=e", {"A": "b=c"}),  # CSV record ends at the newline
        ("A=b=c", {"A": "b=c"}),
        ("A=", {"A": ""}),
    ],
)
def test_pflag_string_to_string_matches_documented_go_behaviour(value: str, expected: dict[str, str]) -> None:
    """The --env emulation follows pflag v1.0.10's stringToString (one '=' vs CSV)."""
    assert pflag_string_to_string(value) == expected


@pytest.mark.parametrize("value", ["NOEQUALS", "A=b=c,d", 'A=x"y=z', '"A=b=c'])
def test_pflag_string_to_string_errors(value: str) -> None:
    with pytest.raises(ValueError):
        pflag_string_to_string(value)


def test_go_csv_skips_leading_empty_lines_and_normalises_crlf_in_quotes() -> None:
    assert go_csv_record('\n\n"a\r\nb",c') == ["a\nb", "c"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=10), st.sampled_from([APPTAINER, SINGULARITY, CH_RUN]))
def test_validator_never_crashes(argv: list[str], spec) -> None:
    """Any argv gives a list of problem strings, never an exception."""
    problems = validate_argv([spec.name, *argv], spec)
    assert all(isinstance(p, str) for p in problems)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40))
def test_ch_run_quoted_set_env_is_always_accepted(value: str) -> None:
    """hpcest's byte-exact form for ch-run, --env-no-expand --set-env=NAME='VALUE', passes strict
    validation for every value (the real round trip is checked in tests/integration)."""
    argv = ["ch-run", "--env-no-expand", f"--set-env=V='{value}'", "/img", "--", "true"]
    assert validate_argv(argv, CH_RUN) == []


@pytest.mark.parametrize("runtime", ["apptainer", "singularity", "charliecloud"])
@pytest.mark.parametrize("gpu", [False, True])
def test_hpcest_container_prefixes_follow_the_documented_cli(runtime: str, gpu: bool) -> None:
    """The command lines hpcest's container builder emits pass strict validation."""
    binds = (*default_binds("/scratch/runs/r1", runtime), Bind("/data/set", "/hpcest/run/inputs/set", True))
    spec = ContainerSpec(runtime=runtime, image="/cache/img", gpu=gpu and runtime != "charliecloud", binds=binds,
                         workdir="/hpcest/run/src")  # fmt: skip
    argv = [*exec_prefix(spec, "/cache/img"), "python", "train.py", "--lr", "0.1"]
    cli = {"apptainer": APPTAINER, "singularity": SINGULARITY, "charliecloud": CH_RUN}[runtime]
    assert validate_argv(argv, cli) == []


@pytest.mark.parametrize(
    ("runtime", "source"),
    [
        ("apptainer", "docker://python:3.11-slim"),
        ("apptainer", "/runs/env/image.def"),
        ("singularity", "docker://python:3.11-slim"),
        ("singularity", "/runs/env/image.def"),
        ("charliecloud", "docker://python:3.11-slim"),
        ("charliecloud", "/shared/images/pytorch-1.13.tar.gz"),  # an air-gapped site's image tarball
    ],
)
def test_hpcest_image_preparation_commands_follow_the_documented_cli(runtime: str, source: str) -> None:
    """The pull/build/convert command lines hpcest runs once per image pass validation."""
    specs = {"apptainer": APPTAINER, "singularity": SINGULARITY, "ch-image": CH_IMAGE, "ch-convert": CH_CONVERT}
    commands = pull_argv(runtime, source, "/cache/img")
    assert commands
    for argv in commands:
        assert validate_argv(argv, specs[argv[0]]) == [], argv
