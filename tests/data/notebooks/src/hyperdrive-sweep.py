# %% [markdown]
# # Tune a learning rate with HyperDrive, then register the best model (Azure ML SDK 1.x, 2020)

# %%
import os

from azureml.core import Experiment, Workspace
from azureml.core.compute import AmlCompute, ComputeTarget
from azureml.core.compute_target import ComputeTargetException
from azureml.train.estimator import Estimator
from azureml.train.hyperdrive import (BanditPolicy, GridParameterSampling, HyperDriveConfig, PrimaryMetricGoal,
                                      choice)
from azureml.widgets import RunDetails

ws = Workspace.from_config()

# %%
try:
    compute_target = ComputeTarget(workspace=ws, name="cpu-cluster")
except ComputeTargetException:
    compute_target = ComputeTarget.create(ws, "cpu-cluster",
                                          AmlCompute.provisioning_configuration(vm_size="STANDARD_D2_V2",
                                                                                max_nodes=4))
    compute_target.wait_for_completion(show_output=True)

# %%
os.makedirs("./sweep", exist_ok=True)

# %%
%%writefile ./sweep/train.py
import argparse
import os

from azureml.core import Run

parser = argparse.ArgumentParser()
parser.add_argument("--learning-rate", type=float, dest="lr")
args = parser.parse_args()

# Gradient descent on (w - 3)^2: the loss after 20 steps depends on the learning rate.
w = 0.0
run = Run.get_context()
for step in range(20):
    w -= args.lr * 2 * (w - 3)
    run.log("loss", (w - 3) ** 2)

os.makedirs("outputs", exist_ok=True)
with open("outputs/w.txt", "w") as f:
    f.write("{:.6f}\n".format(w))
print("lr={} w={:.4f}".format(args.lr, w))

# %%
estimator = Estimator(source_directory="./sweep", compute_target=compute_target, entry_script="train.py")

param_sampling = GridParameterSampling({"--learning-rate": choice(0.01, 0.1, 0.3)})
early_termination_policy = BanditPolicy(evaluation_interval=5, slack_factor=0.5)

hyperdrive_config = HyperDriveConfig(estimator=estimator,
                                     hyperparameter_sampling=param_sampling,
                                     policy=early_termination_policy,
                                     primary_metric_name="loss",
                                     primary_metric_goal=PrimaryMetricGoal.MINIMIZE,
                                     max_total_runs=3,
                                     max_concurrent_runs=3)

hyperdrive_run = Experiment(ws, "lr-sweep").submit(hyperdrive_config)

# %%
RunDetails(hyperdrive_run).show()

# %%
hyperdrive_run.wait_for_completion(show_output=False)
best_run = hyperdrive_run.get_best_run_by_primary_metric()
print("best run arguments:", best_run.get_details()["runDefinition"]["arguments"])

# %%
model = best_run.register_model(model_name="w-fit", model_path="outputs/w.txt")
print(model.name, model.version, model.run_id == best_run.id)
