# %% [markdown]
# # Register a model and deploy it to Azure Container Instances (Azure ML SDK 1.x, 2020)

# %%
import os

from azureml.core import Model, Workspace
from azureml.core.model import InferenceConfig
from azureml.core.webservice import AciWebservice, Webservice

ws = Workspace.from_config()

# %%
os.makedirs("outputs", exist_ok=True)
with open("outputs/model.pkl", "wb") as f:
    f.write(b"weights")
model = Model.register(workspace=ws, model_path="outputs/model.pkl", model_name="sklearn-demo",
                       tags={"area": "demo"}, description="a registered pickle")
print(model.name, model.version)

# %%
aciconfig = AciWebservice.deploy_configuration(cpu_cores=1, memory_gb=1, tags={"area": "demo"})
inference_config = InferenceConfig(entry_script="score.py")
service = Model.deploy(ws, "sklearn-demo-svc", [model], inference_config, aciconfig)
service.wait_for_deployment(show_output=True)

# %%
print(service.scoring_uri)
