# hpcest-case: codes=
from azureml.pipeline.steps import HyperDriveStep
from azureml.train.dnn import TensorFlow
from azureml.train.hyperdrive import HyperDriveConfig

data = PipelineData("data", datastore=store)
est = TensorFlow(source_directory=".", entry_script="tf.py", compute_target=ct, framework_version="2.1",
                 pip_packages=["pandas"])
hdc = HyperDriveConfig(estimator=est, hyperparameter_sampling=sampling, primary_metric_name="acc",
                       primary_metric_goal=goal, max_total_runs=4)
step = HyperDriveStep(name="hd", hyperdrive_config=hdc, estimator_entry_script_arguments=["--data", data],
                      inputs=[data])
