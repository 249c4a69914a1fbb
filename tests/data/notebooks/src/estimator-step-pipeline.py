# %% [markdown]
# # A two-step pipeline: prepare data, then train with an EstimatorStep (Azure ML SDK 1.x, 2020)

# %%
import os

from azureml.core import Experiment, Workspace
from azureml.core.compute import AmlCompute, ComputeTarget
from azureml.core.compute_target import ComputeTargetException
from azureml.pipeline.core import Pipeline, PipelineData
from azureml.pipeline.steps import EstimatorStep, PythonScriptStep
from azureml.train.estimator import Estimator

ws = Workspace.from_config()
def_blob_store = ws.get_default_datastore()

# %%
aml_compute_target = "cpu-cluster"
try:
    aml_compute = AmlCompute(ws, aml_compute_target)
    print("found existing compute target.")
except ComputeTargetException:
    print("creating new compute target")
    provisioning_config = AmlCompute.provisioning_configuration(vm_size="STANDARD_D2_V2", min_nodes=1, max_nodes=4)
    aml_compute = ComputeTarget.create(ws, aml_compute_target, provisioning_config)
    aml_compute.wait_for_completion(show_output=True, min_node_count=None, timeout_in_minutes=20)

# %%
source_directory = "pipeline-steps"
os.makedirs(source_directory, exist_ok=True)

# %%
%%writefile pipeline-steps/prepare.py
import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--output", required=True)
args = parser.parse_args()

os.makedirs(args.output, exist_ok=True)
with open(os.path.join(args.output, "values.txt"), "w") as f:
    f.write("\n".join(str(i * i) for i in range(10)))
print("prepared 10 values in", args.output)

# %%
%%writefile pipeline-steps/train.py
import argparse
import os

from azureml.core.run import Run

parser = argparse.ArgumentParser()
parser.add_argument("--input", required=True)
args = parser.parse_args()

with open(os.path.join(args.input, "values.txt")) as f:
    values = [int(line) for line in f]
total = sum(values)
Run.get_context().log("total", total)
print("sum of squares:", total)

# %%
prepared = PipelineData("prepared", datastore=def_blob_store)

prepare_step = PythonScriptStep(name="prepare",
                                script_name="prepare.py",
                                arguments=["--output", prepared],
                                outputs=[prepared],
                                compute_target=aml_compute,
                                source_directory=source_directory,
                                allow_reuse=True)

est = Estimator(source_directory=source_directory,
                compute_target=aml_compute,
                entry_script="train.py")

train_step = EstimatorStep(name="train",
                           estimator=est,
                           estimator_entry_script_arguments=["--input", prepared],
                           inputs=[prepared],
                           compute_target=aml_compute)

pipeline = Pipeline(workspace=ws, steps=[train_step])
print("Pipeline is built")
pipeline.validate()
print("Pipeline validation complete")

# %%
pipeline_run = Experiment(ws, "two-step-pipeline").submit(pipeline)
print("Pipeline is submitted for execution")

# %%
pipeline_run.wait_for_completion(show_output=False)

# %%
for step_run in pipeline_run.get_steps():
    print(step_run.name, step_run.get_status(), step_run.get_metrics())
