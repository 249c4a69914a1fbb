"""Exception types. The public ones carry Azure ML v1 names so existing ``except`` clauses work."""

from __future__ import annotations


class AzureMLException(Exception):
    """Base of the v1-compatible exceptions."""


class UserErrorException(AzureMLException):
    """The caller passed something invalid (v1: azureml.exceptions.UserErrorException)."""


class TrainingException(AzureMLException):
    """Invalid estimator configuration (v1: azureml.train.estimator TrainingException)."""


class ComputeTargetException(AzureMLException):
    """Unsupported or unknown compute target (v1 name)."""


class ExperimentExecutionException(AzureMLException):
    """A run could not be started as configured, e.g. its entry script is missing (v1 name; raised at submission)."""


class ActivityFailedException(AzureMLException):
    """A run ended Failed while waiting with raise_on_error (v1 name)."""


class RunConfigurationException(AzureMLException):
    """Invalid run configuration object (v1: azureml.exceptions.RunConfigurationException)."""


class HyperDriveException(AzureMLException):
    """Base of the HyperDrive exceptions (v1: azureml.train.hyperdrive.exceptions)."""


class HyperDriveConfigException(HyperDriveException):
    """Invalid HyperDrive configuration (v1 name)."""


class HyperDriveScenarioNotSupportedException(HyperDriveConfigException):
    """A HyperDrive configuration v1 refused to run (e.g. on compute_target="local")."""


class HyperDriveNotImplementedException(HyperDriveScenarioNotSupportedException):
    """A HyperDriveRun method v1 did not implement (get_diagnostics, fail)."""


class HpcestError(Exception):
    """Base of hpcest's own errors (not part of the v1 surface)."""


class ConfigError(HpcestError):
    """A workspace or cluster profile setting is wrong; the message names the key."""


class TransportError(HpcestError):
    """A command or file transfer to the cluster failed."""


class CommandTimeout(TransportError):
    """A command on the cluster did not finish in time (the connection itself may be fine)."""


class HostKeyError(TransportError):
    """The SSH host key is unknown or changed; the message says how to trust it."""


class SchedulerError(HpcestError):
    """Slurm refused a request; the message carries Slurm's own words."""


class WaitTimeoutError(HpcestError):
    """Waiting for a run gave up after the caller's time limit while the job still runs (CLI exit 5)."""
