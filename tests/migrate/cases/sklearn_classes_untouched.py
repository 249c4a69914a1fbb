# hpcest-case: codes=
import azureml.core
from sklearn.linear_model import LogisticRegression
from sklearn.base import BaseEstimator as Estimator

model = LogisticRegression()
other = Estimator()
