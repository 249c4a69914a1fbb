"""Exception types. The public ones carry Azure ML v1 names so existing ``except`` clauses work.

They are built as v1 built them (``azureml._common.exceptions.AzureMLException``): the message is
the one required argument (``exception_message``, positional or by keyword; ``AzureMLException``
itself also takes ``inner_exception``, ``target``, ``details`` ... positionally, its subclasses only
by keyword), ``e.message`` and ``e.inner_exception`` are read and set as in v1, ``e.args`` is
``(message,)`` and ``e.print_stacktrace()`` prints the exception being handled when it was made.
One difference, kept on purpose: ``str(e)`` is the message alone, where v1 put the class name and
an error-response JSON around it.
"""

from __future__ import annotations

import sys
import traceback
from types import TracebackType
from typing import Any


class AzureMLException(Exception):
    """Base of the v1-compatible exceptions (v1: azureml.exceptions.AzureMLException)."""

    def __init__(
        self,
        exception_message: Any,
        inner_exception: Any = None,
        target: Any = None,
        details: Any = None,
        message_format: Any = None,
        message_parameters: Any = None,
        reference_code: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(exception_message)
        self._exception_message = exception_message
        self._inner_exception = inner_exception
        # v1 kept what was being handled when the exception was made, for print_stacktrace().
        self._exc_info: tuple[type[BaseException] | None, BaseException | None, TracebackType | None] = \
            sys.exc_info()
        self._target = target
        self._details = details
        self._message_format = message_format
        self._message_parameters = message_parameters
        self._reference_code = reference_code
        # v1's structured error (an AzureMLError); other keywords are accepted and unused, as in v1.
        self._azureml_error = kwargs.pop("azureml_error", None)

    def __str__(self) -> str:
        return str(self._exception_message)

    @property
    def message(self) -> Any:
        """The error message (v1: settable)."""
        return self._exception_message

    @message.setter
    def message(self, value: Any) -> None:
        self._exception_message = value

    @property
    def inner_exception(self) -> Any:
        """The exception or message this one was raised for, if one was given (v1: settable)."""
        return self._inner_exception

    @inner_exception.setter
    def inner_exception(self, value: Any) -> None:
        self._inner_exception = value

    def print_stacktrace(self) -> None:
        """Print the exception that was being handled when this one was made (v1)."""
        traceback.print_exception(*self._exc_info)

    def __reduce__(self) -> tuple[Any, ...]:
        # A traceback cannot be pickled; the rest of the state travels (v1 failed to pickle an
        # exception made while another was handled).
        state = dict(self.__dict__, _exc_info=(None, None, None))
        return type(self), self.args, state


class UserErrorException(AzureMLException):
    """The caller passed something invalid (v1: azureml.exceptions.UserErrorException)."""

    def __init__(self, exception_message: Any, **kwargs: Any) -> None:
        super().__init__(exception_message, **kwargs)


class TrainingException(AzureMLException):
    """Invalid estimator configuration (v1: azureml.train.estimator TrainingException)."""

    def __init__(self, exception_message: Any, **kwargs: Any) -> None:
        super().__init__(exception_message, **kwargs)


class ComputeTargetException(AzureMLException):
    """Unsupported or unknown compute target (v1 name)."""

    def __init__(self, exception_message: Any, **kwargs: Any) -> None:
        super().__init__(exception_message, **kwargs)


class ExperimentExecutionException(AzureMLException):
    """A run could not be started as configured, e.g. its entry script is missing (v1 name; raised at submission)."""

    def __init__(self, exception_message: Any, **kwargs: Any) -> None:
        super().__init__(exception_message, **kwargs)


class ActivityFailedException(AzureMLException):
    """A run ended Failed while waiting with raise_on_error (v1 name).

    v1's parameter is ``error_details`` and its message ``"Activity Failed:\n" + error_details``;
    here the message is ``error_details`` as given: hpcest's one line naming the run, the reason
    and where its logs are.
    """

    def __init__(self, error_details: Any, **kwargs: Any) -> None:
        super().__init__(error_details, **kwargs)


class RunConfigurationException(AzureMLException):
    """Invalid run configuration object (v1: azureml.exceptions.RunConfigurationException)."""

    def __init__(self, exception_message: Any, **kwargs: Any) -> None:
        super().__init__(exception_message, **kwargs)


class HyperDriveException(AzureMLException):
    """Base of the HyperDrive exceptions (v1: azureml.train.hyperdrive.exceptions)."""

    def __init__(self, exception_message: Any, **kwargs: Any) -> None:
        super().__init__(exception_message, **kwargs)


class HyperDriveConfigException(HyperDriveException):
    """Invalid HyperDrive configuration (v1 name)."""

    def __init__(self, exception_message: Any, **kwargs: Any) -> None:
        super().__init__(exception_message, **kwargs)


class HyperDriveScenarioNotSupportedException(HyperDriveConfigException):
    """A HyperDrive configuration v1 refused to run (e.g. on compute_target="local")."""

    def __init__(self, exception_message: Any, **kwargs: Any) -> None:
        super().__init__(exception_message, **kwargs)


class HyperDriveNotImplementedException(HyperDriveScenarioNotSupportedException):
    """A HyperDriveRun method v1 did not implement (get_diagnostics, fail)."""

    def __init__(self, exception_message: Any, **kwargs: Any) -> None:
        super().__init__(exception_message, **kwargs)


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
