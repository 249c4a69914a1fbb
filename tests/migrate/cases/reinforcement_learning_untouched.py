# hpcest-case: codes=
from azureml.contrib.train.rl import ReinforcementLearningEstimator, Ray

est = ReinforcementLearningEstimator(source_directory=".", entry_script="rl.py", compute_target=ct,
                                     rl_framework=Ray())
