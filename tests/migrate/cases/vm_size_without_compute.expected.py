# hpcest-case: codes=HPM109
from azureml.train.estimator import Estimator

# TODO(hpcest-migrate): HPM109 vm_size without compute_target has no ScriptRunConfig equivalent; create an AmlCompute cluster with that vm_size and pass it as compute_target
est = Estimator(source_directory=".", entry_script="train.py", vm_size="STANDARD_D2_V2")
