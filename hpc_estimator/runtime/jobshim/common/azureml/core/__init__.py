# hpcest: stand-in for azureml.core inside jobs.
from azureml.core.run import Run  # noqa: F401
