# hpcest-case: codes=
def make_estimator(target):
    from azureml.train.estimator import Estimator

    return Estimator(source_directory=".", entry_script="train.py", compute_target=target)
