# hpcest-case: codes=HPM105
from azureml.train.estimator import Estimator

# TODO(hpcest-migrate): HPM105 the estimator is built inside an expression where setup statements cannot go; assign the estimator to a variable in its own statement first
runs = [exp.submit(Estimator(source_directory=".", entry_script=s, compute_target=ct, pip_packages=["x"]))
        for s in scripts]
