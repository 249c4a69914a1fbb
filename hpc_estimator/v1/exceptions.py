"""v1 exception types for the workspace assets (models, authentication), and the Azure-only refusal.

``WebserviceException`` is what v1's model registry raised (a model ``Model(ws, name)`` does not
find, a bad model path). ``ModelNotFoundException`` is what ``Model.get_model_path`` raises when it
finds no model files; as in v1 it derives from ``AzureMLException`` directly, not from
``WebserviceException``, so ``except WebserviceException`` does not catch it.

``AzureOnlyError`` is hpcest's own: a call whose meaning was an Azure service (AKS/ACI deployment,
AutoML, Key Vault, Azure storage registration ...) and has none on a Slurm cluster. It names the
call and what to do instead. While ``hpcest run`` serves a notebook it sets
``AzureOnlyError.recorder`` to a list, and every instance is added to it with the stack where it
was made, so a refusal the notebook caught and went on from is still reported: such a call never
passes silently. Outside ``hpcest run`` the recorder is None and nothing is kept.
"""

from __future__ import annotations

import contextlib
import traceback
from typing import Any, ClassVar, NoReturn

from ..errors import AzureMLException, UserErrorException


class WebserviceException(AzureMLException):
    """A model registry or deployment request failed (v1: azureml.exceptions.WebserviceException).

    As in v1, ``status_code`` is kept as ``e.status_code`` and a ``logger`` given gets the message
    at error level.
    """

    def __init__(self, exception_message: Any, status_code: Any = None, logger: Any = None, **kwargs: Any) -> None:
        super().__init__(exception_message, **kwargs)
        self.status_code = status_code
        _log(logger, exception_message)


class ModelNotFoundException(AzureMLException):
    """No model files where ``Model.get_model_path`` looked (v1: azureml.exceptions.ModelNotFoundException)."""

    def __init__(self, exception_message: Any, logger: Any = None, **kwargs: Any) -> None:
        super().__init__(exception_message, **kwargs)
        _log(logger, exception_message)


class AuthenticationException(UserErrorException):
    """Authentication failed (v1 name, a UserErrorException as in v1; hpcest needs no Azure authentication)."""

    def __init__(self, exception_message: Any, **kwargs: Any) -> None:
        super().__init__(exception_message, **kwargs)


def _log(logger: Any, message: Any) -> None:
    """v1: the message, and a newline, to the logger given; a logger that fails is ignored."""
    if logger:
        # As v1: the exception is made whatever the logger does.
        with contextlib.suppress(Exception):
            logger.error(message + "\n")


class AzureOnlyError(UserErrorException):
    """A v1 call that only had a meaning on Azure; the message says what to do on Slurm instead."""

    # The refusals made while hpcest run serves a notebook, oldest first; None otherwise (see the
    # module docstring).
    recorder: ClassVar[list[AzureOnlyError] | None] = None

    def __init__(self, call: str, what: str, instead: str) -> None:
        self.call = call
        self.what = what
        self.instead = instead
        recorder = AzureOnlyError.recorder
        # Where the call was made, for the report of a refusal the caller caught.
        self.stack: list[traceback.FrameSummary] = traceback.extract_stack()[:-1] if recorder is not None else []
        super().__init__(f"{call}: {what} has no meaning on a Slurm cluster. Instead: {instead}")
        if recorder is not None:
            recorder.append(self)


def azure_only_call(call: str, what: str, instead: str) -> Any:
    """A function that refuses ``call`` (for v1 static methods that only had an Azure meaning)."""

    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise AzureOnlyError(call, what, instead)

    # "Datastore.register_hdfs(...)" -> "register_hdfs" (the dots inside "(...)" are not a qualifier).
    refuse.__name__ = call.split("(")[0].rpartition(".")[2]
    refuse.__doc__ = f"v1: {what}. On Slurm: {instead}"
    return refuse
