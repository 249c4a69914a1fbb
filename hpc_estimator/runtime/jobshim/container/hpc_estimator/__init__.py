# hpcest: in-container stand-in for the hpc_estimator package (only Run.get_context).
from azureml.core.run import Run  # noqa: F401
