"""hpcest: Azure ML SDK v1 estimators, compiled to Slurm batch scripts."""

__version__ = "0.1.0"
