# hpcest-case: codes=
"""Module docstring stays."""
import os  # unrelated import stays

from azureml.train.estimator import Estimator

# Build the training job.
est = Estimator(source_directory=".",  # code lives here
                entry_script="train.py",
                compute_target=ct)


def untouched( a,b ):
    return a+b
