# hpcest-case: codes=HPL201
from azureml.train.estimator import Estimator

est = Estimator(source_directory=".", entry_script="train.py", compute_target=ct, vm_size="STANDARD_NC6",
                vm_priority="lowpriority", _disable_validation=False, _show_lint_warnings=True)
