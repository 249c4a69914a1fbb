# hpcest-case: codes=HPM104
from azureml.train.estimator import Estimator

# TODO(hpcest-migrate): HPM104 only source_directory may be positional in a v1 estimator; pass the other parameters as keywords
est = Estimator(".", "train.py")
