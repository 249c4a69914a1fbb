"""Constructor validation with v1's exception classes (behaviour reference §1 and §3).

Protects: invalid combinations fail at construction (not at submission on the cluster), with the
same exception class v1 raised (so existing ``except`` clauses work) and a message naming the
offending parameter and the fix. One test per v1 rule, plus the deprecation notices.
"""

from __future__ import annotations

import warnings

import pytest

from hpc_estimator import (
    Chainer,
    ComputeTargetException,
    Datastore,
    Environment,
    Estimator,
    Gloo,
    Mpi,
    MpiConfiguration,
    Nccl,
    ParameterServer,
    PyTorch,
    PyTorchConfiguration,
    RunConfigurationException,
    ScriptRunConfig,
    SKLearn,
    TensorFlow,
    TensorflowConfiguration,
    TrainingException,
    UserErrorException,
)
from hpc_estimator.v1.data import Data, OutputData

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def conda_file(tmp_path):
    path = tmp_path / "env.yml"
    path.write_text("name: t\ndependencies:\n  - python=3.11\n  - pip:\n    - numpy\n")
    return str(path)


# -- §3 rule 1: conda file together with package lists -------------------------------------------

@pytest.mark.parametrize("extra", [{"pip_packages": ["numpy"]}, {"conda_packages": ["scipy"]},
                                   {"pip_requirements_file": "requirements.txt"}])
def test_conda_file_with_package_lists_is_refused(conda_file, extra) -> None:
    with pytest.raises(TrainingException) as info:
        Estimator("src", compute_target="c", conda_dependencies_file=conda_file, **extra)
    assert "conda_dependencies_file" in str(info.value)
    assert next(iter(extra)) in str(info.value)


def test_deprecated_conda_file_path_counts_as_conda_file(conda_file) -> None:
    with pytest.raises(TrainingException, match="conda_dependencies_file"):
        Estimator("src", compute_target="c", conda_dependencies_file_path=conda_file, pip_packages=["x"])


# -- rule 2: user_managed with packages ---------------------------------------------------------

@pytest.mark.parametrize("extra", [{"pip_packages": ["numpy"]}, {"conda_packages": ["scipy"]}])
def test_user_managed_with_packages_is_a_user_error(extra) -> None:
    with pytest.raises(UserErrorException) as info:
        Estimator("src", compute_target="c", user_managed=True, **extra)
    assert "user_managed" in str(info.value) and next(iter(extra)) in str(info.value)


# -- rule 3: use_docker=False with a custom image --------------------------------------------------

@pytest.mark.parametrize("image_param", ["custom_docker_image", "custom_docker_base_image"])
def test_no_docker_with_custom_image_is_refused(image_param) -> None:
    with pytest.raises(TrainingException) as info:
        Estimator("src", compute_target="c", use_docker=False, **{image_param: "img:1"})
    assert "use_docker" in str(info.value) and "custom_docker_image" in str(info.value)


# -- rule 4: environment_definition with any environment parameter --------------------------------

@pytest.mark.parametrize(("param", "value"), [
    ("pip_packages", ["numpy"]),
    ("pip_requirements_file", "requirements.txt"),
    ("conda_packages", ["scipy"]),
    ("conda_dependencies_file", "env.yml"),
    ("custom_docker_image", "img:1"),
    ("image_registry_details", object()),
    ("use_gpu", True),
    ("user_managed", True),
    ("shm_size", "8g"),
    ("environment_variables", {"A": "1"}),
])
def test_environment_definition_excludes_environment_parameters(param, value) -> None:
    with pytest.raises(TrainingException) as info:
        Estimator("src", compute_target="c", environment_definition=Environment("e"), **{param: value})
    message = str(info.value)
    assert "environment_definition" in message and param in message


def test_environment_definition_must_be_an_environment() -> None:
    with pytest.raises(TrainingException, match="environment_definition"):
        Estimator("src", compute_target="c", environment_definition="AzureML-PyTorch-1.6-GPU")


# -- rule 5: counts -------------------------------------------------------------------------------

@pytest.mark.parametrize("param", ["node_count", "process_count_per_node"])
def test_counts_below_one_are_refused(param) -> None:
    with pytest.raises(TrainingException, match=param):
        Estimator("src", compute_target="c", distributed_backend="mpi", **{param: 0})


# -- rule 6: distributed_backend must be supported by the class -----------------------------------

@pytest.mark.parametrize(("cls", "backend", "extra"), [
    (Estimator, "nccl", {}),
    (PyTorch, "ps", {"framework_version": "1.6"}),
    (TensorFlow, "gloo", {"framework_version": "2.2"}),
    (Chainer, "nccl", {"framework_version": "5.1.0"}),
    (Estimator, 1, {}),
])
def test_unsupported_backend_is_refused(cls, backend, extra) -> None:
    with pytest.raises(TrainingException) as info:
        cls("src", compute_target="c", distributed_backend=backend, **extra)
    assert "distributed_backend" in str(info.value)
    assert "supported" in str(info.value)


def test_mpi_backend_with_non_configuration_object_on_estimator_names_mpi() -> None:
    with pytest.raises(TrainingException) as info:
        Estimator("src", compute_target="c", distributed_backend="mpi", distributed_training=Mpi())
    assert "distributed_backend='mpi'" in str(info.value) and "MpiConfiguration" in str(info.value)


def test_mpi_backend_with_mpi_configuration_is_accepted() -> None:
    rc = Estimator("src", compute_target="c", distributed_backend="mpi",
                   distributed_training=MpiConfiguration(2, 1)).run_config
    assert rc.communicator == "IntelMpi"


# -- rule 7: distributed_training object compatibility ------------------------------------------

@pytest.mark.parametrize(("cls", "make", "extra"), [
    (PyTorch, lambda: ParameterServer(), {"framework_version": "1.6"}),
    (TensorFlow, Gloo, {"framework_version": "2.2"}),
    (TensorFlow, Nccl, {"framework_version": "2.2"}),
    (Chainer, Nccl, {"framework_version": "5.1.0"}),
    (Chainer, lambda: ParameterServer(), {"framework_version": "5.1.0"}),
    (Estimator, lambda: "mpi", {}),
])
def test_incompatible_distribution_object_is_refused(cls, make, extra) -> None:
    with pytest.raises(TrainingException, match="distributed_training"):
        cls("src", compute_target="c", distributed_training=make(), **extra)


@pytest.mark.parametrize(("cls", "make", "extra"), [
    (TensorFlow, lambda: PyTorchConfiguration(), {"framework_version": "2.2"}),
    (Chainer, lambda: PyTorchConfiguration(), {"framework_version": "5.1.0"}),
    (PyTorch, lambda: TensorflowConfiguration(), {"framework_version": "1.6"}),
    (Estimator, lambda: TensorflowConfiguration(), {}),
])
def test_runconfig_objects_an_estimator_does_not_use_are_accepted_and_ignored(cls, make, extra) -> None:
    """v1 accepted any of its run-configuration objects as distributed_training and used only the
    ones the class knows (MpiConfiguration; TensorflowConfiguration on TensorFlow)."""
    rc = cls("src", compute_target="c", entry_script="t.py", distributed_training=make(), **extra).run_config
    assert (rc.communicator, rc.node_count) == ("None", 1)


@pytest.mark.parametrize("make", [lambda: Mpi(2), Gloo, Nccl, lambda: ParameterServer(2, 1)])
def test_estimator_accepts_every_distribution_object(make) -> None:
    Estimator("src", compute_target="c", distributed_training=make(), node_count=2)


# -- rule 8: several nodes or processes need a distribution method --------------------------------

@pytest.mark.parametrize("counts", [{"node_count": 2}, {"process_count_per_node": 2}])
def test_multiple_processes_without_distribution_are_refused(counts) -> None:
    with pytest.raises(TrainingException) as info:
        Estimator("src", compute_target="c", **counts)
    assert next(iter(counts)) in str(info.value) and "distributed_training" in str(info.value)


# -- rule 9: a target is required; only names or ComputeTarget objects ----------------------------

def test_neither_compute_target_nor_vm_size_is_refused() -> None:
    with pytest.raises(TrainingException) as info:
        Estimator("src", entry_script="train.py")
    assert "compute_target" in str(info.value) and "vm_size" in str(info.value)


@pytest.mark.parametrize("target", [42, "", object()])
def test_compute_target_of_wrong_type_is_a_compute_target_error(target) -> None:
    with pytest.raises(ComputeTargetException, match="compute_target"):
        Estimator("src", compute_target=target)


def test_script_run_config_compute_target_of_wrong_type() -> None:
    with pytest.raises(ComputeTargetException, match="compute_target"):
        ScriptRunConfig("src", script="t.py", compute_target=3.5)


def test_vm_priority_must_be_dedicated_or_lowpriority() -> None:
    """v1 accepted any text at construction (its service refused it); hpcest refuses it before submission."""
    est = Estimator("src", entry_script="t.py", vm_size="STANDARD_D2", vm_priority="spot")
    with pytest.raises(UserErrorException, match="vm_priority"):
        est._resolved_run()


# -- rule 10: both docker image parameters ----------------------------------------------------------

def test_both_custom_docker_image_parameters_are_refused() -> None:
    with pytest.raises(TrainingException) as info:
        Estimator("src", compute_target="c", custom_docker_base_image="a", custom_docker_image="b")
    assert "custom_docker_base_image" in str(info.value) and "custom_docker_image" in str(info.value)


# -- rule 11: framework_version ---------------------------------------------------------------------

@pytest.mark.parametrize(("cls", "version"), [(PyTorch, "1.13"), (TensorFlow, "2.9"), (Chainer, "6.0.0"),
                                              (SKLearn, "1.0")])
def test_unsupported_framework_version_lists_versions_and_suggests_estimator(cls, version) -> None:
    with pytest.raises(TrainingException) as info:
        cls("src", compute_target="c", framework_version=version)
    message = str(info.value)
    assert "framework_version" in message and "Estimator" in message
    for supported in cls.get_supported_versions():
        assert supported in message


def test_float_framework_version_is_refused() -> None:
    with pytest.raises(TrainingException, match="framework_version must be a string"):
        TensorFlow("src", compute_target="c", framework_version=1.10)


# -- rule 12: SKLearn's reduced form ------------------------------------------------------------------

@pytest.mark.parametrize("param", ["node_count", "process_count_per_node", "distributed_backend",
                                   "distributed_training", "use_gpu", "custom_docker_base_image",
                                   "source_directory_data_store"])
def test_sklearn_has_no_distribution_or_gpu_parameters(param) -> None:
    with pytest.raises(TypeError, match=param):
        SKLearn("src", compute_target="c", framework_version="0.20.3", **{param: 2})


# -- §1: only source_directory is positional ----------------------------------------------------------

@pytest.mark.parametrize("cls", [Estimator, PyTorch, TensorFlow, Chainer, SKLearn])
def test_second_positional_argument_is_a_type_error(cls) -> None:
    with pytest.raises(TypeError):
        cls("src", "local")


# -- inputs ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [Data(), OutputData()])
def test_raw_data_objects_in_inputs_are_user_errors(raw) -> None:
    with pytest.raises(UserErrorException, match=type(raw).__name__):
        Estimator("src", compute_target="c", inputs=[raw])


@pytest.mark.parametrize("item", ["/shared/data", 3, Datastore("store", "/shared/store").path("x")])
def test_inputs_accept_only_data_references_datastores_and_dataset_configs(item) -> None:
    with pytest.raises(UserErrorException) as info:
        Estimator("src", compute_target="c", inputs=[item])
    message = str(info.value)
    assert "inputs" in message and "DataReference" in message and "DatasetConsumptionConfig" in message


# -- ScriptRunConfig ----------------------------------------------------------------------------------

def test_script_run_config_command_with_script_is_refused_before_submission() -> None:
    src = ScriptRunConfig("src", script="t.py", command=["python", "t.py"])  # v1 accepts it here too
    with pytest.raises(UserErrorException, match="command cannot be combined with script"):
        src._resolved_run()


def test_script_run_config_rejects_estimator_distribution_objects() -> None:
    with pytest.raises(RunConfigurationException, match="distributed_job_config"):
        ScriptRunConfig("src", script="t.py", distributed_job_config=Mpi(2))


def test_pytorch_configuration_backend_is_checked_and_stored_lower_case() -> None:
    with pytest.raises(RunConfigurationException, match="Nccl' or 'Gloo"):
        PyTorchConfiguration(communication_backend="mpi")
    assert PyTorchConfiguration("Gloo").communication_backend == "gloo"


def test_script_run_config_arguments_must_be_a_list() -> None:
    with pytest.raises(UserErrorException, match="arguments"):
        ScriptRunConfig("src", script="t.py", arguments="--epochs 3")


def test_pytorch_configuration_process_count_must_divide_over_nodes() -> None:
    src = ScriptRunConfig("src", script="t.py", compute_target="c",
                          distributed_job_config=PyTorchConfiguration(process_count=3, node_count=2))
    with pytest.raises(UserErrorException, match="process_count=3 does not divide evenly over node_count=2"):
        src._resolved_run()


# -- deprecation notices ------------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"distributed_backend": "mpi"}, "distributed_training"),
    ({"process_count_per_node": 2, "distributed_training": "Mpi"}, "Mpi(process_count_per_node"),
    ({"custom_docker_base_image": "img"}, "custom_docker_image"),
    ({"use_docker": False}, "environment_definition"),
    ({"pip_requirements_file_path": "requirements.txt"}, "pip_requirements_file"),
])
def test_deprecated_parameters_warn_with_replacement(kwargs, expected, tmp_path) -> None:
    if "pip_requirements_file_path" in kwargs:
        (tmp_path / "requirements.txt").write_text("numpy\n")
        kwargs = {"pip_requirements_file_path": str(tmp_path / "requirements.txt")}
    if kwargs.get("distributed_training") == "Mpi":
        kwargs = {**kwargs, "distributed_training": Mpi()}
    with pytest.warns(DeprecationWarning, match=expected.replace("(", r"\(")):
        Estimator("src", compute_target="c", **kwargs)


def test_deprecated_conda_file_path_warns(conda_file) -> None:
    with pytest.warns(DeprecationWarning, match="use conda_dependencies_file"):
        Estimator("src", compute_target="c", conda_dependencies_file_path=conda_file)


@pytest.mark.parametrize("param", ["worker_count", "parameter_server_count"])
def test_tensorflow_counts_warn_when_not_one(param) -> None:
    with pytest.warns(DeprecationWarning, match="ParameterServer"):
        TensorFlow("src", compute_target="c", framework_version="2.2", distributed_backend="ps", **{param: 2})


@pytest.mark.parametrize(("make", "replacement"), [
    (Mpi, "MpiConfiguration"), (Gloo, "PyTorchConfiguration"), (Nccl, "PyTorchConfiguration"),
    (ParameterServer, "TensorflowConfiguration")])
def test_distribution_classes_warn_with_replacement(make, replacement) -> None:
    with pytest.warns(DeprecationWarning, match=replacement):
        make()


def test_estimator_warning_points_at_the_calling_line() -> None:
    """The notice must name the user's line, not a line inside hpc_estimator."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Estimator("src", compute_target="c")
    assert caught and all(w.filename == __file__ for w in caught)


def test_private_flags_are_accepted_and_stored() -> None:
    est = PyTorch("src", compute_target="c", framework_version="1.6", _enable_optimized_mode=True,
                  _disable_validation=False, _show_lint_warnings=True, _show_package_warnings=True)
    assert est._disable_validation is False
    assert est._show_lint_warnings is True and est._show_package_warnings is True


# -- dependency files -----------------------------------------------------------------------------------

def test_missing_conda_file_names_the_parameter_and_path(tmp_path) -> None:
    missing = str(tmp_path / "nope.yml")
    with pytest.raises(UserErrorException) as info:
        Estimator("src", compute_target="c", conda_dependencies_file=missing)
    assert "conda_dependencies_file" in str(info.value) and missing in str(info.value)


def test_unreadable_conda_yaml_names_the_line(tmp_path) -> None:
    bad = tmp_path / "env.yml"
    bad.write_text("name: x\ndependencies:\n  just text\n")
    with pytest.raises(UserErrorException, match="line 3"):
        Estimator("src", compute_target="c", conda_dependencies_file=str(bad))


def test_conda_file_is_read_relative_to_source_directory(tmp_path) -> None:
    (tmp_path / "env.yml").write_text("dependencies:\n  - python=3.12\n  - pip:\n    - rich\n")
    rc = Estimator(str(tmp_path), compute_target="c", conda_dependencies_file="env.yml").run_config
    assert rc.environment.python.conda_dependencies.pip_packages == ["rich"]


def test_missing_requirements_file_names_the_parameter(tmp_path) -> None:
    with pytest.raises(UserErrorException, match="pip_requirements_file"):
        Estimator("src", compute_target="c", pip_requirements_file=str(tmp_path / "req.txt"))
