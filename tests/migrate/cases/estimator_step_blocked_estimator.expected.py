# hpcest-case: codes=HPM101,HPM107
from azureml.pipeline.steps import EstimatorStep
from azureml.train.estimator import Estimator

# TODO(hpcest-migrate): HPM101 script_params is not a dict literal bound once in this scope; write script_params as a literal dict, or convert it to arguments=[...] by hand
est = Estimator(source_directory="src", entry_script="train.py", compute_target=cpu, script_params=make())
# TODO(hpcest-migrate): HPM107 the estimator given to EstimatorStep is left as an estimator; resolve the estimator's TODO first; the step then becomes a CommandStep
step = EstimatorStep(name="train", estimator=est, estimator_entry_script_arguments=[], compute_target=cpu)
