"""Submit a ScriptRunConfig with a curated environment and register its model (Azure ML SDK 1.x, 2020 style).

Run as `python submit_script_run.py --experiment NAME` on Azure ML; unmodified under `hpcest run`.
"""
import argparse
import os
import sys

from azureml.core import Environment, Experiment, Model, ScriptRunConfig, Workspace
from azureml.core.compute import ComputeTarget
from azureml.core.compute_target import ComputeTargetException
from azureml.core.conda_dependencies import CondaDependencies
from azureml.core.webservice import AksWebservice

parser = argparse.ArgumentParser()
parser.add_argument("--experiment", default="script-run")
parser.add_argument("--try-deploy", action="store_true")
args = parser.parse_args()

ws = Workspace(subscription_id="00000000-0000-0000-0000-000000000000", resource_group="ml-rg",
               workspace_name="ml-workspace")

try:
    target = ComputeTarget(workspace=ws, name="cpu-cluster")
except ComputeTargetException:
    sys.exit("no cpu-cluster: create it in the portal first")

os.makedirs("src", exist_ok=True)
with open("src/score.py", "w") as f:
    f.write(
        "import os, sys\n"
        "from azureml.core import Run\n"
        "run = Run.get_context()\n"
        "run.log('argv', ' '.join(sys.argv[1:]))\n"
        "os.makedirs('outputs/model', exist_ok=True)\n"
        "open('outputs/model/weights.txt', 'w').write('0.5 0.25')\n"
        "open('outputs/model/config.txt', 'w').write('linear')\n"
        "print('trained on', os.environ.get('HPCEST_CLUSTER', 'this machine'))\n"
    )

env = Environment.get(ws, name="AzureML-Scikit-learn-0.20.3")
env.python.conda_dependencies = CondaDependencies.create(pip_packages=["scikit-learn==0.22.1"])
config = ScriptRunConfig(source_directory="src", script="score.py", arguments=["--alpha", 0.5],
                         compute_target=target, environment=env)
run = Experiment(ws, args.experiment).submit(config)
run.wait_for_completion(show_output=True)

model = run.register_model(model_name="linear", model_path="outputs/model", tags={"kind": "linear"})
print("registered", model.id, sorted(os.listdir(Model(ws, "linear").download("fetched", exist_ok=True))))

if args.try_deploy:
    AksWebservice.deploy_configuration(autoscale_enabled=True)
