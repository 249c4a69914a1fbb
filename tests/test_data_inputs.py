"""Path-based data objects and how runs consume them (behaviour reference §2, §9).

Protects: datastores are absolute cluster directories; every reference resolves to the absolute
``cluster_path`` the compiler binds, with the v1 token in argv and a registration in
``run_config.data_references`` / ``run_config.data``; inputs and resume_from register the same way;
bad paths and names fail at construction with a message naming the fix.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from hpc_estimator import (
    DataReference,
    Dataset,
    DatasetConsumptionConfig,
    Datastore,
    Estimator,
    ScriptRunConfig,
    UserErrorException,
)
from hpc_estimator.v1.data import DataPath, FileDataset

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def store() -> Datastore:
    return Datastore("shared", "/shared/datasets")


# -- Datastore / DataPath / DataReference ------------------------------------------------------------

def test_datastore_root_must_be_absolute() -> None:
    with pytest.raises(UserErrorException, match="absolute path"):
        Datastore("s", "relative/dir")


def test_datastore_accepts_path_objects_and_normalises(store) -> None:
    assert Datastore("s", PurePosixPath("/a//b/")).root_path == "/a/b"


def test_datastore_name_must_be_identifier_like() -> None:
    with pytest.raises(UserErrorException, match="letters, digits and underscores"):
        Datastore("my-store", "/x")


def test_datastore_path_gives_data_path(store) -> None:
    path = store.path("mnist/train")
    assert isinstance(path, DataPath)
    assert path.cluster_path == "/shared/datasets/mnist/train"


def test_paths_may_not_escape_the_datastore(store) -> None:
    with pytest.raises(UserErrorException, match="outside the datastore root"):
        store.path("../etc")


def test_datastore_as_mount_is_named_after_the_datastore(store) -> None:
    ref = store.as_mount()
    assert (ref.data_reference_name, ref.mode, ref.cluster_path) == ("shared", "mount", "/shared/datasets")
    assert str(ref) == "$AZUREML_DATAREFERENCE_shared"


def test_datastore_as_download(store) -> None:
    ref = store.as_download(path_on_compute="/tmp/data")
    assert (ref.mode, ref.path_on_compute) == ("download", "/tmp/data")


def test_data_reference_v1_signature_and_attributes(store) -> None:
    ref = DataReference(store, "train_data", "mnist/train", "download", "/scratch/train", True)
    assert ref.cluster_path == "/shared/datasets/mnist/train"
    assert (ref.data_reference_name, ref.mode, ref.path_on_compute, ref.overwrite) == \
        ("train_data", "download", "/scratch/train", True)
    assert str(ref) == "$AZUREML_DATAREFERENCE_train_data"
    mounted = ref.as_mount()
    assert mounted.mode == "mount" and mounted.cluster_path == ref.cluster_path
    assert ref.as_download().mode == "download"


def test_data_reference_default_names_are_stable(store) -> None:
    first = DataReference(store, path_on_datastore="a/b")
    again = DataReference(store, path_on_datastore="a/b")
    other = DataReference(store, path_on_datastore="a/c")
    assert first.data_reference_name == again.data_reference_name != other.data_reference_name
    assert first.data_reference_name.startswith("shared_")


def test_data_reference_mode_is_validated(store) -> None:
    with pytest.raises(UserErrorException, match="mount"):
        DataReference(store, mode="stream")


def test_data_reference_needs_a_datastore() -> None:
    with pytest.raises(UserErrorException, match="Datastore"):
        DataReference("/shared/datasets")


def test_to_config_gives_a_reference_for_run_config_data_references(store) -> None:
    """The migration article's `{ref.data_reference_name: ref.to_config()}` pattern works."""
    ref = store.path("x").as_mount()
    src = ScriptRunConfig("src", script="t.py", arguments=["--data", str(ref)])
    src.run_config.data_references = {ref.data_reference_name: ref.to_config()}
    config = src.run_config.data_references[ref.data_reference_name]
    assert isinstance(config, DataReference) and config.cluster_path == "/shared/datasets/x"


# -- Dataset -------------------------------------------------------------------------------------------

def test_file_dataset_from_cluster_path_and_named_mount() -> None:
    dataset = Dataset.File.from_files("/shared/images")
    assert isinstance(dataset, FileDataset)
    config = dataset.as_named_input("images").as_mount(path_on_compute="/mnt/images")
    assert isinstance(config, DatasetConsumptionConfig)
    assert (config.name, config.mode, config.cluster_path, config.path_on_compute) == \
        ("images", "mount", "/shared/images", "/mnt/images")
    assert str(config) == "DatasetConsumptionConfig:images"
    assert dataset.as_named_input("images").as_download().mode == "download"


def test_file_dataset_from_datastore_tuple(store) -> None:
    assert Dataset.File.from_files((store, "cifar")).cluster_path == "/shared/datasets/cifar"
    assert Dataset.File.from_files([store.path("cifar")]).cluster_path == "/shared/datasets/cifar"


def test_file_dataset_relative_path_is_refused() -> None:
    with pytest.raises(UserErrorException, match="absolute path"):
        Dataset.File.from_files("data/images")


def test_plain_as_mount_uses_a_generated_stable_name() -> None:
    first = Dataset.File.from_files("/shared/a").as_mount()
    assert first.name.startswith("input_")
    assert first.name == Dataset.File.from_files("/shared/a").as_mount().name


def test_dataset_input_name_is_validated() -> None:
    with pytest.raises(UserErrorException, match="letters, digits and underscores"):
        Dataset.File.from_files("/shared/a").as_named_input("bad name")


# -- consumption by runs -------------------------------------------------------------------------------

def test_estimator_script_params_register_references_and_datasets(store) -> None:
    images = Dataset.File.from_files("/shared/images").as_named_input("images").as_mount()
    est = Estimator("src", compute_target="c", script_params={
        "--data": store.path("mnist").as_mount(), "--images": images, "--root": store})
    rc = est.run_config
    mnist_name = store.path("mnist").as_mount().data_reference_name
    assert rc.arguments == ["--data", f"$AZUREML_DATAREFERENCE_{mnist_name}", "--images",
                            "DatasetConsumptionConfig:images", "--root", "$AZUREML_DATAREFERENCE_shared"]
    assert rc.data_references[mnist_name].cluster_path == "/shared/datasets/mnist"
    assert rc.data_references["shared"].cluster_path == "/shared/datasets"
    assert rc.data["images"].cluster_path == "/shared/images"


def test_estimator_inputs_register_without_arguments(store) -> None:
    ref = DataReference(store, "ckpt", "checkpoints")
    images = Dataset.File.from_files("/shared/images").as_named_input("imgs").as_download()
    est = Estimator("src", compute_target="c", inputs=[ref, store, images])
    rc = est.run_config
    assert rc.arguments == []
    assert set(rc.data_references) == {"ckpt", "shared"}
    assert rc.data == {"imgs": images}


def test_two_different_references_with_one_name_are_refused(store) -> None:
    with pytest.raises(UserErrorException, match="both named 'x'"):
        Estimator("src", compute_target="c",
                  inputs=[DataReference(store, "x", "a"), DataReference(store, "x", "b")])


def test_script_run_config_arguments_register_data_objects(store) -> None:
    dataset = Dataset.File.from_files("/shared/images")
    src = ScriptRunConfig("src", script="t.py",
                          arguments=["--in", dataset.as_named_input("imgs").as_mount(),
                                     "--ref", store.path("x").as_download(), "--n", 3])
    rc = src.run_config
    assert rc.arguments[:2] == ["--in", "DatasetConsumptionConfig:imgs"]
    assert rc.arguments[3].startswith("$AZUREML_DATAREFERENCE_shared_")
    assert rc.arguments[4:] == ["--n", 3]
    assert rc.data["imgs"].mode == "mount"
    assert next(iter(rc.data_references.values())).mode == "download"


def test_script_run_config_command_list_registers_data_objects() -> None:
    dataset = Dataset.File.from_files("/shared/images").as_named_input("imgs").as_mount()
    src = ScriptRunConfig("src", command=["python", "t.py", "--in", dataset])
    assert src.run_config.command == ["python", "t.py", "--in", "DatasetConsumptionConfig:imgs"]
    assert "imgs" in src.run_config.data


# -- resume_from ---------------------------------------------------------------------------------------

def test_resume_from_appends_flag_and_model_location_mount(store) -> None:
    est = Estimator("src", compute_target="c", script_params={"--epochs": 2},
                    resume_from=store.path("outputs/ckpt"))
    rc = est.run_config
    assert rc.arguments == ["--epochs", 2, "--resume-from", "$AZUREML_DATAREFERENCE_MODEL_LOCATION"]
    location = rc.data_references["MODEL_LOCATION"]
    assert (location.mode, location.cluster_path) == ("mount", "/shared/datasets/outputs/ckpt")


def test_resume_from_on_script_run_config(store) -> None:
    src = ScriptRunConfig("src", script="t.py", arguments=["--a"], resume_from=DataPath(store, "ckpt"))
    assert src.run_config.arguments == ["--a", "--resume-from", "$AZUREML_DATAREFERENCE_MODEL_LOCATION"]


@pytest.mark.parametrize("bad", ["/shared/ckpt", "ckpt"])
def test_resume_from_must_be_a_data_path(bad) -> None:
    with pytest.raises(UserErrorException, match="resume_from must be a DataPath"):
        Estimator("src", compute_target="c", resume_from=bad)


def test_direct_mode_dataset_input_is_consumed_as_a_mount() -> None:
    """v1's direct mode gave the script a dataset handle; here the job gets the mounted path."""
    named = Dataset.File.from_files("/shared/images").as_named_input("imgs")
    assert named.mode == "direct"
    rc = Estimator("src", compute_target="c", inputs=[named]).run_config
    assert rc.data["imgs"].mode == "mount"
    assert rc.data["imgs"].cluster_path == "/shared/images"
