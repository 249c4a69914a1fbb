"""Hostile strings reach the training process byte for byte, and never the #SBATCH header.

Property test: script parameters, environment values, an input path and the run directory are
drawn from text full of quotes, ``$()``, backticks, newlines, glob characters, unicode and
leading dashes. The rendered script's body is executed by bash with ``srun`` and ``apptainer``
replaced by argv-recording shims (tests/shims), and the training script (a recorder) must see
exactly the argv and environment the estimator asked for.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hpc_estimator import DataReference, Datastore, Estimator
from hpc_estimator.cluster.profile import ClusterProfile
from hpc_estimator.compile import compile_job
from hpc_estimator.job.render import render_sbatch
from hpc_estimator.job.sbatch_options import directive_lines

SHIMS = Path(__file__).parent / "shims"
NASTY = [
    "'",
    '"',
    "$(touch /tmp/hpcest-pwned)",
    "`id`",
    "\n",
    "\r",
    "*",
    "?",
    "[a-z]",
    "~",
    "-",
    "--x",
    "\\",
    "${HOME}",
    "$1",
    ";",
    "&&",
    "|",
    ">",
    "<",
    "#",
    "%",
    "é",
    "日本",
    "\t",
    " ",
    "!",
    "{a,b}",
    "#SBATCH --x",
]

text = st.lists(
    st.one_of(
        st.sampled_from(NASTY),
        st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=6),
    ),
    max_size=5,
).map("".join)
nonempty = text.filter(lambda s: s != "")
env_names = st.from_regex(r"\AHPT_[A-Z0-9_]{1,8}\Z")
# Bind specifications cannot carry ':' or ',' (hpcest refuses such paths with an error).
path_part = (
    st.lists(
        st.one_of(
            st.sampled_from([n for n in NASTY if not set(n) & set("\n\r:,")]),
            st.text(
                alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00/:,\n\r"), max_size=5
            ),
        ),
        min_size=1,
        max_size=4,
    )
    .map("".join)
    .filter(lambda s: s not in (".", "..") and s.strip() != "")
)


def _expected_args(params: dict[str, str]) -> list[str]:
    out: list[str] = []
    for key, value in params.items():
        out += [key, value]
    return [a for a in out if a != ""]  # v1 drops "" items: {"--flag": ""} is a bare flag


PWNED = Path("/tmp/hpcest-pwned")  # what "$(touch /tmp/hpcest-pwned)" would create if evaluated


def _run_case(runtime: str, params: dict[str, str], env: dict[str, str], data_dir_name: str, run_dir_name: str) -> None:
    PWNED.unlink(missing_ok=True)
    base = Path(tempfile.mkdtemp(prefix="hpcest-hostile-"))
    try:
        data = base / "data" / data_dir_name
        data.mkdir(parents=True)
        run_dir = base / "runs" / run_dir_name
        (run_dir / "src").mkdir(parents=True)
        shutil.copy(SHIMS / "record_argv_env.py", run_dir / "src" / "train.py")
        store = Datastore("store", str(base / "data"))
        ref = DataReference(store, data_reference_name="hostile", path_on_datastore=data_dir_name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = Estimator(
                str(run_dir / "src"),
                compute_target="hpc",
                entry_script="train.py",
                script_params={**params, "--data": ref},
                environment_variables=env,
                inputs=[ref],
                custom_docker_image="/images/test.sif" if runtime == "apptainer" else None,
                use_docker=runtime != "none",
            )
        profile = ClusterProfile(name="hpc", container_runtime=runtime, python=sys.executable)
        compiled = compile_job(est, profile=profile, run_id="hostile_1_x", run_dir=str(run_dir), experiment="hostile")
        script = render_sbatch(compiled.spec)

        # The header is exactly the typed directives: nothing the user wrote can add a line.
        header = []
        for line in script.splitlines()[1:]:
            if not line.startswith("#SBATCH"):
                break
            header.append(line)
        assert header == directive_lines(compiled.spec)
        assert len(re.findall(r"^#SBATCH", script, flags=re.M)) == len(header)

        record = base / "record.json"
        logs = base / "shimlog"
        logs.mkdir()
        job_env = {
            "PATH": f"{SHIMS}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(base),
            "HPCEST_SHIM_LOG": str(logs),
            "HPCEST_SHIM_PYTHON": sys.executable,
            "HPCEST_RECORD_FILE": str(record),
        }
        (run_dir / "job.sbatch").write_text(script)
        result = subprocess.run(
            ["bash", str(run_dir / "job.sbatch")], cwd=run_dir, env=job_env, capture_output=True, timeout=60
        )
        rank_log = run_dir / "hpcest-logs"
        assert result.returncode == 0, (result.stderr.decode(errors="replace"), script)
        seen = json.loads(record.read_text(encoding="utf-8"))
        data_seen = str(data) if runtime == "none" else "/hpcest/run/inputs/hostile"
        assert seen["argv"] == [*_expected_args(params), "--data", data_seen], (seen["argv"], rank_log)
        for key, value in env.items():
            assert seen["env"].get(key) == value, key
        assert seen["env"]["AZUREML_DATAREFERENCE_hostile"] == data_seen
        assert seen["env"]["PYTHONNOUSERSITE"] == "1"
        assert (run_dir / "exit_code").read_text().strip() == "0"
        if runtime == "none":
            assert seen["cwd"] == str(run_dir / "src")
        assert not PWNED.exists(), "a hostile string was evaluated by a shell"
    finally:
        shutil.rmtree(base, ignore_errors=True)


params_st = st.dictionaries(nonempty.filter(lambda k: k != "--data"), text, max_size=4)
env_st = st.dictionaries(env_names, text.filter(lambda v: "\x00" not in v), max_size=3)


@settings(
    max_examples=int(os.environ.get("HPCEST_HOSTILE_EXAMPLES", 600)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(params=params_st, env=env_st, data_name=path_part, run_name=path_part)
def test_hostile_strings_arrive_exactly_in_apptainer_jobs(params, env, data_name, run_name) -> None:
    _run_case("apptainer", params, env, data_name, run_name)


@settings(
    max_examples=int(os.environ.get("HPCEST_HOSTILE_EXAMPLES", 500)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(params=params_st, env=env_st, data_name=path_part, run_name=path_part)
def test_hostile_strings_arrive_exactly_without_container(params, env, data_name, run_name) -> None:
    _run_case("none", params, env, data_name, run_name)
