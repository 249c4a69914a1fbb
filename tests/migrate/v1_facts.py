"""Facts recorded from the real v1 SDK, and the probe that records them.

``python -m tests.migrate.v1_facts /work/v1sdk/bin/python`` runs ``PROBE`` under that interpreter
(azureml-core / azureml-train-core installed) and rewrites ``data/v1_facts.json``; the tests read
the JSON, so they need no v1 SDK. A test re-runs the probe when the interpreter exists.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FACTS = Path(__file__).parent / "data" / "v1_facts.json"
V1_PYTHON = Path("/work/v1sdk/bin/python")

# script_params dicts as Python source, fed to v1's own conversion (_get_arguments).
SCRIPT_PARAMS = [
    "{'--lr': 0.1, '--epochs': 3}",
    "{'--flag': '', '--none': None, '--zero': 0, '--false': False}",
    "{'--layers': [3, 4], '--pair': (1, 'a'), '--set': {5}}",
    "{'--nested': [[1, 2], 'ab', (3,)], '--dict': {'k1': 1, 'k2': 2}}",
    "{'pos': 'value', '': 'empty key', '--last': ''}",
    "dict([('--b', 1), ('--a', [None, '', 2])])",
]

PROBE = r"""
import json, logging, sys, warnings
logging.disable(logging.CRITICAL)
warnings.filterwarnings("ignore")
from azureml.train._estimator_helper import _get_arguments
from azureml.core import Environment, ScriptRunConfig
from azureml.core.runconfig import DockerConfiguration, MpiConfiguration, PyTorchConfiguration

params = json.loads(sys.argv[1])
facts = {"script_params": [[source, repr(_get_arguments(eval(source)))] for source in params]}

def src(config):
    return ScriptRunConfig(source_directory=".", script="train.py", compute_target="local",
                           environment=Environment(name="e"), distributed_job_config=config,
                           docker_runtime_config=DockerConfiguration(use_docker=True))

facts["node_count"] = {
    "MpiConfiguration(node_count=10)": src(MpiConfiguration(node_count=10)).run_config.node_count,
    "MpiConfiguration()": src(MpiConfiguration()).run_config.node_count,
    "PyTorchConfiguration(communication_backend='Nccl', process_count=8, node_count=4)": src(
        PyTorchConfiguration(communication_backend="Nccl", process_count=8, node_count=4)).run_config.node_count,
}
# est.conda_dependencies is rewritten to <environment>.python.conda_dependencies: the same object in v1
# (the estimator's environment is environment_definition itself), which the ScriptRunConfig holds.
import os, tempfile
from azureml.train.estimator import Estimator
source = tempfile.mkdtemp()
open(os.path.join(source, "train.py"), "w").close()
user_env = Environment(name="user-env")
est = Estimator(source_directory=source, entry_script="train.py", compute_target="local",
                environment_definition=user_env)
facts["estimator_conda_dependencies_is_its_environments"] = (
    est.conda_dependencies is user_env.python.conda_dependencies)
held = Environment(name="held")
facts["script_run_config_holds_its_environment"] = ScriptRunConfig(
    source_directory=source, script="train.py", compute_target="local", environment=held).run_config.environment is held
try:
    est.conda_dependencies = None
    facts["estimator_conda_dependencies_assignment"] = "allowed"
except AttributeError:
    facts["estimator_conda_dependencies_assignment"] = "AttributeError"
run = src(None)
run.run_config.data["x"] = "placeholder"
facts["run_config_data_is_a_dict"] = isinstance(run.run_config.data, dict)
facts["run_config_data_references_is_a_dict"] = isinstance(run.run_config.data_references, dict)
# v1's package check on a tree whose entry script extends sys.path (LOCAL_TREE, built here as there):
# the imports it took for packages, and the files it followed (and linted).
from azureml.train import _script_validation as validation
tree = tempfile.mkdtemp()
for relative, text in json.loads(sys.argv[2]).items():
    os.makedirs(os.path.dirname(os.path.join(tree, relative)), exist_ok=True)
    with open(os.path.join(tree, relative), "w") as handle:
        handle.write(text)
imports, visited = validation._get_imports_used_files(
    tree, "train.py", validation._get_local_candidates_full_path(tree))
facts["local_tree_external_imports"] = sorted({name.split(".")[0] for name in imports})
facts["local_tree_followed_files"] = sorted(os.path.relpath(path, tree) for path in visited)
# Each distribution case run twice in the real SDK: the estimator as written, and the code the rewrite
# made of it (an AmlCompute stand-in as compute target: v1 refuses node_count > 1 on anything else).
from azureml.core.compute import AmlCompute
target = object.__new__(AmlCompute)
target.name = "gpu"
target.location = target.cluster_location = "eastus"
target.vm_size = "STANDARD_NC6"
for name in ("train.py", "tf.py"):
    open(os.path.join(source, name), "w").close()

def counts(code):
    scope = {"ct": target, "SRC": source}
    exec(code, scope)
    rc = scope["est"].run_config
    return {"node_count": rc.node_count, "communicator": str(rc.communicator),
            "mpi.process_count_per_node": rc.mpi.process_count_per_node,
            "tensorflow.worker_count": rc.tensorflow.worker_count,
            "tensorflow.parameter_server_count": rc.tensorflow.parameter_server_count,
            "pytorch.process_count": rc.pytorch.process_count}

facts["distribution_counts"] = [
    [before, after, counts(before), counts(after)] for before, after in json.loads(sys.argv[3])]

open(os.path.join(source, "req.txt"), "w").write("requests\n")

def packages(code):
    scope = {"ct": target, "SRC": source}
    exec(code, scope)
    return packages_of(scope["est"].run_config.environment)

def packages_of(env):
    deps = env.python.conda_dependencies
    return {"python": deps.get_python_version(), "pip": sorted(deps.pip_packages),
            "conda": sorted(p for p in deps.conda_packages if not p.startswith("python=")),
            "image": env.docker.base_image, "user_managed": env.python.user_managed_dependencies}

from azureml.data.azure_storage_datastore import AzureBlobDatastore
store = AzureBlobDatastore(None, "store", "container", "account")

def references(code):
    scope = {"ct": target, "SRC": source, "store": store}
    exec(code, scope)
    job = scope["est"]
    rc = job.run_config
    arguments = getattr(job, "arguments", None) if hasattr(job, "script") else rc.arguments
    return {"arguments": [str(a) for a in arguments or []],
            "data_references": {k: [v.data_store_name, v.path_on_data_store, v.mode, v.path_on_compute]
                                for k, v in (rc.data_references or {}).items()},
            "source_directory_data_store": rc.source_directory_data_store}

facts["data_reference_inputs"] = [
    [before, after, references(before), references(after)] for before, after in json.loads(sys.argv[5])]

facts["environment_packages"] = [
    [before, after, packages(before), packages(after)] for before, after in json.loads(sys.argv[4])]

# What a HyperDrive run gives every trial before its sampled values: v1's own path from the config to
# the run definition it submits, up to the workspace calls (duplicates of the parameter space removed
# from an estimator's arguments, from a ScriptRunConfig's not).
from azureml.core.script_run_config import get_run_config_from_script_run
from azureml.train.hyperdrive import HyperDriveConfig

def sweep(code):
    scope = {"ct": target, "SRC": source}
    exec(code, scope)
    hd = scope["hdc"]
    job = hd.estimator._get_script_run_config() if hd.estimator is not None else hd.run_config
    rc = HyperDriveConfig._remove_duplicate_arguments(
        get_run_config_from_script_run(job), hd._generator_config, hd.estimator is not None)
    return {"arguments": [str(a) for a in rc.arguments], "script": rc.script, "node_count": rc.node_count,
            "parameter_space": sorted(hd._generator_config["parameter_space"])}

# What a pipeline step runs: an EstimatorStep (a PythonScriptStep over the estimator's run config,
# which v1 clears of target, arguments and data references) and the CommandStep the rewrite makes.
from azureml.pipeline.core import PipelineData

def step_facts(code):
    scope = {"ct": target, "SRC": source, "PipelineData": PipelineData}
    exec(code, scope)
    step = scope["step"]
    rc = step._runconfig
    argv = (["python", step._script_name] if step._script_name else [step._command]) + list(step._arguments)
    facts = packages_of(rc.environment)
    facts.update({"argv": [str(a) for a in argv], "source_directory": os.path.relpath(step._source_directory, source),
                  "allow_reuse": step._allow_reuse, "compute": step._compute_target.name, "name": step.name,
                  "inputs": [str(i) for i in step._inputs], "outputs": [str(o) for o in step._outputs],
                  "node_count": rc.node_count, "communicator": str(rc.communicator),
                  "mpi.process_count_per_node": rc.mpi.process_count_per_node, "framework": rc.framework,
                  "environment_variables": rc.environment_variables or {},
                  "data_references": sorted(rc.data_references or {})})
    return facts

facts["pipeline_steps"] = [
    [before, after, step_facts(before), step_facts(after)] for before, after in json.loads(sys.argv[7])]

facts["hyperdrive_trial_arguments"] = [
    [before, after, sweep(before), sweep(after)] for before, after in json.loads(sys.argv[6])]
print(json.dumps(facts, indent=1, sort_keys=True))
"""

# A source directory for v1's package check: the entry script imports from a directory it puts on
# sys.path, a directory without __init__.py, a module under venv/ (v1 did not look there) and packages.
LOCAL_TREE = {
    "train.py": "import sys\nsys.path.append('lib')\nimport helpers\nimport models\nimport shadowed\n"
    "import cv2, numpy\nfrom torch import nn\nimport os.path\n",
    "lib/helpers.py": "import yaml\nfrom common import tools\n",
    "lib/deeper/common.py": "import pandas\n",
    "models/weights.txt": "not code\n",
    "venv/shadowed.py": "import never_followed\n",
}


# Estimators with every kind of distribution setting (module bodies; ``ct`` and ``SRC`` are given).
_PS = "from azureml.train.dnn import TensorFlow, ParameterServer\n"
_TF_CONFIG = "from azureml.train.dnn import TensorFlow\nfrom azureml.core.runconfig import TensorflowConfiguration\n"
_TF = "est = TensorFlow(source_directory=SRC, entry_script='tf.py', compute_target=ct, framework_version='2.1', "
_TORCH = "from azureml.train.dnn import PyTorch, Mpi, Nccl\nfrom azureml.core.runconfig import MpiConfiguration\n"
_PT = "est = PyTorch(source_directory=SRC, entry_script='train.py', compute_target=ct, framework_version='1.6', "
DISTRIBUTION_CASES = [
    _PS + _TF + "distributed_training=ParameterServer(worker_count=2))\n",
    _PS + _TF + "node_count=2, distributed_training=ParameterServer(worker_count=2, parameter_server_count=1))\n",
    _TF_CONFIG + _TF + "node_count=5,\n"
    "                 distributed_training=TensorflowConfiguration(worker_count=2, parameter_server_count=1))\n",
    _TF_CONFIG + "cfg = TensorflowConfiguration(worker_count=3)\n" + _TF + "node_count=4, distributed_training=cfg)\n",
    "from azureml.train.dnn import TensorFlow\n" + _TF + "node_count=2, distributed_backend='ps', worker_count=4,\n"
    "                 parameter_server_count=2)\n",
    _TORCH + _PT + "node_count=4, process_count_per_node=2,\n"
    "              distributed_training=MpiConfiguration())\n",
    _TORCH + _PT + "node_count=3, distributed_training=Mpi(process_count_per_node=2))\n",
    _TORCH + _PT + "node_count=3, process_count_per_node=2, distributed_backend='mpi')\n",
    _TORCH + _PT + "node_count=2, process_count_per_node=4, distributed_training=Nccl())\n",
    _TORCH + "cfg = MpiConfiguration(process_count_per_node=2)\n" + _PT + "node_count=6, distributed_training=cfg)\n",
    _TORCH + _PT + "node_count=2, process_count_per_node=2, distributed_backend='gloo')\n",
    "from azureml.train.dnn import PyTorch\nfrom azureml.core.runconfig import PyTorchConfiguration\n" + _PT
    + "node_count=2,\n"
    "              distributed_training=PyTorchConfiguration(communication_backend='Nccl', process_count=4))\n",
    # The keywords in a dict passed with '**'.
    _TORCH + "common = dict(source_directory=SRC, compute_target=ct, framework_version='1.6', node_count=3,\n"
    "              distributed_training=Mpi(process_count_per_node=2))\n"
    "est = PyTorch(entry_script='train.py', **common)\n",
]


# Estimators whose environment the rewrite builds itself (no workspace: no curated environment).
_EST = "from azureml.train.estimator import Estimator\nest = Estimator(source_directory=SRC, entry_script='train.py', "
ENVIRONMENT_CASES = [
    _EST + "compute_target=ct,\n                pip_packages=['numpy', 'pandas==1.0'], conda_packages=['scipy'])\n",
    _EST + "compute_target=ct, conda_packages=['scipy'])\n",
    _EST + "compute_target=ct, custom_docker_image='ubuntu:20.04', pip_packages=['x'])\n",
    _EST + "compute_target=ct, pip_requirements_file='req.txt')\n",
    _EST + "compute_target=ct, pip_requirements_file='req.txt',\n"
    "                pip_packages=['numpy'], conda_packages=['scipy'])\n",
    _EST + "compute_target=ct, use_gpu=True, pip_packages=['azureml-defaults', 'torch'])\n",
    "from azureml.train.sklearn import SKLearn\nest = SKLearn(source_directory=SRC, entry_script='train.py', "
    "compute_target=ct, pip_packages=['joblib'])\n",
    # Built in a comprehension: the rewrite sets the Environment up once, above it.
    "from azureml.train.estimator import Estimator\n"
    "ests = [Estimator(source_directory=SRC, entry_script=s, compute_target=ct, pip_packages=['numpy'])\n"
    "        for s in ['train.py', 'tf.py']]\nest = ests[1]\n",
    # The keywords in a dict passed with '**'.
    "from azureml.train.estimator import Estimator\n"
    "base = {'source_directory': SRC, 'compute_target': ct, 'conda_packages': ['scipy']}\n"
    "est = Estimator(entry_script='train.py', **base)\n",
]


# DataReferences among inputs and script_params (v1 registered both; a ScriptRunConfig neither).
_REFS = (
    "from azureml.train.estimator import Estimator\nfrom azureml.data.data_reference import DataReference\n"
    "ref = DataReference(datastore=store, data_reference_name='r1', path_on_datastore='p1')\n"
    "out = DataReference(datastore=store, data_reference_name='r2', path_on_datastore='p2')\n"
    "est = Estimator(source_directory=SRC, entry_script='train.py', compute_target=ct, "
)
REFERENCE_CASES = [
    _REFS + "script_params={'--data': ref.as_mount(), '--out': out})\n",
    _REFS + "inputs=[ref.as_download(), out])\n",
    _REFS + "inputs=[out.as_mount()], script_params={'--data': ref, '--epochs': 2})\n",
    _REFS + "source_directory_data_store=store, inputs=[ref])\n",
]


# Estimators swept by HyperDrive, their script_params partly in the parameter space (``ct``, ``SRC`` given).
_HD = "from azureml.train.hyperdrive import *\nfrom azureml.train.estimator import Estimator\n"
_HD_EST = "est = Estimator(source_directory=SRC, entry_script='train.py', compute_target=ct, "
_HD_CONFIG = (
    "hdc = HyperDriveConfig(estimator=est, hyperparameter_sampling=sampling, primary_metric_name='acc',\n"
    "                       primary_metric_goal=PrimaryMetricGoal.MAXIMIZE, max_total_runs=4)\n"
)
HYPERDRIVE_CASES = [
    _HD + _HD_EST + "script_params={'--lr': 0.1, '--epochs': 3, 'batch': 8})\n"
    "sampling = RandomParameterSampling({'lr': uniform(0.01, 0.1), '--batch': choice(16, 32)})\n" + _HD_CONFIG,
    _HD + "from azureml.train.dnn import PyTorch\n"
    "hdc = HyperDriveConfig(\n"
    "    estimator=PyTorch(source_directory=SRC, entry_script='train.py', compute_target=ct,\n"
    "                      framework_version='1.6', script_params={'--momentum': 0.9, '--out': 'outputs'}),\n"
    "    hyperparameter_sampling=GridParameterSampling({'--momentum': choice(0.5, 0.9)}),\n"
    "    primary_metric_name='loss', primary_metric_goal=PrimaryMetricGoal.MINIMIZE, max_total_runs=2)\n",
    _HD + _HD_EST + "script_params={'--epochs': 3, '--lr-schedule': 'cosine'})\n"
    "sampling = RandomParameterSampling({'--lr': choice(0.1, 0.01)})\n"
    "hdc = HyperDriveRunConfig(est, sampling, 'acc', PrimaryMetricGoal.MAXIMIZE, 4)\n",
    # The estimator is also used on its own: HyperDrive gets a copy without --lr.
    _HD + _HD_EST + "script_params={'--lr': 0.1, '--epochs': 3})\nbaseline = [est]\n"
    "sampling = RandomParameterSampling({'--lr': uniform(0.01, 0.1)})\n" + _HD_CONFIG,
    # script_params built by dict(...): converted where the job is built, the sampled name skipped there.
    _HD + _HD_EST + "script_params=dict([('--lr', 0.1), ('--epochs', 3), ('batch', 8)]))\n"
    "sampling = RandomParameterSampling({'lr': uniform(0.01, 0.1), '--batch': choice(16, 32)})\n" + _HD_CONFIG,
    # The parameter space comes from a function: the arguments keep --lr (HPM118 says v1 left it out).
    _HD + _HD_EST + "script_params={'--lr': 0.1, '--epochs': 3})\n"
    "def make_sampling():\n    return RandomParameterSampling({'--lr': uniform(0.01, 0.1)})\n"
    "sampling = make_sampling()\n" + _HD_CONFIG,
]


# EstimatorSteps (``ct``, ``SRC`` and ``PipelineData`` given).
_STEP = "from azureml.pipeline.steps import EstimatorStep\ndata, out = PipelineData('data'), PipelineData('out')\n"
STEP_CASES = [
    _STEP + "from azureml.train.estimator import Estimator\n"
    "est = Estimator(source_directory=SRC, entry_script='train.py', compute_target=ct,\n"
    "                conda_packages=['scikit-learn'])\n"
    "step = EstimatorStep(name='train', estimator=est,\n"
    "                     estimator_entry_script_arguments=['--data', data, '--out', out],\n"
    "                     inputs=[data], outputs=[out], compute_target=ct, allow_reuse=False)\n",
    _STEP + "from azureml.train.dnn import PyTorch, Mpi\n"
    "est = PyTorch(source_directory=SRC, entry_script='train.py', compute_target=ct, node_count=2,\n"
    "              distributed_training=Mpi(process_count_per_node=4), framework_version='1.6', use_gpu=True,\n"
    "              environment_variables={'NCCL_DEBUG': 'INFO'}, pip_packages=['pillow'])\n"
    "step = EstimatorStep('train', est, [], inputs=[data], compute_target=ct)\n",
    _STEP + "from azureml.train.sklearn import SKLearn\n"
    "step = EstimatorStep(name='fit', estimator=SKLearn(source_directory=SRC, entry_script='train.py',\n"
    "                                                 compute_target=ct, pip_packages=['joblib']),\n"
    "                     estimator_entry_script_arguments=['--alpha', 0.5, '--out', out], outputs=[out],\n"
    "                     compute_target=ct)\n",
]


def migrated(cases: list[str]) -> list[list[str]]:
    """[before, after] for each case: the code the rewrite makes of it here."""
    from migrate.transform import migrate_source

    return [[before, migrate_source(before).code] for before in cases]


def probe(python: Path) -> dict[str, object]:
    out = subprocess.run(
        [
            str(python),
            "-c",
            PROBE,
            json.dumps(SCRIPT_PARAMS),
            json.dumps(LOCAL_TREE),
            json.dumps(migrated(DISTRIBUTION_CASES)),
            json.dumps(migrated(ENVIRONMENT_CASES)),
            json.dumps(migrated(REFERENCE_CASES)),
            json.dumps(migrated(HYPERDRIVE_CASES)),
            json.dumps(migrated(STEP_CASES)),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(out.stdout)


def recorded() -> dict[str, object]:
    return json.loads(FACTS.read_text())


if __name__ == "__main__":
    FACTS.write_text(json.dumps(probe(Path(sys.argv[1]) if len(sys.argv) > 1 else V1_PYTHON), indent=1) + "\n")
