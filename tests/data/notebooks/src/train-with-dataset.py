# %% [markdown]
# # Train a line fit on AmlCompute with a registered FileDataset
#
# Uploads a CSV to the workspace's default datastore, registers it as a FileDataset, mounts it into an
# Estimator run on the cpu cluster, and registers the trained model. (Azure ML SDK 1.x, 2020.)

# %%
import os
import shutil

import azureml.core
from azureml.core import Dataset, Experiment, Model, Workspace
from azureml.core.compute import AmlCompute, ComputeTarget
from azureml.core.compute_target import ComputeTargetException
from azureml.train.estimator import Estimator
from azureml.widgets import RunDetails

print("Azure ML SDK version:", azureml.core.VERSION)

# %%
ws = Workspace.from_config()
print("Workspace name: " + ws.name, sep="\n")

# %% [markdown]
# ## Create or attach the compute target

# %%
cluster_name = "cpu-cluster"

try:
    compute_target = ComputeTarget(workspace=ws, name=cluster_name)
    print("Found existing compute target.")
except ComputeTargetException:
    print("Creating a new compute target...")
    compute_config = AmlCompute.provisioning_configuration(vm_size="STANDARD_D2_V2", max_nodes=4)
    compute_target = ComputeTarget.create(ws, cluster_name, compute_config)

compute_target.wait_for_completion(show_output=True, min_node_count=None, timeout_in_minutes=20)
print(compute_target.get_status().serialize()["provisioningState"])

# %% [markdown]
# ## Upload the data and register a dataset

# %%
os.makedirs("./data", exist_ok=True)
with open("./data/points.csv", "w") as f:
    f.write("x,y\n")
    for i in range(50):
        f.write("{},{}\n".format(i, 3 * i + 2))

ds = ws.get_default_datastore()
ds.upload(src_dir="./data", target_path="points", overwrite=True, show_progress=True)

dataset = Dataset.File.from_files(path=(ds, "points"))
dataset = dataset.register(workspace=ws, name="points", description="y = 3x + 2", create_new_version=True)
print(dataset.name, dataset.version)

# %% [markdown]
# ## The training script

# %%
script_folder = "./line-fit"
os.makedirs(script_folder, exist_ok=True)

# %%
%%writefile $script_folder/train.py
import argparse
import os

from azureml.core.run import Run

parser = argparse.ArgumentParser()
parser.add_argument("--data-folder", type=str, dest="data_folder")
parser.add_argument("--scale", type=float, default=1.0)
args = parser.parse_args()

xs, ys = [], []
with open(os.path.join(args.data_folder, "points.csv")) as f:
    next(f)
    for line in f:
        x, y = line.split(",")
        xs.append(float(x))
        ys.append(float(y) * args.scale)

n = len(xs)
mx, my = sum(xs) / n, sum(ys) / n
slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
intercept = my - slope * mx

run = Run.get_context()
run.log("slope", slope)
run.log("intercept", intercept)
print("fitted y = {:.3f} x + {:.3f} on {} points".format(slope, intercept, n))

os.makedirs("outputs", exist_ok=True)
with open("outputs/model.txt", "w") as f:
    f.write("{} {}\n".format(slope, intercept))

# %% [markdown]
# ## Submit the run

# %%
script_params = {
    "--data-folder": dataset.as_named_input("points").as_mount(),
    "--scale": 1.0,
}

est = Estimator(source_directory=script_folder,
                script_params=script_params,
                compute_target=compute_target,
                entry_script="train.py")

experiment = Experiment(workspace=ws, name="line-fit")
run = experiment.submit(est)
print(run.get_portal_url())

# %%
RunDetails(run).show()

# %%
run.wait_for_completion(show_output=False)
print(run.get_status())
print(run.get_metrics())

# %% [markdown]
# ## Register the model

# %%
model = run.register_model(model_name="line-fit", model_path="outputs/model.txt")
print(model.name, model.id, model.version, sep="\t")

# %%
for m in Model.list(ws, name="line-fit"):
    print(m.name, m.version, m.run_id == run.id)

shutil.rmtree("downloaded", ignore_errors=True)
path = Model(ws, "line-fit").download(target_dir="downloaded", exist_ok=True)
print(open(path).read().split())
