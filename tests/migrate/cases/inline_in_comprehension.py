# hpcest-case: codes=HPM105
from azureml.train.estimator import Estimator

runs = [exp.submit(Estimator(source_directory=".", entry_script=s, compute_target=ct, pip_packages=["x"]))
        for s in scripts]
