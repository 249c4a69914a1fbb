"""``hpcest run``: v1 notebooks and scripts, unmodified, with ``azureml.*`` served by hpc_estimator.

Protects: the import hook is never active outside ``hpcest run`` (and puts a real SDK back when it
ends); every name it serves exists in the real v1 module, with v1's signature; notebook cells run
as Jupyter runs them (one namespace, magics, ``!`` lines, the last expression shown); errors and
Azure-only calls name the cell; and the notebooks of tests/data/notebooks (written in 2020 v1
style) run end to end on compute_target="local" through the real CLI in a fresh interpreter.
The same notebooks run on the real Slurm cluster in tests/integration/test_hpcest_run_cluster.py.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from hpc_estimator.compat import importer, notebook, surface
from hpc_estimator.compat.runner import CellError, run_notebook
from tests.signature_rows import our_rows, v1_rows, without_self

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "tests" / "data" / "notebooks"
SCRIPTS = ROOT / "tests" / "data" / "v1_scripts"
V1_SURFACE = json.loads((ROOT / "tests" / "data" / "azureml_v1_run_surface.json").read_text())
V1_SIGNATURES = json.loads((ROOT / "tests" / "data" / "azureml_v1_signatures.json").read_text())

LOCAL_WORKSPACE = """\
[workspace]
name = "notebooks"
default_target = "local"

[clusters.local]
container_runtime = "none"
"""


def write_notebook(path: Path, *cells: str) -> Path:
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                     "source": textwrap.dedent(c).strip("\n").splitlines(True)} for c in cells],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 2}
    path.write_text(json.dumps(nb))
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "hpcest.toml").write_text(LOCAL_WORKSPACE)
    monkeypatch.setenv("HPCEST_WORKSPACE", str(tmp_path))
    monkeypatch.delenv("HPCEST_TARGET", raising=False)
    return tmp_path


def hpcest_run(cwd: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """``hpcest run ARGS`` in a fresh interpreter (the hook must be the only azureml it sees)."""
    env = {k: v for k, v in os.environ.items() if k not in ("HPCEST_WORKSPACE", "HPCEST_TARGET")}
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONWARNINGS"] = "ignore"
    return subprocess.run([sys.executable, "-m", "hpc_estimator", "run", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


# -- the hook is active only inside hpcest run ----------------------------------------------------


def test_importing_hpc_estimator_installs_no_hook() -> None:
    code = ("import sys, hpc_estimator, hpc_estimator.compat, hpc_estimator.cli.run\n"
            "assert not hpc_estimator.compat.active()\n"
            "assert not [f for f in sys.meta_path if 'hpc_estimator' in type(f).__module__]\n"
            "try:\n    import azureml.core\nexcept ImportError:\n    print('no azureml')\n"
            "else:\n    print('real azureml:', azureml.core.__file__)\n")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, check=True).stdout
    assert "hpc_estimator" not in out


def test_deactivate_puts_back_modules_imported_before(monkeypatch: pytest.MonkeyPatch) -> None:
    real = type(sys)("azureml")
    monkeypatch.setitem(sys.modules, "azureml", real)
    importer.activate()
    try:
        import azureml.core

        assert sys.modules["azureml"] is not real and "hpcest" in azureml.core.VERSION
    finally:
        importer.deactivate()
    assert sys.modules["azureml"] is real and "azureml.core" not in sys.modules and not importer.active()


def test_an_unserved_azureml_module_is_refused_naming_what_is_served() -> None:
    importer.activate()
    try:
        served = r"does not serve azureml\.contrib .*azureml\.core, azureml\.data, "
        with pytest.raises(ModuleNotFoundError, match=served):
            importlib.import_module("azureml.contrib.fairness")
        core = importlib.import_module("azureml.core")
        with pytest.raises(AttributeError, match=r"hpcest run serves azureml\.core with: .*Workspace"):
            core.prepare_compute_target  # noqa: B018 - a v1 internal, not served
    finally:
        importer.deactivate()


# -- the served names are v1's ------------------------------------------------------------------


@pytest.mark.parametrize("module", sorted(m for m, names in surface.SERVED.items() if names))
def test_every_served_name_exists_in_the_real_v1_module(module: str) -> None:
    recorded = V1_SURFACE["modules"][module]
    v1_names = set(recorded["names"]) | set(recorded["attributes"])
    invented = sorted(set(surface.SERVED[module]) - v1_names)
    assert not invented, f"{module} serves names the real module does not have: {invented}"


@pytest.mark.parametrize("module", sorted(m for m in surface.SERVED if m.count(".")))
def test_every_served_name_resolves(module: str) -> None:
    importer.activate()
    try:
        served = importlib.import_module(module)
        for name in surface.SERVED[module]:
            assert getattr(served, name) is not None, f"{module}.{name}"
    finally:
        importer.deactivate()


def test_the_names_2020_notebooks_import_are_served() -> None:
    for module, names in {
        "azureml.core": ["Workspace", "Experiment", "Run", "Environment", "ScriptRunConfig", "ComputeTarget",
                         "Datastore", "Dataset", "Model"],
        "azureml.core.compute": ["ComputeTarget", "AmlCompute"],
        "azureml.core.compute_target": ["ComputeTargetException"],
        "azureml.core.runconfig": ["RunConfiguration", "MpiConfiguration", "DockerConfiguration"],
        "azureml.core.conda_dependencies": ["CondaDependencies"],
        "azureml.train.estimator": ["Estimator"], "azureml.train.dnn": ["PyTorch", "TensorFlow", "Mpi"],
        "azureml.train.sklearn": ["SKLearn"], "azureml.pipeline.core": ["Pipeline", "PipelineData"],
        "azureml.pipeline.steps": ["PythonScriptStep", "EstimatorStep"], "azureml.widgets": ["RunDetails"],
        "azureml.data.data_reference": ["DataReference"],
        "azureml.train.hyperdrive": ["HyperDriveConfig", "RandomParameterSampling", "GridParameterSampling",
                                     "BanditPolicy", "PrimaryMetricGoal", "choice", "uniform"],
    }.items():
        assert set(names) <= set(surface.SERVED[module]), module


def _served(path: str) -> Any:
    importer.activate()
    try:
        module, _, name = path.rpartition(".")
        return getattr(importlib.import_module(module), name)
    finally:
        importer.deactivate()


# class -> methods compared with the recorded v1 signatures (the others are refusals or absent)
SIGNATURE_CASES = {
    "azureml.core.Workspace": ["from_config", "get", "get_default_datastore", "set_default_datastore",
                               "write_config", "get_run", "list", "delete", "get_default_keyvault", "get_details"],
    "azureml.core.compute.ComputeTarget": ["create", "list", "attach", "wait_for_completion", "delete", "detach",
                                           "refresh_state"],
    "azureml.core.compute.AmlCompute": ["provisioning_configuration", "wait_for_completion", "get_status",
                                        "supported_vmsizes", "list_nodes", "update", "get", "refresh_state"],
    "azureml.core.compute.amlcompute.AmlComputeProvisioningConfiguration": ["validate_configuration"],
    "azureml.core.Datastore": ["get", "get_default", "set_as_default"],
    "azureml.data.azure_storage_datastore.AzureBlobDatastore": ["upload", "upload_files", "download", "path",
                                                                "as_mount", "as_download", "as_upload"],
    "azureml.core.Dataset": ["get_by_name", "get_by_id", "get_all"],
    "azureml.data.dataset_factory.FileDatasetFactory": ["from_files"],
    "azureml.data.dataset_factory.TabularDatasetFactory": ["from_delimited_files"],
    "azureml.data.FileDataset": ["as_named_input", "as_mount", "as_download", "download", "to_path", "register"],
    "azureml.data.TabularDataset": ["as_named_input", "to_pandas_dataframe", "register", "take"],
    "azureml.core.Model": ["register", "list", "download", "get_model_path", "add_tags", "add_properties",
                           "remove_tags", "serialize", "update", "delete"],
    "azureml.core.authentication.InteractiveLoginAuthentication": [],
    "azureml.core.authentication.ServicePrincipalAuthentication": [],
    "azureml.core.authentication.AzureCliAuthentication": [],
    "azureml.core.authentication.MsiAuthentication": [],
    "azureml.widgets.RunDetails": ["show", "get_widget_data"],
}
# Where the recorded class path is not the import path a notebook uses.
IMPORT_PATH = {
    "azureml.core.compute.amlcompute.AmlComputeProvisioningConfiguration":
        "azureml.core.compute.amlcompute.AmlComputeProvisioningConfiguration",
    "azureml.data.FileDataset": "azureml.data.FileDataset",
}


# v1 built these itself (from factories, the workspace, Dataset.File...): no notebook calls their constructors.
BUILT_BY_V1 = frozenset({
    "azureml.core.Dataset", "azureml.data.FileDataset", "azureml.data.TabularDataset",
    "azureml.data.azure_storage_datastore.AzureBlobDatastore", "azureml.data.dataset_factory.FileDatasetFactory",
    "azureml.data.dataset_factory.TabularDatasetFactory",
})


@pytest.mark.parametrize("qualified", sorted(set(SIGNATURE_CASES) - BUILT_BY_V1))
def test_served_constructor_matches_v1(qualified: str) -> None:
    cls = _served(IMPORT_PATH.get(qualified, qualified))
    expected = v1_rows(V1_SURFACE["classes"][qualified]["params"])
    signature = without_self(inspect.signature(cls.__init__))
    if qualified == "azureml.core.Datastore":
        # v1 Datastore(workspace, name=None); ours also takes hpcest's Datastore(name, root_path) positionally.
        assert list(signature.parameters) == ["workspace", "name"]
        return
    assert our_rows(signature, expected) == expected


@pytest.mark.parametrize(("qualified", "method"), sorted((q, m) for q, ms in SIGNATURE_CASES.items() for m in ms))
def test_served_method_matches_v1(qualified: str, method: str) -> None:
    cls = _served(IMPORT_PATH.get(qualified, qualified))
    info = V1_SURFACE["classes"][qualified]["methods"][method]
    raw = inspect.getattr_static(cls, method)
    static = "staticmethod" in info["decorators"] or "function_attribute" in info["decorators"]
    assert isinstance(raw, staticmethod) == static, f"{method}: staticmethod in v1: {static}"
    signature = inspect.signature(getattr(cls, method)) if static else without_self(inspect.signature(raw))
    expected = v1_rows(info["params"])
    assert our_rows(signature, expected) == expected


def test_run_register_model_matches_v1() -> None:
    from hpc_estimator.runs.run import Run

    info = V1_SIGNATURES["classes"]["azureml.core.Run"]["methods"]["register_model"]
    expected = v1_rows(info["params"])
    assert our_rows(without_self(inspect.signature(Run.register_model)), expected) == expected


# -- cells as Jupyter runs them ------------------------------------------------------------------


def test_magics_shell_lines_and_the_last_expression(project: Path, capfd: pytest.CaptureFixture[str]) -> None:
    nb = write_notebook(
        project / "magic.ipynb",
        """
        %matplotlib inline
        %load_ext autoreload
        name = "world"
        !echo "hello {name} $name"
        files = !ls
        %env GREETING=hi
        'magic.ipynb' in files
        """,
        """
        %%writefile helper.py
        VALUE = 41
        print("helper ran", VALUE)
        """,
        "%run helper.py\nVALUE + 1",
        "import os\nos.environ['GREETING'], os.getcwd() == {here!r}".replace("{here!r}", repr(str(project))),
        "x = 5;",
    )
    outcome = run_notebook(nb, show_headers=False)
    out = capfd.readouterr().out
    assert outcome.cells_run == [1, 2, 3, 4, 5]
    assert "hello world world" in out and "env: GREETING=hi" in out and "True" in out
    assert "Writing helper.py" in out and "helper ran 41" in out and "42" in out
    assert "('hi', True)" in out and "\n5\n" not in out  # a trailing ; hides the value, as in Jupyter
    assert (project / "helper.py").read_text() == 'VALUE = 41\nprint("helper ran", VALUE)\n'


def test_continuation_lines_that_start_with_escape_characters_are_python(
    project: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """IPython takes ``!``/``%`` as escapes only where a logical line starts: inside brackets, a
    triple-quoted string or after a backslash the line is Python (``!= b``, ``% 3``)."""
    cell = (
        "a, b = 1, 2\n"
        "if (a\n"
        "    != b):\n"
        "    print('differ')\n"
        "msg = ('%s!'\n"
        "       % 3)\n"
        "total = 7 \\\n"
        "    % 4\n"
        "doc = \"\"\"\n"
        "!not a command\n"
        "\"\"\"\n"
        "!echo shell {msg}\n"
        "print(msg, total, doc.strip())"
    )
    assert notebook.transform_cell(cell).count(notebook.MAGICS_NAME) == 1  # only the !echo line
    nb = write_notebook(project / "n.ipynb", cell)
    run_notebook(nb, show_headers=False)
    out = capfd.readouterr().out
    assert "differ" in out and "shell 3!" in out and "3! 3 !not a command" in out


def test_a_notebook_of_another_kernel_language_is_refused(project: Path) -> None:
    nb = write_notebook(project / "r.ipynb", "x <- c(1, 2)\n!x")
    data = json.loads(nb.read_text())
    data["metadata"] = {"kernelspec": {"language": "R", "name": "ir"}}
    nb.write_text(json.dumps(data))
    with pytest.raises(notebook.NotebookError, match="is a r notebook; hpcest run runs Python notebooks"):
        notebook.read_notebook(nb)


def test_cells_option_selects_code_cells(project: Path, capfd: pytest.CaptureFixture[str]) -> None:
    nb = write_notebook(project / "n.ipynb", "print('one')", "print('two')", "print('three')", "print('four')")
    run_notebook(nb, cells="2-3", show_headers=True)
    out = capfd.readouterr().out
    assert out.split() == ["[cell", "2]", "two", "[cell", "3]", "three"]
    assert [c.number for c in notebook.select_cells(notebook.read_notebook(nb), "1,3-")] == [1, 3, 4]
    with pytest.raises(notebook.NotebookError, match="code cells 1-4"):
        notebook.select_cells(notebook.read_notebook(nb), "2-9")


def test_an_error_names_its_cell_and_line(project: Path) -> None:
    nb = write_notebook(project / "n.ipynb", "a = 1", "b = 2\nraise ValueError('bad value')")
    with pytest.raises(CellError, match=r"cell 2 \(line 2\): ValueError: bad value") as info:
        run_notebook(nb)
    assert info.value.cell == 2 and not info.value.internal


def test_an_unknown_magic_stops_the_run_naming_it(project: Path) -> None:
    nb = write_notebook(project / "n.ipynb", "%sql SELECT 1")
    with pytest.raises(CellError, match=r"cell 1.*%sql is not something hpcest run can do"):
        run_notebook(nb)


def test_a_caught_azure_only_refusal_is_still_reported(project: Path) -> None:
    nb = write_notebook(
        project / "n.ipynb",
        "from azureml.core import Workspace\nws = Workspace.from_config()",
        "try:\n    kv = ws.get_default_keyvault()\nexcept Exception:\n    kv = None",
    )
    outcome = run_notebook(nb)
    assert len(outcome.caught_refusals) == 1
    assert outcome.caught_refusals[0].startswith("cell 2: ws.get_default_keyvault()")
    assert run_notebook(nb).caught_refusals == outcome.caught_refusals  # each run reports its own


def test_refusals_are_kept_only_while_hpcest_run_serves_a_notebook() -> None:
    """Outside hpcest run a refusal is an ordinary exception: nothing in the process keeps it."""
    from hpc_estimator.v1.exceptions import AzureOnlyError

    for _ in range(3):
        with pytest.raises(AzureOnlyError):
            raise AzureOnlyError("x()", "an Azure thing", "something else")
    assert AzureOnlyError.recorder is None


def test_each_v1_workspace_form_reads_hpcest_toml_once(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hpc_estimator.compat.workspace import Workspace as ServedWorkspace
    from hpc_estimator.runs import workspace as runs_workspace

    reads: list[Path] = []
    real = runs_workspace._read_toml

    def counting(path: Path) -> Any:
        reads.append(path)
        return real(path)

    monkeypatch.setattr(runs_workspace, "_read_toml", counting)
    for make in (ServedWorkspace.from_config, lambda: ServedWorkspace("s", "r", "w"), lambda: ServedWorkspace.get("w")):
        reads.clear()
        ws = make()
        assert reads == [project / "hpcest.toml"] and ws.name == "notebooks" and ws.path == project


def test_workspace_forms_and_config_json(project: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (project / "config.json").write_text(json.dumps({"subscription_id": "s", "resource_group": "r",
                                                     "workspace_name": "azure-ws"}))
    nb = write_notebook(
        project / "n.ipynb",
        """
        from azureml.core import Workspace
        from azureml.core.authentication import InteractiveLoginAuthentication
        a = Workspace.from_config(auth=InteractiveLoginAuthentication(tenant_id="t"))
        b = Workspace("sub", "rg", "azure-ws")
        c = Workspace.get(name="azure-ws", subscription_id="sub", resource_group="rg")
        print(a.name, b.name, c.name, sorted(a.datastores), a.get_default_datastore().name)
        """,
    )
    run_notebook(nb, show_headers=False)
    captured = capfd.readouterr()
    assert "notebooks notebooks notebooks ['workspaceblobstore', 'workspacefilestore'] workspaceblobstore" in \
        captured.out
    assert captured.err.count("accepted and ignored") == 1 and "azure-ws" in captured.err


# -- the notebooks, end to end on compute_target="local" ----------------------------------------------


@pytest.fixture
def notebook_dir(tmp_path: Path) -> Path:
    (tmp_path / "hpcest.toml").write_text(LOCAL_WORKSPACE)
    for path in [*NOTEBOOKS.glob("*.ipynb"), *SCRIPTS.glob("*.py")]:
        shutil.copy(path, tmp_path)
    return tmp_path


def test_dataset_notebook_runs_unmodified_on_local(notebook_dir: Path) -> None:
    result = hpcest_run(notebook_dir, "train-with-dataset.ipynb", "--target", "local")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Found existing compute target." in out
    assert "fitted y = 3.000 x + 2.000 on 50 points" in out and "{'slope': 3.0, 'intercept': 2.0}" in out
    assert "line-fit\tline-fit:1\t1" in out and "['3.0', '2.0']" in out
    assert "Uploaded 1 files to" in result.stderr
    stored = notebook_dir / ".hpcest" / "datastores" / "workspaceblobstore" / "points" / "points.csv"
    assert stored.read_text().startswith("x,y\n0,2\n")


def test_compute_target_create_without_a_profile_fails_in_its_cell(notebook_dir: Path) -> None:
    result = hpcest_run(notebook_dir, "train-with-dataset.ipynb")  # no --target, no profile cpu-cluster
    assert result.returncode == 2
    assert "Creating a new compute target..." in result.stdout
    assert "hpcest: error: cell 3" in result.stderr and "hpcest cluster add cpu-cluster" in result.stderr


def test_pytorch_mpi_notebook_runs_four_ranks_on_local(notebook_dir: Path) -> None:
    result = hpcest_run(notebook_dir, "pytorch-mpi.ipynb", "--target", "local")
    assert result.returncode == 0, result.stderr
    assert "{'world_size': 4}" in result.stdout
    assert "['outputs/rank-0.txt', 'outputs/rank-1.txt', 'outputs/rank-2.txt', 'outputs/rank-3.txt']" in result.stdout


def test_estimator_step_pipeline_notebook_runs_on_local(notebook_dir: Path) -> None:
    result = hpcest_run(notebook_dir, "estimator-step-pipeline.ipynb", "--target", "local")
    assert result.returncode == 0, result.stderr
    assert "'Finished'" in result.stdout and "train Finished {'total': 285}" in result.stdout


def test_deployment_stops_in_its_cell_with_what_to_do_instead(notebook_dir: Path) -> None:
    result = hpcest_run(notebook_dir, "deploy-to-aci.ipynb")
    assert result.returncode == 2
    assert "sklearn-demo 1" in result.stdout  # the registration before it ran
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("hpcest: error: cell 3 (line 1): AciWebservice.deploy_configuration(...)")
    assert "Instead: download the registered model" in error
    assert "scoring_uri" not in result.stdout


def test_script_runs_unmodified_and_through_python_m_compat(notebook_dir: Path) -> None:
    result = hpcest_run(notebook_dir, "submit_script_run.py", "--target", "local", "--", "--experiment", "first")
    assert result.returncode == 0, result.stderr
    assert "registered linear:1 ['config.txt', 'weights.txt']" in result.stdout
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
    env.pop("HPCEST_WORKSPACE", None)
    second = subprocess.run([sys.executable, "-m", "hpc_estimator.compat", "--target", "local",
                             "submit_script_run.py", "--try-deploy"], cwd=notebook_dir, env=env,
                            capture_output=True, text=True, timeout=240)
    assert second.returncode == 2, second.stderr
    assert "registered linear:2" in second.stdout
    assert "submit_script_run.py (line 52): AksWebservice.deploy_configuration(...)" in second.stderr


def test_hyperdrive_notebook_on_local_stops_where_v1_stopped(notebook_dir: Path) -> None:
    """v1 refused HyperDrive on compute_target="local"; so does the notebook here, naming its cell.
    (It sweeps on the real cluster: tests/integration/test_hpcest_run_cluster.py.)"""
    result = hpcest_run(notebook_dir, "hyperdrive-sweep.ipynb", "--target", "local")
    assert result.returncode == 2
    assert "Writing ./sweep/train.py" in result.stdout
    assert "hpcest: error: cell 5 (line 14): HyperDriveScenarioNotSupportedException" in result.stderr


def test_unknown_target_is_refused_before_anything_runs(notebook_dir: Path) -> None:
    result = hpcest_run(notebook_dir, "train-with-dataset.ipynb", "--target", "nowhere")
    assert result.returncode == 2 and "--target nowhere: no such compute target" in result.stderr
    assert "[cell 1]" not in result.stdout


def test_the_workspace_is_what_the_v1_classes_expect_of_one(project: Path) -> None:
    from hpc_estimator.compat.workspace import Workspace as ServedWorkspace
    from hpc_estimator.runs.workspace import Workspace
    from hpc_estimator.v1.workspace_protocol import DataWorkspace, ProfileSource

    ws = Workspace.from_config()
    assert isinstance(ws, ProfileSource) and isinstance(ws, DataWorkspace)
    served = ServedWorkspace.from_config()
    assert isinstance(served, ProfileSource) and isinstance(served, DataWorkspace)
    assert not isinstance("a string", ProfileSource) and not isinstance(object(), DataWorkspace)


def test_registry_calls_and_naming_a_datastore_need_no_cluster(project: Path) -> None:
    """The dataset registry is local (SQLite): with the data target's sshd unreachable, looking up,
    registering and listing datasets and naming the workspace's datastores still work; only the
    datastore's root (a ``~`` workdir resolved on the cluster) needs the connection."""
    from hpc_estimator.errors import TransportError, UserErrorException
    from hpc_estimator.runs.workspace import Workspace
    from hpc_estimator.v1.data import Dataset, Datastore
    from hpc_estimator.v1.workspace_protocol import DataWorkspace

    ws = Workspace.from_config()
    # Port 1 on the loopback refuses at once: any attempt to connect is a TransportError.
    ws.add_profile("gpu", {"transport": "ssh", "host": "127.0.0.1", "port": 1, "workdir": "~/hpcest"})
    ws.set_default_target("gpu")
    assert ws.data_target() == "gpu"
    assert isinstance(ws, DataWorkspace)
    with pytest.raises(UserErrorException, match='Cannot find dataset registered with name "points"'):
        Dataset.get_by_name(ws, "points")
    registered = Dataset.File.from_files("/data/points").register(ws, "points")
    assert registered.version == 1 and Dataset.get_by_name(ws, "points").cluster_path == "/data/points"
    assert sorted(Dataset.get_all(ws)) == ["points"]
    assert Dataset.get_by_id(ws, registered.id).name == "points"
    store = Datastore(ws)
    assert store.name == "workspaceblobstore" and Datastore(ws, "workspacefilestore").workspace is ws
    assert sorted(ws.datastores) == ["workspaceblobstore", "workspacefilestore"]
    with pytest.raises(TransportError):
        _ = store.root_path


def test_datastores_live_on_the_cluster_the_runs_go_to(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hpc_estimator.runs.workspace import Workspace

    ws = Workspace.from_config()
    assert ws.data_target() == "local"
    ws.add_profile("cpu-cluster", {"transport": "local", "workdir": "/scratch/ml"})
    assert ws.data_target() == "cpu-cluster"  # the only cluster, though the default target is this machine
    ws.add_profile("gpu-cluster", {"transport": "local", "workdir": "/scratch/gpu"})
    assert ws.data_target() == "local"  # two clusters: the default target decides ...
    ws.set_default_target("gpu-cluster")
    assert ws.data_target() == "gpu-cluster"
    monkeypatch.setenv("HPCEST_TARGET", "cpu-cluster")
    assert ws.data_target() == "cpu-cluster"  # ... and hpcest run --target above all
    assert ws.get_default_datastore().root_path == "/scratch/ml/datastores/workspaceblobstore"


def test_run_has_help_with_its_options_and_examples() -> None:
    from click.testing import CliRunner

    from hpc_estimator.cli.main import main

    result = CliRunner().invoke(main, ["run", "-h"])
    assert result.exit_code == 0
    for text in ("NOTEBOOK.ipynb | SCRIPT.py", "--target", "--cells", "--no-headers", "%%writefile", "cell"):
        assert text in result.output
    assert "hpcest run" in CliRunner().invoke(main, ["-h"]).output


def test_a_training_script_finds_its_named_inputs_as_v1s_run_input_datasets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hpc_estimator.runtime.context import JobRunContext

    monkeypatch.setenv("AZUREML_DATAREFERENCE_points", "/scratch/ml/datastores/workspaceblobstore/points")
    run = JobRunContext("r1", tmp_path)
    assert run.input_datasets["points"] == "/scratch/ml/datastores/workspaceblobstore/points"


def test_downloads_refuse_or_count_existing_files_as_v1(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """v1's FileDataset.download(overwrite=False) checks every destination first and raises when one
    exists (nothing is copied); Datastore.download skips an existing file and counts only the files
    it downloaded."""
    from hpc_estimator.errors import UserErrorException
    from hpc_estimator.runs.workspace import Workspace
    from hpc_estimator.v1.data import Dataset

    ws = Workspace.from_config()
    source = tmp_path_factory.mktemp("src")
    (source / "sub").mkdir()
    (source / "a.csv").write_text("new a\n")
    (source / "sub" / "b.csv").write_text("new b\n")
    store = ws.get_default_datastore()
    store.upload(str(source), target_path="points", show_progress=False)
    dataset = Dataset.File.from_files((store, "points"))

    out = tmp_path_factory.mktemp("out")
    (out / "sub").mkdir()
    (out / "sub" / "b.csv").write_text("stale b\n")
    with pytest.raises(UserErrorException, match=r'File ".*/sub/b.csv" already exists. Set overwrite=True'):
        dataset.download(str(out))
    assert not (out / "a.csv").exists() and (out / "sub" / "b.csv").read_text() == "stale b\n"
    fresh = tmp_path_factory.mktemp("fresh")
    assert sorted(dataset.download(str(fresh))) == [str(fresh / "a.csv"), str(fresh / "sub" / "b.csv")]
    assert sorted(dataset.download(str(out), overwrite=True)) == [str(out / "a.csv"), str(out / "sub" / "b.csv")]
    assert (out / "sub" / "b.csv").read_text() == "new b\n"

    into = tmp_path_factory.mktemp("into")
    (into / "points").mkdir()
    (into / "points" / "a.csv").write_text("stale a\n")
    assert store.download(str(into), prefix="points", show_progress=False) == 1  # a.csv was there: not counted
    assert (into / "points" / "a.csv").read_text() == "stale a\n"
    assert (into / "points" / "sub" / "b.csv").read_text() == "new b\n"
    assert store.download(str(into), prefix="points", overwrite=True, show_progress=False) == 2


def test_datastore_uploads_keep_files_unless_overwrite_and_datasets_are_versioned(
    project: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    data = project / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.csv").write_text("x;y\n1;2\n")
    (data / "sub" / "b.csv").write_text("x;y\n3;4\n")
    nb = write_notebook(
        project / "n.ipynb",
        """
        from azureml.core import Dataset, Datastore, Workspace
        ws = Workspace.from_config()
        ds = Datastore.get(ws, "workspaceblobstore")
        ds.upload("data", target_path="csv", show_progress=False)
        ds.upload_files(["data/a.csv"], relative_root="data", target_path="one", show_progress=False)
        """,
        """
        open("data/a.csv", "w").write("changed\\n")
        ds.upload("data", target_path="csv", overwrite=False, show_progress=True)
        """,
        """
        tab = Dataset.Tabular.from_delimited_files(path=[(ds, "csv/")], separator=";")
        first = tab.register(ws, "table")
        second = Dataset.File.from_files((ds, "one")).register(ws, "table", create_new_version=True)
        again = Dataset.get_by_name(ws, "table", version=1)
        print(type(again).__name__, again.version, again.separator, Dataset.get_by_name(ws, "table").version)
        print(sorted(Dataset.get_by_name(ws, "table").to_path()), sorted(tab.to_path()))
        print(ds.path("csv").as_mount())
        """,
    )
    run_notebook(nb, show_headers=False)
    captured = capfd.readouterr()
    root = project / ".hpcest" / "datastores" / "workspaceblobstore"
    assert (root / "csv" / "a.csv").read_text() == "x;y\n1;2\n"  # overwrite=False kept it
    assert (root / "csv" / "sub" / "b.csv").is_file() and (root / "one" / "a.csv").is_file()
    assert "1 already there kept (overwrite=False)" not in captured.err  # the changed file is new content ...
    assert "2 already there kept (overwrite=False)" in captured.err  # ... but both paths exist: kept
    assert "TabularDataset 1 ; 2" in captured.out
    assert "['/a.csv'] ['/a.csv', '/sub/b.csv']" in captured.out
    assert "$AZUREML_DATAREFERENCE_workspaceblobstore" in captured.out


def test_a_failed_run_the_notebook_waits_for_exits_1_naming_the_cell(tmp_path: Path) -> None:
    (tmp_path / "hpcest.toml").write_text(LOCAL_WORKSPACE)
    write_notebook(
        tmp_path / "fails.ipynb",
        "import os\nos.makedirs('src', exist_ok=True)",
        "%%writefile src/train.py\nimport sys\nprint('about to fail')\nsys.exit(3)\n",
        """
        from azureml.core import Experiment, ScriptRunConfig, Workspace
        ws = Workspace.from_config()
        run = Experiment(ws, "fails").submit(ScriptRunConfig("src", script="train.py", compute_target="local"))
        run.wait_for_completion(show_output=True)
        """,
    )
    result = hpcest_run(tmp_path, "fails.ipynb")
    assert result.returncode == 1, result.stderr
    assert "about to fail" in result.stdout
    assert "hpcest: error: cell 3 (line 4): ActivityFailedException: run fails_" in result.stderr


def test_runs_the_notebook_did_not_wait_for_are_named_at_the_end(tmp_path: Path) -> None:
    (tmp_path / "hpcest.toml").write_text(LOCAL_WORKSPACE)
    write_notebook(
        tmp_path / "nowait.ipynb",
        "import os\nos.makedirs('src', exist_ok=True)",
        "%%writefile src/train.py\nimport time\ntime.sleep(5)\n",
        """
        from azureml.core import Experiment, ScriptRunConfig, Workspace
        run = Experiment(Workspace.from_config(), "nowait").submit(
            ScriptRunConfig("src", script="train.py", compute_target="local"))
        """,
    )
    result = hpcest_run(tmp_path, "nowait.ipynb")
    assert result.returncode == 0, result.stderr
    assert "goes on after the notebook: hpcest status nowait_" in result.stderr


def test_run_details_carry_v1s_script_and_arguments(project: Path) -> None:
    from hpc_estimator import Experiment, ScriptRunConfig, Workspace

    (project / "src").mkdir()
    (project / "src" / "train.py").write_text("print('hi')\n")
    ws = Workspace.from_config()
    run = Experiment(ws, "details").submit(ScriptRunConfig(str(project / "src"), script="train.py",
                                                           arguments=["--alpha", 0.5], compute_target="local"))
    run.wait_for_completion()
    definition = run.get_details()["runDefinition"]
    assert definition["script"] == "train.py" and definition["arguments"] == ["--alpha", "0.5"]
    ws.close()
