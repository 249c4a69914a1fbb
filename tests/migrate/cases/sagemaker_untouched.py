# hpcest-case: codes=
from sagemaker.estimator import Estimator

est = Estimator(image_uri="img", role="r", instance_count=1, instance_type="ml.m5.large")
