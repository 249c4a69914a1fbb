"""Issue 9, "first contact": the mistakes a new user makes are caught before the queue wait, with an
error that names the fix, and the command line is consistent (exit codes, --json, messages).

CLI tests use click's CliRunner (stdout and stderr apart) or the real ``python -m hpc_estimator``
in a subprocess where the exact bytes on stdout matter; runs go to the real local backend. The
items that need Slurm are in tests/integration/test_first_contact_cluster.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import hpc_estimator
from hpc_estimator import Estimator, ExperimentExecutionException, PyTorch, ScriptRunConfig, dry_run
from hpc_estimator.cli import main
from hpc_estimator.cli.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_RUN_FAILED,
    EXIT_UNREACHABLE,
    EXIT_WAIT_TIMEOUT,
    handle_errors,
)
from hpc_estimator.errors import (
    ConfigError,
    RunConfigurationException,
    SchedulerError,
    TrainingException,
    TransportError,
    UserErrorException,
    WaitTimeoutError,
)
from hpc_estimator.runs.workspace import Workspace
from hpc_estimator.v1.environment import DEFAULT_GPU_IMAGE

ROOT = Path(__file__).resolve().parent.parent

JOB = """
import os
from hpc_estimator import PyTorch, Nccl, ScriptRunConfig
here = os.path.dirname(os.path.abspath(__file__))
estimator = PyTorch(here, compute_target="gpu", entry_script="train.py", node_count=2,
                    distributed_training=Nccl(), use_gpu=True, framework_version="1.6")
src = ScriptRunConfig(here, script="train.py")
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "train.py").write_text("import sys\nprint('args', sys.argv[1:])\n")
    (tmp_path / "utils.py").write_text("X = 1\n")
    (tmp_path / "job.py").write_text(JOB)
    (tmp_path / "hpcest.toml").write_text(textwrap.dedent(
        """
        [workspace]
        name = "fc"
        default_target = "local"

        [clusters.gpu]
        transport = "ssh"
        host = "login.example.org"
        user = "alice"
        workdir = "/scratch/alice/hpcest"
        partition = "gpu"
        gpus_per_node = 4
        """
    ))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HPCEST_WORKSPACE", raising=False)
    monkeypatch.delenv("HPCEST_DEBUG", raising=False)
    return tmp_path


def invoke(*args: str, env: dict[str, str] | None = None) -> click.testing.Result:
    return CliRunner().invoke(main, list(args), env=env)


def job_file(project: Path, name: str, body: str) -> str:
    (project / name).write_text(textwrap.dedent(body))
    return name


def recorded_runs() -> list[dict]:
    return json.loads(invoke("runs", "--json").stdout)


# -- 1. entry_script: missing, outside, absolute ---------------------------------------------------


def test_misspelt_entry_script_is_refused_at_dry_run_with_the_near_miss(project: Path) -> None:
    job_file(project, "typo_job.py", """
        import os
        from hpc_estimator import Estimator
        est = Estimator(os.path.dirname(os.path.abspath(__file__)), compute_target="gpu", entry_script="trian.py")
    """)
    result = invoke("submit", "typo_job.py:est", "--dry-run")
    assert result.exit_code == EXIT_BAD_INPUT
    assert "entry script 'trian.py' does not exist in source_directory" in result.stderr
    assert "did you mean 'train.py'?" in result.stderr
    assert "Python files there: job.py, train.py, typo_job.py, utils.py" in result.stderr
    assert result.stdout == ""  # no script was printed


@pytest.mark.parametrize(
    ("script", "words"),
    [("../x.py", "points outside source_directory"), ("/etc/passwd", "is an absolute path outside source_directory")],
)
def test_entry_script_outside_the_source_directory_is_refused(project: Path, script: str, words: str) -> None:
    (project.parent / "x.py").write_text("print('outside')\n")  # exists, but the job would not see it
    job_file(project, "out_job.py", f"""
        import os
        from hpc_estimator import ScriptRunConfig
        src = ScriptRunConfig(os.path.dirname(os.path.abspath(__file__)), script={script!r})
    """)
    result = invoke("submit", "out_job.py:src", "--dry-run")
    assert result.exit_code == EXIT_BAD_INPUT
    assert words in result.stderr and "snapshot of source_directory" in result.stderr
    assert invoke("submit", "out_job.py:src").exit_code == EXIT_BAD_INPUT
    assert recorded_runs() == []  # nothing was queued, nothing recorded


def test_v1_accepts_these_at_construction_and_refuses_at_submission(project: Path) -> None:
    """As in v1 (checked with the real SDK: construction accepts, _commands._setup_run refuses)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = Estimator(str(project), compute_target="local", entry_script="trian.py")
        srcs = [ScriptRunConfig(str(project), script=s) for s in ("trian.py", "../x.py", "/etc/passwd")]
    ws = Workspace.from_config()
    for config in (est, *srcs):
        with pytest.raises(ExperimentExecutionException):
            dry_run(config, workspace=ws)


def test_absolute_entry_script_inside_the_source_directory_is_made_relative(project: Path) -> None:
    """v1 turned an absolute script inside the project folder into a relative one; so does hpcest."""
    config = ScriptRunConfig(str(project), script=str(project / "train.py"))
    result = dry_run(config, workspace=Workspace.from_config())
    assert any(a == "train.py" for a in result.spec.argv) and str(project / "train.py") not in result.spec.argv


def test_entry_script_in_a_subdirectory_lists_the_files_there(project: Path) -> None:
    (project / "pkg").mkdir()
    (project / "pkg" / "train_main.py").write_text("print(1)\n")
    config = ScriptRunConfig(str(project), script="pkg/train_mian.py")
    with pytest.raises(ExperimentExecutionException, match=r"did you mean 'pkg/train_main.py'\? Python files in pkg/"):
        dry_run(config, workspace=Workspace.from_config())


# -- 2. source_directory that does not exist -----------------------------------------------------


def test_missing_source_directory_is_refused_by_dry_run_and_submit(project: Path) -> None:
    job_file(project, "nosrc.py", """
        from hpc_estimator import ScriptRunConfig
        src = ScriptRunConfig("no/such/dir", script="train.py")
    """)
    for extra in (["--dry-run"], []):
        result = invoke("submit", "nosrc.py:src", *extra)
        assert result.exit_code == EXIT_BAD_INPUT, result.output
        assert "source_directory 'no/such/dir' does not exist" in result.stderr
        assert "pass the folder that holds the training script" in result.stderr
    assert recorded_runs() == []


# -- 3. a misspelt constructor keyword --------------------------------------------------------------


def test_keyword_typo_names_the_closest_parameter_and_the_callers_line(project: Path) -> None:
    job_file(project, "kw.py", """
        import os
        from hpc_estimator import Estimator
        est = Estimator(os.getcwd(), compute_target="local", entry_script="train.py",
                        script_parms={"--lr": 0.1})
    """)
    result = invoke("submit", "kw.py:est", "--dry-run")
    assert result.exit_code == EXIT_BAD_INPUT
    assert "TypeError: Estimator.__init__() got an unexpected keyword argument 'script_parms'" in result.stderr
    assert "did you mean 'script_params'?" in result.stderr
    assert "(called at kw.py:4)" in result.stderr


def test_keyword_typo_in_plain_python_is_still_a_type_error_with_the_fix() -> None:
    line = sys._getframe().f_lineno + 2
    with pytest.raises(TypeError) as info:
        PyTorch("src", compute_target="local", entry_script="train.py", framework_versoin="1.6")
    message = str(info.value)
    assert "unexpected keyword argument 'framework_versoin'; did you mean 'framework_version'?" in message
    assert message.endswith(f"(called at {__file__}:{line})")


def test_positional_arguments_beyond_source_directory_say_to_pass_by_name() -> None:
    with pytest.raises(TypeError, match="takes only source_directory by position: pass the others by name"):
        Estimator("src", "local")  # type: ignore[misc]


def test_keyword_without_a_close_match_lists_the_accepted_ones() -> None:
    with pytest.raises(TypeError, match=r"'zzz'; ScriptRunConfig accepts: source_directory, script, arguments"):
        ScriptRunConfig("src", zzz=1)  # type: ignore[call-arg]


def test_type_errors_raised_inside_a_constructor_are_left_alone() -> None:
    from hpc_estimator import DockerConfiguration

    with pytest.raises(TypeError) as info:
        DockerConfiguration(arguments=5)  # type: ignore[arg-type]
    assert "called at" not in str(info.value) and "not iterable" in str(info.value)


# -- 4. an error inside job.py ---------------------------------------------------------------------


def test_name_error_in_the_job_file_shows_only_the_users_frames(project: Path) -> None:
    job_file(project, "broken.py", """
        from hpc_estimator import Estimator
        def make():
            return Estimator(srcdir, compute_target="local")
        est = make()
    """)
    result = invoke("submit", "broken.py:est", "--dry-run")
    assert result.exit_code == EXIT_BAD_INPUT
    err = result.stderr
    assert 'File "broken.py", line 5, in <module>\n    est = make()' in err
    assert 'File "broken.py", line 4, in make\n    return Estimator(srcdir, compute_target="local")' in err
    assert err.rstrip().endswith("NameError: name 'srcdir' is not defined")
    assert "Traceback" not in err and "runpy" not in err and "click" not in err and "hpc_estimator" not in err


def test_syntax_error_in_the_job_file_shows_the_line_and_the_caret(project: Path) -> None:
    job_file(project, "syn.py", """
        from hpc_estimator import Estimator
        est = Estimator("x", compute_target="local"
    """)
    result = invoke("submit", "syn.py:est", "--dry-run")
    assert result.exit_code == EXIT_BAD_INPUT
    assert 'File "syn.py", line 3\n    est = Estimator("x", compute_target="local"\n' in result.stderr
    assert "^" in result.stderr and "SyntaxError: '(' was never closed" in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_and_the_environment_variable_show_the_full_traceback(project: Path) -> None:
    job_file(project, "broken.py", "est = undefined_name\n")
    for args, env in ((["--debug"], None), ([], {"HPCEST_DEBUG": "1"})):
        result = invoke(*args, "submit", "broken.py:est", "--dry-run", env=env)
        assert result.exit_code == EXIT_BAD_INPUT
        assert "Traceback (most recent call last)" in result.stderr and "runpy" in result.stderr
    assert "--debug" in invoke("--help").stdout and "HPCEST_DEBUG=1" in invoke("--help").stdout


# -- 5. a job file given as the training script -----------------------------------------------------


def test_job_file_without_name_asks_for_file_colon_name_and_runs_nothing(project: Path) -> None:
    result = invoke("submit", "job.py")
    assert result.exit_code == EXIT_BAD_INPUT
    kinds = "estimator, ScriptRunConfig, pipeline or HyperDriveConfig"
    assert f"job.py defines {kinds} objects, so it is a job file" in result.stderr
    assert "hpcest submit job.py:estimator" in result.stderr and "job.py:src" in result.stderr
    assert recorded_runs() == []


def test_job_file_that_only_imports_the_classes_is_recognised_from_its_source(project: Path) -> None:
    job_file(project, "factory.py", """
        from hpc_estimator import ScriptRunConfig
        def build():
            return ScriptRunConfig(".", script="train.py")
    """)
    result = invoke("submit", "factory.py", "--dry-run")
    assert result.exit_code == EXIT_BAD_INPUT
    assert "reads as a job file" in result.stderr and "hpcest submit factory.py:NAME" in result.stderr


def test_a_training_script_using_the_run_context_is_still_the_quick_form(project: Path) -> None:
    job_file(project, "trainer.py", """
        from hpc_estimator import Run
        print(Run.get_context())
    """)
    result = invoke("submit", "trainer.py", "--dry-run")
    assert result.exit_code == 0, result.output
    assert re.search(r"python[\w.]* trainer\.py", result.stdout)


# -- 6. candidates are instances only ----------------------------------------------------------------


def test_missing_name_lists_instances_not_imported_classes(project: Path) -> None:
    result = invoke("submit", "job.py:est", "--dry-run")
    assert result.exit_code == EXIT_BAD_INPUT
    assert "the estimator, ScriptRunConfig, pipeline or HyperDriveConfig objects there: estimator, src" in result.stderr
    for name in ("PyTorch", "Nccl", "ScriptRunConfig,"):
        assert name not in result.stderr.split("objects there:")[1]


def test_naming_an_imported_class_is_refused(project: Path) -> None:
    result = invoke("submit", "job.py:PyTorch", "--dry-run")
    assert result.exit_code == EXIT_BAD_INPUT
    expected = (
        "job.py:PyTorch is the class PyTorch, not an estimator, ScriptRunConfig, pipeline or HyperDriveConfig instance"
    )
    assert expected in result.stderr


def test_candidate_kinds_are_one_extensible_list() -> None:
    from hpc_estimator.cli import loader

    assert [k.label for k in loader.CANDIDATE_KINDS] == ["estimator or ScriptRunConfig", "pipeline", "HyperDriveConfig"]
    assert loader.candidate_labels() == "estimator, ScriptRunConfig, pipeline or HyperDriveConfig"
    assert loader.kind_of(ScriptRunConfig("src", script="t.py")) is not None
    assert loader.kind_of(ScriptRunConfig) is None and loader.kind_of(Estimator) is None


# -- 8. the quick form's options -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--nodes", "0", "Invalid value for '--nodes': 0 is not in the range x>=1"),
        ("--nodes", "-3", "Invalid value for '--nodes': -3 is not in the range x>=1"),
        ("--processes-per-node", "0", "Invalid value for '--processes-per-node': 0 is not in the range x>=1"),
        ("--time", "abc", "Invalid value for '--time': 'abc' is not a duration: use seconds (3600), MM:SS"),
        ("--time", "1:99:00", "minutes and seconds must be below 60"),
        ("--env", "NOEQUALS", "Invalid value for '--env': 'NOEQUALS': use KEY=VALUE"),
    ],
)
def test_quick_form_options_are_validated(project: Path, option: str, value: str, words: str) -> None:
    result = invoke("submit", "train.py", option, value, "--dry-run")
    assert result.exit_code == EXIT_BAD_INPUT
    assert words in result.stderr
    assert "invalid literal" not in result.stderr


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("30:00", 1800), ("1:30:00", 5400), ("2-00:00:00", 172800)])
def test_quick_form_time_forms(project: Path, text: str, seconds: int) -> None:
    from hpc_estimator.job.sbatch_options import format_time_limit

    result = invoke("submit", "train.py", "--target", "gpu", "--time", text, "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"#SBATCH --time={format_time_limit(seconds)}" in result.stdout


def test_quick_form_gpu_uses_v1s_gpu_default_image(project: Path) -> None:
    result = invoke("submit", "train.py", "--target", "gpu", "--gpu", "--nodes", "2", "--distribution", "nccl",
                    "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    script = json.loads(result.stdout)["script"]
    assert DEFAULT_GPU_IMAGE in script and "cuda" in DEFAULT_GPU_IMAGE
    cpu = json.loads(invoke("submit", "train.py", "--target", "gpu", "--dry-run", "--json").stdout)["script"]
    assert DEFAULT_GPU_IMAGE not in cpu


def test_quick_form_options_with_a_job_file_are_refused(project: Path) -> None:
    result = invoke("submit", "job.py:estimator", "--nodes", "4", "--dry-run")
    assert result.exit_code == EXIT_BAD_INPUT
    assert "--nodes: quick-form options are for SCRIPT.py" in result.stderr


# -- 9. messages name commands and options that exist: tests/test_cli_messages.py -------------------


def test_unknown_target_names_the_real_command(project: Path) -> None:
    result = invoke("submit", "train.py", "--target", "gpucluster", "--dry-run")
    assert result.exit_code == EXIT_BAD_INPUT
    assert "hpcest cluster add gpucluster" in result.stderr and "target add" not in result.stderr


def test_existing_cluster_names_the_replace_flag(project: Path) -> None:
    result = invoke("cluster", "add", "gpu", "--host", "other.example.org")
    assert result.exit_code == EXIT_BAD_INPUT
    assert "already exists" in result.stderr and "add --replace to overwrite it" in result.stderr
    assert "replace=True" not in result.stderr


# -- 10. -h everywhere, one exit-code table ----------------------------------------------------------


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append(((*prefix, name), command))
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
    return found


@pytest.mark.parametrize("path", [p for p, _ in _commands(main)], ids=" ".join)
def test_every_command_accepts_dash_h(path: tuple[str, ...]) -> None:
    done = subprocess.run([sys.executable, "-m", "hpc_estimator", *path, "-h"], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Usage: hpcest {' '.join(path)}")


def test_migrate_uses_the_same_exit_code_table(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(
        "from azureml.train.estimator import Estimator\nest = Estimator(source_directory='.', entry_script='t.py')\n"
    )
    (tmp_path / "bad.py").write_text("from azureml.train.estimator import Estimator\nest = Estimator(\n")
    assert invoke("migrate", str(tmp_path / "job.py"), "--check").exit_code == EXIT_RUN_FAILED
    assert invoke("migrate", str(tmp_path / "job.py")).exit_code == 0
    assert invoke("migrate", str(tmp_path / "bad.py")).exit_code == EXIT_BAD_INPUT  # could not be parsed
    assert invoke("migrate", str(tmp_path / "nope.py")).exit_code == EXIT_BAD_INPUT
    help_text = invoke("migrate", "-h").stdout
    assert "3 internal error" in help_text and "2 internal error" not in help_text
    assert "2 bad input" in help_text


def test_help_and_readme_carry_the_same_exit_code_table() -> None:
    help_text = invoke("--help").stdout
    readme = (ROOT / "README.md").read_text()
    rows = {
        0: "success",
        1: "the run failed or was canceled",
        2: "bad input or configuration",
        3: "internal error",
        4: "the cluster could not be reached",
        5: "gave up after its time limit",
    }
    for code, words in rows.items():
        assert f"  {code}  " in help_text and words in help_text, (code, words)
        assert any(line.startswith(f"| {code} |") and words in line for line in readme.splitlines()), (code, words)
    assert (EXIT_RUN_FAILED, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_UNREACHABLE, EXIT_WAIT_TIMEOUT) == (1, 2, 3, 4, 5)


# -- 11. handle_errors: hpcest's own errors by type, anything else is a bug ----------------------------


def _failing_command(exc: BaseException) -> click.Command:
    @click.command()
    @handle_errors
    def fails() -> None:
        raise exc

    return fails


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (ConfigError("bad key"), EXIT_BAD_INPUT),
        (UserErrorException("bad value"), EXIT_BAD_INPUT),
        (TrainingException("bad estimator"), EXIT_BAD_INPUT),
        (RunConfigurationException("bad run config"), EXIT_BAD_INPUT),
        (SchedulerError("sbatch: error: invalid partition"), EXIT_BAD_INPUT),
        (TransportError("ssh: connection refused"), EXIT_UNREACHABLE),
        (WaitTimeoutError("gave up after 60 s"), EXIT_WAIT_TIMEOUT),
    ],
)
def test_hpcests_own_errors_map_to_the_table(exc: Exception, code: int) -> None:
    result = CliRunner().invoke(_failing_command(exc), [])
    assert result.exit_code == code
    assert result.stderr == f"hpcest: error: {exc}\n"


@pytest.mark.parametrize("exc", [ValueError("invalid literal for int()"), TypeError("'NoneType' is not iterable"),
                                 KeyError("x"), AttributeError("no attribute")])
def test_anything_else_is_an_internal_error_with_a_report_line(exc: Exception, monkeypatch) -> None:
    monkeypatch.delenv("HPCEST_DEBUG", raising=False)
    result = CliRunner().invoke(_failing_command(exc), [])
    assert result.exit_code == EXIT_INTERNAL
    assert f"hpcest: internal error ({type(exc).__name__}: " in result.stderr and "please report" in result.stderr
    assert "Traceback" not in result.stderr and "--debug" in result.stderr
    debug = CliRunner().invoke(_failing_command(exc), [], env={"HPCEST_DEBUG": "1"})
    assert debug.exit_code == EXIT_INTERNAL and "Traceback (most recent call last)" in debug.stderr


# -- 14. --json on every command that prints data; download '' means everything ----------------------

DATA_COMMANDS = ["init", "submit", "runs", "status", "logs", "cancel", "download", "cluster add", "cluster list",
                 "cluster check", "gc"]


@pytest.mark.parametrize("path", DATA_COMMANDS)
def test_every_data_command_has_a_documented_json_option(path: str) -> None:
    command: click.Command = main
    for part in path.split():
        assert isinstance(command, click.Group)
        command = command.commands[part]
    option = next((p for p in command.params if "--json" in getattr(p, "opts", ())), None)
    assert option is not None, path
    assert isinstance(option, click.Option) and option.help and "JSON" in option.help


def test_every_command_is_covered_by_the_json_list() -> None:
    # cluster: a group; migrate has --format json; run prints the notebook's own output, not data of hpcest's.
    listed = set(DATA_COMMANDS) | {"cluster", "migrate", "run"}
    assert {" ".join(p) for p, _ in _commands(main)} == listed


def test_cluster_list_json_carries_what_the_table_shows(project: Path) -> None:
    data = json.loads(invoke("cluster", "list", "--json").stdout)
    gpu = data["gpu"]
    assert gpu["container_runtime"] == "apptainer" and gpu["partition"] == "gpu" and gpu["default"] is False
    assert gpu["transport"] == "ssh" and gpu["host"] == "login.example.org" and gpu["gpus_per_node"] == 4
    assert data["local"]["default"] is True


def test_local_run_end_to_end_json_started_duration_download_everything(project: Path) -> None:
    """A real local run: --wait --json, started/duration filled (13), download --prefix '' is everything (14)."""
    (project / "train.py").write_text(
        "import os, time\nfrom azureml.core.run import Run\n"
        "os.makedirs('outputs', exist_ok=True)\nopen('outputs/model.txt', 'w').write('m')\n"
        "Run.get_context().log('loss', 0.5)\ntime.sleep(1.2)\nprint('done')\n"
    )
    result = invoke("submit", "train.py", "--wait", "--json")
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout.strip().splitlines()[-1])
    assert run["status"] == "Completed" and run["started"] is not None and run["duration_s"] >= 1.0
    table = invoke("runs").stdout
    assert "DURATION" in table.splitlines()[0] and run["run_id"] in table
    listed = json.loads(invoke("runs", "--json").stdout)[0]
    assert listed["started"] == run["started"] and listed["duration_s"] == run["duration_s"]
    out = project / "everything"
    done = invoke("download", run["run_id"], "--prefix", "", "-o", str(out), "--json")
    assert done.exit_code == 0, done.output
    files = set(json.loads(done.stdout)["files"])
    assert {"outputs/model.txt", "job.sbatch", "src/train.py", "hpcest-logs/rank-0.log"} <= files
    assert any(f.startswith("metrics/") for f in files)
    assert (out / "job.sbatch").read_text().startswith("#!/bin/bash")
    only = json.loads(invoke("download", run["run_id"], "-o", str(project / "o"), "--json").stdout)["files"]
    assert only == ["outputs/model.txt"]
    logs = json.loads(invoke("logs", run["run_id"], "--json").stdout)
    assert logs["log"] == "rank 0" and "done" in logs["text"]
    status = json.loads(invoke("status", run["run_id"], "--json").stdout)
    assert status["status"] == "Completed" and status["history"]


# -- 12 (local backend) and 15: failing ranks, logs of ranks that do not exist, cancel of a finished run --


def test_failed_rank_tail_and_log_options_on_the_local_backend(project: Path) -> None:
    """A 3-rank local run whose rank 2 raises: --wait shows rank 2's traceback and names --rank 2."""
    (project / "train.py").write_text(textwrap.dedent(
        """
        import os, time
        rank = int(os.environ['RANK'])
        print('rank', rank, 'starting', flush=True)
        os.makedirs('outputs', exist_ok=True)
        open(f'outputs/started-{rank}', 'w').close()
        if rank == 2:
            # Fail only once rank 0 has written its line (the failure stops the other ranks).
            deadline = time.time() + 30
            while not os.path.exists('outputs/started-0') and time.time() < deadline:
                time.sleep(0.05)
            raise RuntimeError('rank two broke')
        time.sleep(30)
        """
    ))
    # The job sets PYTHONPATH itself; --env puts this checkout (and its srun stand-in, which reports failed
    # tasks as Slurm's srun does) after the in-job library, whatever hpcest is installed.
    result = invoke("submit", "train.py", "--nodes", "3", "--distribution", "gloo", "--env", f"PYTHONPATH={ROOT}",
                    "--wait")
    assert result.exit_code == EXIT_RUN_FAILED, result.output
    err = result.stderr
    assert "---- rank 2 (127.0.0.3) exited with code 1: last lines of hpcest-logs/rank-2.log ----" in err
    assert "RuntimeError: rank two broke" in err
    run_id = recorded_runs()[0]["run_id"]
    assert f"hpcest logs {run_id} --rank 2" in err
    logs = invoke("logs", run_id)
    assert logs.exit_code == 0 and "rank 0 starting" in logs.stdout and "RuntimeError: rank two broke" in logs.stderr
    missing = invoke("logs", run_id, "--rank", "3")
    assert missing.exit_code == EXIT_BAD_INPUT and "has 3 rank(s) (0-2); there is no rank 3" in missing.stderr
    cancel = invoke("cancel", run_id)
    assert cancel.exit_code == EXIT_BAD_INPUT and "has already finished (Failed)" in cancel.stderr
    assert invoke("status", run_id).exit_code == EXIT_RUN_FAILED


def test_a_run_whose_ranks_never_started_shows_the_batch_log(project: Path) -> None:
    """The prologue fails before srun: no rank log; the batch log's end is shown and --batch named."""
    (project / "hpcest.toml").write_text((project / "hpcest.toml").read_text() + textwrap.dedent(
        """
        [clusters.local]
        prologue = ["echo 'module: apptainer/9.9 not found' >&2", "exit 7"]
        """
    ))
    result = invoke("submit", "train.py", "--wait")
    assert result.exit_code == EXIT_RUN_FAILED, result.output
    run_id = recorded_runs()[0]["run_id"]
    assert "---- no rank started; the batch script's output: last lines of hpcest-logs/batch.out ----" in result.stderr
    assert "module: apptainer/9.9 not found" in result.stderr and f"hpcest logs {run_id} --batch" in result.stderr
    logs = invoke("logs", run_id)
    assert logs.exit_code == 0 and logs.stdout == ""
    assert "hpcest-logs/rank-0.log does not exist: no rank started" in logs.stderr
    assert f"hpcest logs {run_id} --batch" in logs.stderr
    assert "module: apptainer/9.9 not found" in invoke("logs", run_id, "--batch").stdout


def test_status_exits_4_when_the_cluster_cannot_be_reached(project: Path) -> None:
    """A run on an ssh cluster whose login node refuses connections (a real SSH attempt to a closed port)."""
    (project / "hpcest.toml").write_text((project / "hpcest.toml").read_text() + textwrap.dedent(
        """
        [clusters.down]
        transport = "ssh"
        host = "127.0.0.1"
        port = 1
        workdir = "/scratch/hpcest"
        """
    ))
    store = Workspace.from_config().run_store
    record = store.create_run("exp", "down", "slurm", status="Queued", remote_dir="/scratch/hpcest/runs/r1")
    store.set_job_id(record.run_id, "17")
    result = invoke("status", record.run_id)
    assert result.exit_code == EXIT_UNREACHABLE
    assert "cannot reach down" in result.stderr and "showing the last known status" in result.stderr
    assert "Queued" in result.stdout
    assert invoke("runs").exit_code == 0  # a listing only warns


# -- 16. cluster add prints the defaults; check defaults to the only cluster ------------------------


def test_cluster_add_prints_the_chosen_defaults(project: Path) -> None:
    result = invoke("cluster", "add", "hpc", "--host", "login.hpc.example.org")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "transport:          ssh to login.hpc.example.org" in out
    assert "container runtime:  apptainer (default)" in out and "hpcest cluster check hpc" in out
    assert "workdir:            ~/hpcest (default)" in out
    assert "partition:          the cluster's default partition" in out
    # Images go to the run directories' filesystem, not a home directory with a small quota.
    assert "image cache:        ~/hpcest/images (default) (on the workdir's filesystem" in out
    data = json.loads(invoke("cluster", "add", "hpc2", "--host", "h", "--runtime", "charliecloud", "--json").stdout)
    assert data["container_runtime"] == "charliecloud" and data["workdir"] == "~/hpcest"


def test_cluster_check_without_name_uses_the_only_cluster(project: Path) -> None:
    """Only cluster 'gpu' besides local: check means it (a real SSH attempt, refused: exit 4)."""
    (project / "hpcest.toml").write_text(textwrap.dedent(
        """
        [workspace]
        name = "fc"

        [clusters.only]
        transport = "ssh"
        host = "127.0.0.1"
        port = 1
        """
    ))
    result = invoke("cluster", "check")
    assert result.exit_code == EXIT_UNREACHABLE, result.output
    assert "127.0.0.1" in result.stderr
    with (project / "hpcest.toml").open("a") as fh:
        fh.write('\n[clusters.second]\ntransport = "ssh"\nhost = "h2"\n')
    several = invoke("cluster", "check")
    assert several.exit_code == EXIT_BAD_INPUT and "known: only, second" in several.stderr


# -- 17. hpcest.toml problems name the file, the line and the key ------------------------------------


def test_non_utf8_workspace_file_names_file_line_and_byte(project: Path) -> None:
    (project / "hpcest.toml").write_bytes(b'[workspace]\nname = "fc"\n# caf\xe9\n')
    result = invoke("runs")
    assert result.exit_code == EXIT_BAD_INPUT
    assert f"{project / 'hpcest.toml'}:3: not UTF-8 text (byte 0xe9 at column 6)" in result.stderr
    assert "save hpcest.toml as UTF-8" in result.stderr


def test_empty_workspace_file_is_refused(project: Path) -> None:
    (project / "hpcest.toml").write_text("# nothing yet\n")
    result = invoke("runs")
    assert result.exit_code == EXIT_BAD_INPUT
    assert "hpcest.toml is empty (no [workspace] table)" in result.stderr and "default_target" in result.stderr


@pytest.mark.parametrize(("text", "line", "key"), [
    ('[workspace]\nname = "fc"\n\n[cluster.gpu]\nhost = "x"\n', 4, "cluster"),
    ('default_target = "gpu"\n[workspace]\nname = "fc"\n', 1, "default_target"),
])
def test_unknown_top_level_key_names_the_line_and_key(project: Path, text: str, line: int, key: str) -> None:
    (project / "hpcest.toml").write_text(text)
    result = invoke("cluster", "list")
    assert result.exit_code == EXIT_BAD_INPUT
    assert f"hpcest.toml:{line}: unknown top-level key {key!r}" in result.stderr
    assert "[workspace] and [clusters.<name>]" in result.stderr


# -- 18. --dry-run > job.sbatch is a script bash accepts ------------------------------------------------


QUICK_MPI = ["train.py", "--target", "gpu", "--nodes", "2", "--processes-per-node", "2", "--distribution", "mpi",
             "--gpu"]


@pytest.mark.parametrize("what", [["job.py:estimator"], QUICK_MPI])
def test_dry_run_stdout_is_a_script_bash_accepts(project: Path, what: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "hpc_estimator", "submit", *what, "--dry-run"], capture_output=True,
                          cwd=project, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert b"rank placement" in done.stdout and b"node's" in done.stdout  # the table is there, as comments
    script = project / "job.sbatch"
    script.write_bytes(done.stdout)  # exactly what `> job.sbatch` would hold
    check = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    table = done.stdout.decode().split("#!/bin/bash", 1)[1].split("# ---- rank placement")[1]
    assert all(line.startswith("#") for line in table.splitlines()[1:] if line)


def test_import_hpc_estimator_still_exports_the_new_v1_exception() -> None:
    assert hpc_estimator.ExperimentExecutionException is ExperimentExecutionException
