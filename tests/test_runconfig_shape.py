"""The RunConfiguration contract the compiler reads (behaviour reference §3 "Resulting run
configuration", §4 images, §9 ScriptRunConfig mapping).

Protects: every estimator / ScriptRunConfig form fills exactly the attributes and values the
compiler relies on (framework, communicator, node and process counts, environment, docker,
environment variables, data). One test per table row, so a regression names the row it broke.
"""

from __future__ import annotations

import pytest

from hpc_estimator import (
    Chainer,
    ComputeTarget,
    CondaDependencies,
    DockerConfiguration,
    Environment,
    Estimator,
    Gloo,
    Mpi,
    MpiConfiguration,
    Nccl,
    ParameterServer,
    PyTorch,
    PyTorchConfiguration,
    RunConfiguration,
    ScriptRunConfig,
    SKLearn,
    TensorFlow,
    TensorflowConfiguration,
)
from hpc_estimator.errors import UserErrorException
from hpc_estimator.v1.environment import DEFAULT_CPU_IMAGE, DEFAULT_GPU_IMAGE
from hpc_estimator.v1.frameworks import framework_scenario

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


# -- §3 table rows ---------------------------------------------------------------------------

def test_nothing_distributed_is_python_none_with_node_count_copied() -> None:
    rc = Estimator("src", compute_target="gpu-cluster", entry_script="train.py").run_config
    assert (rc.framework, rc.communicator, rc.node_count) == ("Python", "None", 1)
    assert rc.mpi.process_count_per_node == 1


def test_backend_mpi_gives_intelmpi_with_process_count_per_node() -> None:
    rc = Estimator("src", compute_target="c", distributed_backend="mpi", process_count_per_node=4,
                   node_count=2).run_config
    assert (rc.framework, rc.communicator) == ("Python", "IntelMpi")
    assert rc.mpi.process_count_per_node == 4
    assert rc.node_count == 2
    # v1 sets only process_count_per_node on the default MpiConfiguration; the run's node count is rc.node_count.
    assert rc.mpi.node_count == 1


def test_backend_is_case_insensitive() -> None:
    rc = Estimator("src", compute_target="c", distributed_backend="MPI", node_count=2).run_config
    assert rc.communicator == "IntelMpi"


def test_mpi_object_gives_lowercase_python_and_ignores_estimator_process_count() -> None:
    rc = Estimator("src", compute_target="c", distributed_training=Mpi(process_count_per_node=3),
                   process_count_per_node=5, node_count=2).run_config
    assert (rc.framework, rc.communicator) == ("python", "Mpi")
    assert rc.mpi.process_count_per_node == 3
    assert rc.node_count == 2


def test_mpi_configuration_object_is_used_as_is() -> None:
    config = MpiConfiguration(process_count_per_node=2, node_count=3)
    rc = Estimator("src", compute_target="c", distributed_training=config, node_count=3).run_config
    assert (rc.framework, rc.communicator) == ("Python", "IntelMpi")
    assert rc.mpi is config


@pytest.mark.parametrize(("make", "communicator"), [(Gloo, "Gloo"), (Nccl, "Nccl")])
def test_gloo_nccl_objects_run_one_process_per_node_as_v1(make, communicator) -> None:
    """v1 keeps the default pytorch section (process_count None: one process per node) and ignores
    process_count_per_node, which it uses only with distributed_backend='mpi'."""
    est = PyTorch("src", compute_target="c", entry_script="train.py", distributed_training=make(), node_count=2,
                  process_count_per_node=4, framework_version="1.6")
    rc = est.run_config
    assert (rc.framework, rc.communicator) == ("pytorch", communicator)
    assert rc.node_count == 2
    assert rc.pytorch.process_count is None
    assert rc.mpi.process_count_per_node == 1
    run = est._resolved_run()
    assert run.distribution.process_count == 2
    assert any("process_count_per_node=4 is not used" in note for note in run.notes)


def test_estimator_accepts_nccl_object() -> None:
    rc = Estimator("src", compute_target="c", distributed_training=Nccl(), node_count=2).run_config
    assert (rc.framework, rc.communicator, rc.pytorch.process_count) == ("pytorch", "Nccl", None)


@pytest.mark.parametrize("backend", ["gloo", "nccl", "NCCL"])
def test_pytorch_backend_string_gives_lowercase_communicator(backend: str) -> None:
    rc = PyTorch("src", compute_target="c", distributed_backend=backend, node_count=2,
                 process_count_per_node=2, framework_version="1.4").run_config
    assert (rc.framework, rc.communicator) == ("PyTorch", backend.lower())
    assert rc.pytorch.process_count is None


def test_parameter_server_object_gives_tensorflow_counts_and_keeps_node_count() -> None:
    rc = TensorFlow("src", compute_target="c", framework_version="2.2",
                    distributed_training=ParameterServer(worker_count=2, parameter_server_count=1)).run_config
    assert (rc.framework, rc.communicator) == ("tensorflow", "ParameterServer")
    assert (rc.tensorflow.worker_count, rc.tensorflow.parameter_server_count) == (2, 1)
    assert rc.node_count == 1


def test_tensorflow_backend_ps_uses_worker_and_ps_counts() -> None:
    rc = TensorFlow("src", compute_target="c", framework_version="1.13", distributed_backend="ps",
                    worker_count=3, parameter_server_count=2, node_count=3).run_config
    assert (rc.framework, rc.communicator) == ("TensorFlow", "ParameterServer")
    assert (rc.tensorflow.worker_count, rc.tensorflow.parameter_server_count) == (3, 2)
    assert rc.node_count == 3


def test_tensorflow_configuration_object_is_used_as_is() -> None:
    config = TensorflowConfiguration(worker_count=4, parameter_server_count=2)
    rc = TensorFlow("src", compute_target="c", framework_version="2.1", distributed_training=config).run_config
    assert (rc.framework, rc.communicator) == ("TensorFlow", "ParameterServer")
    assert rc.tensorflow is config


def test_chainer_mpi_backend() -> None:
    rc = Chainer("src", compute_target="c", distributed_backend="mpi", node_count=2,
                 framework_version="7.0.0").run_config
    assert (rc.framework, rc.communicator, rc.node_count) == ("Python", "IntelMpi", 2)


def test_sklearn_is_single_node_cpu_without_distribution() -> None:
    est = SKLearn("src", compute_target="c", entry_script="fit.py", framework_version="0.20.3")
    rc = est.run_config
    assert (rc.framework, rc.communicator, rc.node_count) == ("Python", "None", 1)
    assert rc.environment.docker.gpu_support is False
    assert est.framework_version == "0.20.3"


# -- ScriptRunConfig distributed_job_config -----------------------------------------------------

def test_script_run_config_mpi_configuration_sets_node_count_from_config() -> None:
    rc = ScriptRunConfig("src", script="train.py",
                         distributed_job_config=MpiConfiguration(process_count_per_node=4, node_count=2)).run_config
    assert (rc.framework, rc.communicator, rc.node_count) == ("Python", "IntelMpi", 2)
    assert rc.mpi.process_count_per_node == 4


def test_script_run_config_pytorch_configuration() -> None:
    rc = ScriptRunConfig("src", script="train.py", compute_target="c",
                         distributed_job_config=PyTorchConfiguration("Gloo", process_count=8, node_count=2)
                         ).run_config
    assert (rc.framework, rc.communicator, rc.node_count) == ("PyTorch", "gloo", 2)  # v1 lower-cases it
    assert rc.pytorch.process_count == 8


def test_script_run_config_tensorflow_configuration_node_count_is_worker_count() -> None:
    rc = ScriptRunConfig("src", script="train.py",
                         distributed_job_config=TensorflowConfiguration(worker_count=3, parameter_server_count=1)
                         ).run_config
    assert (rc.framework, rc.communicator, rc.node_count) == ("TensorFlow", "ParameterServer", 3)


def test_script_run_config_defaults() -> None:
    src = ScriptRunConfig("src", script="train.py", arguments=["--lr", 0.1, "--flag"])
    rc = src.run_config
    assert src.source_directory == "src"
    assert rc.script == "train.py"
    assert rc.command is None
    assert rc.arguments == ["--lr", 0.1, "--flag"]
    assert rc.target == "local"
    assert rc.max_run_duration_seconds == 2592000
    assert (rc.framework, rc.communicator, rc.node_count) == ("Python", "None", 1)
    assert isinstance(rc.environment, Environment)
    assert isinstance(rc.docker, DockerConfiguration)


def test_script_run_config_containerises_cluster_targets_by_default() -> None:
    """With no DockerConfiguration, v1's state says use_docker=False; clusters still ran the job in its
    image and "local" in the caller's Python, and that is what the run resolves to."""
    assert ScriptRunConfig("src", script="t.py", compute_target="gpu").run_config.docker.use_docker is False
    assert ScriptRunConfig("src", script="t.py")._resolved_run().use_docker is False
    assert ScriptRunConfig("src", script="t.py", compute_target="gpu")._resolved_run().use_docker is True
    cluster = ComputeTarget(None, "gpu")
    assert ScriptRunConfig("src", script="t.py", compute_target=cluster)._resolved_run().use_docker is True
    off = DockerConfiguration(use_docker=False)
    assert ScriptRunConfig("src", script="t.py", compute_target="gpu",
                           docker_runtime_config=off)._resolved_run().use_docker is False


def test_estimator_keeps_its_constructor_arguments_for_the_compiler() -> None:
    """The compiler reads the user's own package lists and image from ``_constructor_params``."""
    est = PyTorch("src", compute_target="c", framework_version="1.6", pip_packages=["einops"],
                  custom_docker_image="reg/img:1")
    params = est._constructor_params
    assert params["pip_packages"] == ["einops"]
    assert params["custom_docker_image"] == "reg/img:1"
    assert params["framework_version"] == "1.6"
    assert est.framework_version == "1.6"


def test_script_run_config_command_form_and_docker_runtime_config() -> None:
    docker = DockerConfiguration(use_docker=True, shm_size="16g")
    env = Environment("e")
    src = ScriptRunConfig("src", command=["python", "train.py", "--epochs", 3], compute_target="gpu",
                          environment=env, docker_runtime_config=docker, max_run_duration_seconds=600)
    rc = src.run_config
    assert rc.command == ["python", "train.py", "--epochs", 3]
    assert rc.script is None
    assert rc.environment is env
    assert rc.docker is docker and rc.docker.shm_size == "16g"
    assert rc.max_run_duration_seconds == 600
    assert ScriptRunConfig("src", command="python train.py").run_config.command == "python train.py"


def test_script_run_config_with_run_config_ignores_other_settings_with_warning() -> None:
    base = RunConfiguration()
    base.target = "cluster-a"
    with pytest.warns(UserWarning, match="compute_target"):
        src = ScriptRunConfig("src", script="t.py", run_config=base, compute_target="other")
    assert src.run_config is base
    assert base.target == "cluster-a"
    assert base.script == "t.py"


# -- the rest of the attribute contract -------------------------------------------------------

def test_estimator_contract_attributes() -> None:
    target = ComputeTarget(None, "gpu-cluster")
    est = Estimator("./src", compute_target=target, entry_script="train.py",
                    environment_variables={"A": "1", "B": 2}, max_run_duration_seconds=3600,
                    source_directory_data_store="store", shm_size="8g")
    rc = est.run_config
    assert est.source_directory == "./src"
    assert rc.script == "train.py"
    assert rc.target is target and rc.target.name == "gpu-cluster"
    assert rc.environment_variables == {"A": "1", "B": "2"}
    assert "A" not in rc.environment.environment_variables
    assert rc.max_run_duration_seconds == 3600
    assert rc.source_directory_data_store == "store"
    assert rc.docker.use_docker is True and rc.docker.shm_size == "8g"
    assert rc.data_references == {} and rc.data == {}
    assert est.conda_dependencies is rc.environment.python.conda_dependencies


def test_estimator_docker_shm_size_is_none_when_unset() -> None:
    rc = Estimator("src", compute_target="c").run_config
    assert rc.docker.shm_size is None
    assert DockerConfiguration().shm_size == "2g"


def test_use_docker_false_reaches_docker_configuration() -> None:
    rc = Estimator("src", compute_target="local", use_docker=False).run_config
    assert rc.docker.use_docker is False
    assert rc.environment.docker.enabled is False


def test_use_gpu_sets_gpu_support_and_default_gpu_image() -> None:
    rc = Estimator("src", compute_target="c", use_gpu=True).run_config
    assert rc.environment.docker.gpu_support is True
    assert rc.environment.docker.base_image == DEFAULT_GPU_IMAGE
    cpu = Estimator("src", compute_target="c").run_config
    assert cpu.environment.docker.gpu_support is False
    assert cpu.environment.docker.base_image == DEFAULT_CPU_IMAGE


def test_custom_image_and_packages_build_the_environment() -> None:
    rc = Estimator("src", compute_target="c", custom_docker_image="myreg/img:1",
                   pip_packages=["numpy==1.26", "azureml-defaults"], conda_packages=["scipy"]).run_config
    env = rc.environment
    assert env.docker.base_image == "myreg/img:1"
    # v1 puts azureml-defaults in front of the user's list without removing the user's own entry.
    assert env.python.conda_dependencies.pip_packages == ["azureml-defaults", "numpy==1.26", "azureml-defaults"]
    assert "scipy" in env.python.conda_dependencies.conda_packages
    assert env.python.user_managed_dependencies is False


def test_user_managed_sets_python_section() -> None:
    rc = Estimator("src", compute_target="c", user_managed=True, custom_docker_image="img").run_config
    assert rc.environment.python.user_managed_dependencies is True


def test_environment_definition_is_used_as_is() -> None:
    env = Environment.from_docker_image("mine", "reg/img:2")
    rc = Estimator("src", compute_target="c", environment_definition=env).run_config
    assert rc.environment is env


def test_vm_size_without_target_requests_amlcompute() -> None:
    rc = Estimator("src", vm_size="STANDARD_NC6", vm_priority="lowpriority", node_count=2,
                   distributed_training=Mpi()).run_config
    assert rc.target == "amlcompute"
    assert (rc.amlcompute.vm_size, rc.amlcompute.vm_priority) == ("STANDARD_NC6", "lowpriority")
    assert rc.amlcompute._cluster_max_node_count == 2


def test_vm_size_with_cluster_target_keeps_target_and_records_vm_size() -> None:
    rc = Estimator("src", compute_target="slurm", vm_size="STANDARD_NC6").run_config
    assert rc.target == "slurm"
    assert rc.amlcompute.vm_size == "STANDARD_NC6"
    assert rc.amlcompute.vm_priority is None  # v1 stores what was given; the run resolves None as dedicated


def test_node_count_above_one_accepts_local_and_profile_names() -> None:
    for target in ("local", "my-cluster", ComputeTarget(None, "my-cluster")):
        rc = Estimator("src", compute_target=target, node_count=2, distributed_training=Mpi()).run_config
        assert rc.node_count == 2 and rc.target == target


# -- framework estimators: versions, scenario images, NCCL variable -----------------------------

def test_pytorch_sets_nccl_tree_threshold_even_on_user_environment() -> None:
    env = Environment("user-env")
    rc = PyTorch("src", compute_target="c", environment_definition=env, framework_version="1.6").run_config
    assert env.environment_variables["NCCL_TREE_THRESHOLD"] == "0"
    assert rc.environment_variables["NCCL_TREE_THRESHOLD"] == "0"


def test_framework_version_none_defaults_with_warning() -> None:
    with pytest.warns(UserWarning, match="1.4"):
        est = PyTorch("src", compute_target="c")
    assert est.framework_version == "1.4"


def test_framework_estimator_uses_scenario_image_and_pins() -> None:
    rc = TensorFlow("src", compute_target="c", framework_version="2.2", use_gpu=True,
                    pip_packages=["pandas"]).run_config
    scenario = framework_scenario("TensorFlow", "2.2", True)
    env = rc.environment
    assert env.docker.base_image == scenario["base_image"]
    assert env.docker.gpu_support is True
    assert "tensorflow-gpu==2.2.0" in env.python.conda_dependencies.pip_packages
    assert "pandas" in env.python.conda_dependencies.pip_packages
    assert env.framework_scenario["framework"] == "TensorFlow"
    assert env.framework_scenario["processor"] == "gpu"


def test_user_pip_package_overrides_framework_pin_with_warning() -> None:
    with pytest.warns(UserWarning, match="torch"):
        rc = PyTorch("src", compute_target="c", framework_version="1.6", pip_packages=["torch==1.7.1"]).run_config
    pips = rc.environment.python.conda_dependencies.pip_packages
    assert "torch==1.7.1" in pips and "torch==1.6.0" not in pips


def test_framework_scenario_data() -> None:
    scenario = framework_scenario("pytorch", "1.6", use_gpu=True)
    assert scenario["framework"] == "PyTorch"
    assert scenario["framework_image"] == "viennaprivate.azurecr.io/pytorch:1.6-gpu"
    assert scenario["curated_environment"] == "AzureML-PyTorch-1.6-GPU"
    assert scenario["pip_packages"][1] == "torch==1.6.0"
    scenario["pip_packages"].append("mutated")
    assert "mutated" not in framework_scenario("PyTorch", "1.6", True)["pip_packages"]


# -- Environment / CondaDependencies behaviour the compiler and migrated code rely on ------------

def test_environment_defaults() -> None:
    env = Environment("e")
    assert env.python.user_managed_dependencies is False
    assert env.python.interpreter_path == "python"
    assert isinstance(env.python.conda_dependencies, CondaDependencies)
    assert env.docker.base_image == DEFAULT_CPU_IMAGE
    assert env.docker.gpu_support is False
    assert env.environment_variables == {}


def test_environment_variables_setter_warns_and_points_to_run_config() -> None:
    env = Environment("e")
    with pytest.warns(DeprecationWarning, match="RunConfiguration.environment_variables"):
        env.environment_variables = {"X": "1"}
    assert env.environment_variables == {"X": "1"}


def test_from_docker_image_is_user_managed_with_registry() -> None:
    from hpc_estimator import ContainerRegistry

    registry = ContainerRegistry()
    registry.address = "reg.example"
    env = Environment.from_docker_image("e", "reg.example/img:1", container_registry=registry)
    assert env.docker.base_image == "reg.example/img:1"
    assert env.docker.base_image_registry.address == "reg.example"
    assert env.python.user_managed_dependencies is True


def test_from_conda_specification_and_pip_requirements(tmp_path) -> None:
    conda_file = tmp_path / "env.yml"
    conda_file.write_text(
        "name: train\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11  # pinned\n"
        "  - numpy\n  - pip:\n    - torch==2.3.0\n    - 'odd: name'\n"
    )
    env = Environment.from_conda_specification("c", str(conda_file))
    deps = env.python.conda_dependencies
    assert deps.conda_packages == ["python=3.11", "numpy"]
    assert deps.pip_packages == ["torch==2.3.0", "odd: name"]
    assert deps.conda_channels == ["conda-forge"]
    assert deps.get_python_version() == "3.11"
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# comment\nnumpy>=1.26\n\nscipy  # inline\n")
    pip_env = Environment.from_pip_requirements("p", str(requirements), pip_version="24.0")
    assert pip_env.python.conda_dependencies.pip_packages == ["numpy>=1.26", "scipy"]
    assert "pip=24.0" in pip_env.python.conda_dependencies.conda_packages


def test_conda_dependencies_create_and_yaml_round_trip(tmp_path) -> None:
    deps = CondaDependencies.create(pip_packages=["torch==2.3.0", "a[b,c]>=1"], conda_packages=["numpy"],
                                    pip_indexurl="https://pypi.example/simple")
    assert "azureml-defaults" not in deps.pip_packages
    assert deps.get_python_version() == "3.10.18"
    assert deps.pip_options == ["--find-links https://pypi.example/simple"]  # v1's meaning of pip_indexurl
    assert "azureml-defaults" in CondaDependencies.create().pip_packages
    deps.add_pip_package("torch==2.4.0")
    assert deps.pip_packages == ["torch==2.4.0", "a[b,c]>=1"]
    path = deps.save(str(tmp_path / "out.yml"))
    assert CondaDependencies(path) == deps
    assert "- torch==2.4.0" in deps.serialize_to_string()


def test_environment_get_maps_curated_names_to_scenarios() -> None:
    env = Environment.get(None, "AzureML-PyTorch-1.6-GPU")
    assert env.name == "AzureML-PyTorch-1.6-GPU"
    assert env.docker.gpu_support is True
    assert env.framework_scenario == framework_scenario("PyTorch", "1.6", True)
    assert "torch==1.6.0" in env.python.conda_dependencies.pip_packages
    assert Environment.get(None, "AzureML-Scikit-learn-0.20.3").framework_scenario["framework"] == "SKLearn"


def test_environment_get_unknown_name_names_the_fix() -> None:
    with pytest.raises(UserErrorException, match="register"):
        Environment.get(None, "AzureML-TensorFlow-2.3-CPU")


def test_environment_register_and_get_through_workspace_mapping() -> None:
    class Workspace:
        def __init__(self) -> None:
            self.environments: dict[str, Environment] = {}

    ws = Workspace()
    env = Environment.from_docker_image("team-env", "img:1")
    assert env.register(ws).version == "1"
    assert env.register(ws).version == "2"
    fetched = Environment.get(ws, "team-env")
    assert fetched.docker.base_image == "img:1" and fetched is not env
    with pytest.raises(UserErrorException, match="clone"):
        Environment.get(None, "AzureML-PyTorch-1.6-GPU").register(ws)


def test_clone_is_deep() -> None:
    env = Environment.get(None, "AzureML-PyTorch-1.6-CPU")
    copy = env.clone("mine")
    copy.python.conda_dependencies.add_pip_package("extra")
    assert copy.name == "mine"
    assert "extra" not in env.python.conda_dependencies.pip_packages


# -- submit-time overrides (experiment.submit(estimator, script_params=..., inputs=...)) ---------

def test_submit_overrides_merge_script_params_without_touching_the_original() -> None:
    """Override values replace same-named keys in place; a bare flag does not shift the pairs
    (v1 re-paired the list two by two and broke here)."""
    est = Estimator("src", compute_target="c", script_params={"--verbose": "", "--lr": 0.1, "--epochs": 2})
    clone = est._submit_with_overrides(script_params={"--lr": 0.01, "--seed": 7})
    assert clone.run_config.arguments == ["--verbose", "--lr", 0.01, "--epochs", 2, "--seed", 7]
    assert est.run_config.arguments == ["--verbose", "--lr", 0.1, "--epochs", 2]
    assert clone._constructor_params["script_params"]["--lr"] == 0.01
    assert clone.run_config.environment is est.run_config.environment


def test_submit_overrides_inputs_and_snapshot_store() -> None:
    from hpc_estimator import Datastore

    store = Datastore("store", "/shared/store")
    est = Estimator("src", compute_target="c")
    clone = est._submit_with_overrides(inputs=[store.path("x").as_mount()], source_directory_data_store=store)
    assert len(clone.run_config.data_references) == 1
    assert est.run_config.data_references == {}
    assert clone.run_config.source_directory_data_store is store


def test_conda_yaml_subset_parses_comments_quotes_flow_lists_and_variables() -> None:
    from hpc_estimator.v1.conda_yaml import dump_environment, parse_environment

    text = (
        "# leading comment\n"
        "name: 'my env'\n"
        "channels: [conda-forge, defaults]\n"
        "dependencies:\n"
        "- python=3.11   # trailing comment\n"
        "- \"numpy>=1.26\"\n"
        "- pip:\n"
        "  - torch==2.3.0\n"
        "  - git+https://example.org/x.git#egg=x\n"
        "- scipy\n"
        "variables:\n"
        "  OMP_NUM_THREADS: 4\n"
    )
    spec = parse_environment(text)
    assert spec == {
        "name": "my env",
        "channels": ["conda-forge", "defaults"],
        "dependencies": ["python=3.11", "numpy>=1.26",
                         {"pip": ["torch==2.3.0", "git+https://example.org/x.git#egg=x"]}, "scipy"],
        "variables": {"OMP_NUM_THREADS": "4"},
    }
    assert parse_environment(dump_environment(spec)) == spec
