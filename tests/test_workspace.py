"""Workspace discovery, cluster profile loading and atomic rewrites of hpcest.toml."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpc_estimator.cluster.profile import LOCAL_PROFILE
from hpc_estimator.errors import ConfigError
from hpc_estimator.runs.workspace import Workspace, dumps_toml

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

FULL = """\
[workspace]
name = "proj"
default_target = "gpu"

[clusters.gpu]
transport = "ssh"
host = "login1"
user = "alice"
port = 2222
workdir = "/scratch/alice/hpcest"
partition = "batch"
gpus_per_node = 4
prologue = ["module load cuda", "echo 'hi'"]
extra_directives = ["--exclusive"]

[clusters.gpu.env]
OMPI_MCA_btl = "^openib"

[clusters.gpu.vm_sizes.Standard_NC24]
partition = "gpu"
gpus = 4
"""


@pytest.fixture(autouse=True)
def _no_env_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HPCEST_WORKSPACE", raising=False)


def test_from_config_walks_up_from_subdirectory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Like v1 config.json lookup: a script deep in the project finds the workspace file."""
    (tmp_path / "hpcest.toml").write_text(FULL)
    deep = tmp_path / "src" / "pkg"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    ws = Workspace.from_config()
    assert ws.path == tmp_path.resolve()
    assert ws.name == "proj"
    assert ws.default_target == "gpu"
    prof = ws.get_profile("gpu")
    assert prof.host == "login1" and prof.port == 2222 and prof.gpus_per_node == 4
    assert prof.prologue == ("module load cuda", "echo 'hi'")
    assert prof.env == {"OMPI_MCA_btl": "^openib"}
    assert prof.vm_sizes["Standard_NC24"].gpus == 4
    assert Workspace.from_config(deep).path == tmp_path.resolve()


def test_hidden_config_location(tmp_path: Path) -> None:
    """.hpcest/hpcest.toml counts too (v1 also looked in .azureml/), and the workspace is its parent."""
    (tmp_path / ".hpcest").mkdir()
    (tmp_path / ".hpcest" / "hpcest.toml").write_text('[workspace]\nname = "hidden"\n')
    ws = Workspace.from_config(tmp_path)
    assert ws.name == "hidden" and ws.path == tmp_path.resolve()
    assert ws.history_dir == tmp_path.resolve() / ".hpcest"


def test_missing_file_error_tells_how_to_fix(tmp_path: Path) -> None:
    """No workspace file: the error names `hpcest init` and shows a minimal example."""
    with pytest.raises(ConfigError) as info:
        Workspace.from_config(tmp_path)
    message = str(info.value)
    assert "hpcest init" in message and "[workspace]" in message and str(tmp_path) in message


def test_env_var_points_at_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HPCEST_WORKSPACE wins over the cwd, and a wrong value is reported with the variable name."""
    Workspace.create(tmp_path / "ws", name="envws")
    monkeypatch.setenv("HPCEST_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.chdir(tmp_path)
    assert Workspace.from_config().name == "envws"
    monkeypatch.setenv("HPCEST_WORKSPACE", str(tmp_path / "nothing-here"))
    with pytest.raises(ConfigError, match="HPCEST_WORKSPACE"):
        Workspace.from_config()


def test_file_name_override(tmp_path: Path) -> None:
    """_file_name selects another file name (v1 from_config keyword)."""
    (tmp_path / "other.toml").write_text('[workspace]\nname = "o"\n')
    assert Workspace.from_config(tmp_path, _file_name="other.toml").name == "o"


def test_local_target_always_exists(tmp_path: Path) -> None:
    """'local' resolves to LOCAL_PROFILE without configuration and runs with the local backend."""
    ws = Workspace.create(tmp_path)
    assert ws.get_profile("local") is LOCAL_PROFILE
    assert ws.default_target == "local"
    targets = ws.compute_targets
    assert targets["local"].backend == "local" and targets["local"].profile is LOCAL_PROFILE


def test_local_can_be_overridden(tmp_path: Path) -> None:
    """A [clusters.local] table replaces the built-in local settings."""
    (tmp_path / "hpcest.toml").write_text('[clusters.local]\ncontainer_runtime = "charliecloud"\n')
    prof = Workspace.from_config(tmp_path).get_profile("local")
    assert prof.container_runtime == "charliecloud"


def test_create_refuses_existing_when_asked(tmp_path: Path) -> None:
    """exist_ok=False protects an existing workspace file."""
    Workspace.create(tmp_path, name="a")
    assert Workspace.create(tmp_path).name == "a"
    with pytest.raises(ConfigError, match="already exists"):
        Workspace.create(tmp_path, exist_ok=False)


def test_bad_key_error_names_file_line_and_key(tmp_path: Path) -> None:
    """An unknown profile key is reported with file:line, the key, and the line text."""
    (tmp_path / "hpcest.toml").write_text(FULL.replace('partition = "batch"', 'partitoin = "batch"'))
    with pytest.raises(ConfigError) as info:
        Workspace.from_config(tmp_path)
    message = str(info.value)
    assert "partitoin" in message and "hpcest.toml:11" in message and "known keys" in message


def test_bad_value_type_error_has_line(tmp_path: Path) -> None:
    """A wrongly typed value names the key and its line."""
    (tmp_path / "hpcest.toml").write_text(FULL.replace("port = 2222", 'port = "2222"'))
    with pytest.raises(ConfigError, match=r"hpcest.toml:9: .*'port' must be an integer"):
        Workspace.from_config(tmp_path)


def test_missing_required_key_points_at_table(tmp_path: Path) -> None:
    """ssh without host: the error points at the [clusters.x] header."""
    (tmp_path / "hpcest.toml").write_text('[clusters.x]\ntransport = "ssh"\n')
    with pytest.raises(ConfigError, match=r"hpcest.toml:1: .*'host' is required"):
        Workspace.from_config(tmp_path)


def test_toml_syntax_error_has_file_and_line(tmp_path: Path) -> None:
    """Broken TOML is reported with file:line and the offending text."""
    (tmp_path / "hpcest.toml").write_text('[workspace]\nname = "x"\nbroken = \n')
    with pytest.raises(ConfigError, match=r"hpcest.toml:3: invalid TOML"):
        Workspace.from_config(tmp_path)


def test_unknown_default_target(tmp_path: Path) -> None:
    """default_target must name a defined cluster; the error lists the valid ones."""
    (tmp_path / "hpcest.toml").write_text('[workspace]\ndefault_target = "nope"\n')
    with pytest.raises(ConfigError, match=r"hpcest.toml:2: .*'nope'.*local"):
        Workspace.from_config(tmp_path)


def test_add_and_remove_profile_round_trip(tmp_path: Path) -> None:
    """add_profile rewrites the file so a fresh load sees the new cluster; remove undoes it."""
    ws = Workspace.create(tmp_path, name="rt")
    ws.add_profile(
        "c1",
        {
            "transport": "ssh",
            "host": "h",
            "prologue": ['echo "quoted" \\ back'],
            "env": {"A": "1"},
            "vm_sizes": {"Standard_NC6": {"partition": "gpu", "gpus": 1}},
        },
    )
    again = Workspace.from_config(tmp_path)
    prof = again.get_profile("c1")
    assert prof.prologue == ('echo "quoted" \\ back',)
    assert prof.vm_sizes["Standard_NC6"].gpus == 1
    assert set(again.compute_targets) == {"local", "c1"}
    with pytest.raises(ConfigError, match="already exists"):
        again.add_profile("c1", {"transport": "local"})
    again.remove_profile("c1")
    assert set(Workspace.from_config(tmp_path).compute_targets) == {"local"}
    assert not list(tmp_path.glob(".hpcest.toml.*"))  # no temp files left behind


def test_add_invalid_profile_leaves_file_untouched(tmp_path: Path) -> None:
    """Validation happens before the rewrite: a bad profile never reaches the file."""
    ws = Workspace.create(tmp_path)
    before = (tmp_path / "hpcest.toml").read_text()
    with pytest.raises(ConfigError, match="'host' is required"):
        ws.add_profile("bad", {"transport": "ssh"})
    assert (tmp_path / "hpcest.toml").read_text() == before


def test_cannot_remove_default_target(tmp_path: Path) -> None:
    """Removing the default target would leave an unloadable file; it is refused."""
    (tmp_path / "hpcest.toml").write_text(FULL)
    with pytest.raises(ConfigError, match="default_target"):
        Workspace.from_config(tmp_path).remove_profile("gpu")


def test_full_file_survives_rewrite(tmp_path: Path) -> None:
    """Rewriting (via set_default_target) keeps every profile value."""
    (tmp_path / "hpcest.toml").write_text(FULL)
    ws = Workspace.from_config(tmp_path)
    before = ws.get_profile("gpu")
    ws.set_default_target("local")
    after = Workspace.from_config(tmp_path)
    assert after.default_target == "local" and after.get_profile("gpu") == before


def test_run_store_lives_in_history_dir(tmp_path: Path) -> None:
    """The workspace's run history is <ws>/.hpcest/runs.db."""
    ws = Workspace.create(tmp_path)
    rec = ws.run_store.create_run("e", "local", "local")
    assert (tmp_path / ".hpcest" / "runs.db").exists()
    assert ws.run_store.get(rec.run_id).experiment == "e"
    ws.close()


_keys = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
_scalars = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=False),
    st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8), max_size=4),
)
_tables = st.recursive(
    st.dictionaries(_keys, _scalars, max_size=4),
    lambda children: st.dictionaries(_keys, st.one_of(_scalars, children), max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_keys, _tables, min_size=1, max_size=3))
def test_toml_writer_round_trips(data: dict) -> None:
    """Any nested table of strings (quotes, newlines, unicode), numbers and lists reads back equal."""
    assert tomllib.loads(dumps_toml(data)) == data
