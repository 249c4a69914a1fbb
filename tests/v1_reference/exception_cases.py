"""How v1's exception classes are built and read, as small cases run by both SDKs.

Same scheme as ``compute_cases``: each ``case(lib, facts)`` builds exceptions through ``lib`` (one
side's classes, by their v1 names: ``lib.UserErrorException`` ...) and writes what v1-style code
reads from them into ``facts``: ``e.message``, ``e.inner_exception``, ``e.args``, the class's
bases, attributes such as ``status_code``. The recorder (``record_exceptions.py``, run under the
real SDK's interpreter) stores the facts and the exception a case raised (a ``TypeError`` for a
construction v1 refused); ``tests/test_exception_rules.py`` runs the cases on hpcest and compares.

Not compared, on purpose: ``str(e)``, which in v1 is the class name, the message and an
error-response JSON over several lines and in hpcest the message alone (the cases only check that
it holds the message), and ``ActivityFailedException``'s message, which v1 prefixed with
``"Activity Failed:\\n"`` (hpcest's names the run and its logs; the cases check it holds the
details given).
"""

from __future__ import annotations

import contextlib
import io
import logging
import pickle
from collections.abc import Callable
from typing import Any

Facts = dict[str, Any]
CASES: dict[str, Callable[[Any, Facts], None]] = {}

# Every v1 exception class hpcest serves, by the name v1 code imports it under.
NAMES = (
    "AzureMLException", "UserErrorException", "TrainingException", "ComputeTargetException",
    "ExperimentExecutionException", "ActivityFailedException", "RunConfigurationException",
    "WebserviceException", "ModelNotFoundException", "AuthenticationException",
    "HyperDriveException", "HyperDriveConfigException", "HyperDriveScenarioNotSupportedException",
    "HyperDriveNotImplementedException",
)
# The classes whose message is the one given (ActivityFailedException's is not, see above).
PLAIN = tuple(name for name in NAMES if name != "ActivityFailedException")


def case(func: Callable[[Any, Facts], None]) -> Callable[[Any, Facts], None]:
    CASES[func.__name__] = func
    return func


def _bases(cls: type) -> list[str]:
    return [c.__name__ for c in cls.__mro__[1:-2]]


def _read(error: Any) -> Facts:
    """What v1-style code reads from an exception."""
    inner = error.inner_exception
    return {
        "message": error.message,
        "args": list(error.args),
        "inner_exception": None if inner is None else [type(inner).__name__, str(inner)],
        "str_holds_message": str(error.message) in str(error),
        "has_print_stacktrace": callable(getattr(error, "print_stacktrace", None)),
    }


# -- the class tree -------------------------------------------------------------------------------


@case
def class_bases(lib: Any, facts: Facts) -> None:
    facts["bases"] = {name: _bases(getattr(lib, name)) for name in NAMES}


@case
def catchable_as_azureml_exception(lib: Any, facts: Facts) -> None:
    caught = {}
    for name in PLAIN:
        try:
            raise getattr(lib, name)("boom")
        except lib.AzureMLException as e:
            caught[name] = e.message
    facts["caught"] = caught


# -- building one ---------------------------------------------------------------------------------


@case
def message_only(lib: Any, facts: Facts) -> None:
    facts["read"] = {name: _read(getattr(lib, name)("boom")) for name in PLAIN}


@case
def message_by_keyword(lib: Any, facts: Facts) -> None:
    facts["read"] = {name: _read(getattr(lib, name)(exception_message="boom")) for name in PLAIN}


@case
def message_not_a_string(lib: Any, facts: Facts) -> None:
    error = lib.UserErrorException(42)
    facts["message"] = error.message
    facts["args"] = list(error.args)


@case
def inner_exception_by_keyword(lib: Any, facts: Facts) -> None:
    facts["read"] = {name: _read(getattr(lib, name)("boom", inner_exception=ValueError("cause")))
                     for name in PLAIN}


@case
def inner_exception_a_message(lib: Any, facts: Facts) -> None:
    facts["read"] = _read(lib.ComputeTargetException("boom", inner_exception="the cause"))


@case
def base_inner_exception_positional(lib: Any, facts: Facts) -> None:
    facts["read"] = _read(lib.AzureMLException("boom", KeyError("k")))


@case
def base_every_parameter_positional(lib: Any, facts: Facts) -> None:
    facts["read"] = _read(lib.AzureMLException("boom", None, "target", ["detail"], None, None, None))


@case
def target_and_details(lib: Any, facts: Facts) -> None:
    facts["read"] = _read(lib.UserErrorException("boom", target="workspace", details=["one", "two"]))


@case
def unknown_keyword_ignored(lib: Any, facts: Facts) -> None:
    facts["read"] = _read(lib.UserErrorException("boom", not_a_parameter=1))


@case
def azureml_error_keyword(lib: Any, facts: Facts) -> None:
    facts["read"] = _read(lib.TrainingException("boom", azureml_error=None))


@case
def no_message(lib: Any, facts: Facts) -> None:
    lib.UserErrorException()


@case
def base_no_message(lib: Any, facts: Facts) -> None:
    lib.AzureMLException()


@case
def subclass_inner_exception_positional(lib: Any, facts: Facts) -> None:
    lib.UserErrorException("boom", ValueError("cause"))


@case
def compute_target_inner_exception_positional(lib: Any, facts: Facts) -> None:
    lib.ComputeTargetException("boom", "cause")


@case
def hyperdrive_inner_exception_positional(lib: Any, facts: Facts) -> None:
    lib.HyperDriveConfigException("boom", "cause")


@case
def subclasses_refuse_a_second_positional(lib: Any, facts: Facts) -> None:
    refused = {}
    for name in PLAIN:
        if name in ("AzureMLException", "WebserviceException", "ModelNotFoundException"):
            continue
        try:
            getattr(lib, name)("boom", "cause")
            refused[name] = False
        except TypeError:
            refused[name] = True
    facts["refused"] = refused


# -- reading and changing -------------------------------------------------------------------------


@case
def message_set(lib: Any, facts: Facts) -> None:
    error = lib.UserErrorException("boom")
    error.message = "changed"
    facts["read"] = _read(error)


@case
def inner_exception_set(lib: Any, facts: Facts) -> None:
    error = lib.UserErrorException("boom")
    error.inner_exception = RuntimeError("later")
    facts["read"] = _read(error)


@case
def print_stacktrace_is_a_method(lib: Any, facts: Facts) -> None:
    facts["callable"] = callable(lib.UserErrorException("boom").print_stacktrace)


@case
def print_stacktrace_of_the_handled_exception(lib: Any, facts: Facts) -> None:
    try:
        raise ValueError("underneath")
    except ValueError:
        error = lib.UserErrorException("boom")
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        error.print_stacktrace()
    printed = stderr.getvalue()
    facts["names_the_handled_exception"] = "ValueError: underneath" in printed
    facts["is_a_traceback"] = printed.startswith("Traceback (most recent call last):")


@case
def raised_from_keeps_message(lib: Any, facts: Facts) -> None:
    try:
        try:
            raise KeyError("k")
        except KeyError as cause:
            raise lib.UserErrorException("boom") from cause
    except lib.UserErrorException as e:
        facts["read"] = _read(e)
        facts["cause"] = type(e.__cause__).__name__


@case
def pickled(lib: Any, facts: Facts) -> None:
    error = lib.UserErrorException("boom", inner_exception="cause")
    error.message = "changed"
    again = pickle.loads(pickle.dumps(error))
    facts["type"] = type(again).__name__
    facts["read"] = _read(again)


# -- the classes with more ------------------------------------------------------------------------


@case
def activity_failed_holds_the_details(lib: Any, facts: Facts) -> None:
    error = lib.ActivityFailedException("the details")
    facts["holds_details"] = "the details" in error.message
    facts["args_is_message"] = list(error.args) == [error.message]
    facts["by_keyword_holds_details"] = "kw" in lib.ActivityFailedException(error_details="kw").message


@case
def activity_failed_no_details(lib: Any, facts: Facts) -> None:
    lib.ActivityFailedException()


@case
def webservice_status_code(lib: Any, facts: Facts) -> None:
    facts["given"] = lib.WebserviceException("boom", status_code=404).status_code
    facts["positional"] = lib.WebserviceException("boom", 500).status_code
    facts["default"] = lib.WebserviceException("boom").status_code
    facts["read"] = _read(lib.WebserviceException("boom", status_code=404))


def _logged(make: Callable[[logging.Logger], Any]) -> list[str]:
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(f"{record.levelname}:{record.getMessage()}")

    logger = logging.getLogger("v1-exception-case")
    logger.propagate = False
    handler = Keep()
    logger.addHandler(handler)
    was = logging.root.manager.disable
    logging.disable(logging.NOTSET)
    try:
        make(logger)
    finally:
        logging.disable(was)
        logger.removeHandler(handler)
    return records


@case
def webservice_logger(lib: Any, facts: Facts) -> None:
    facts["logged"] = _logged(lambda logger: lib.WebserviceException("boom", logger=logger))


@case
def webservice_failing_logger(lib: Any, facts: Facts) -> None:
    facts["read"] = _read(lib.WebserviceException("boom", logger="not a logger"))


@case
def model_not_found_logger(lib: Any, facts: Facts) -> None:
    facts["logged"] = _logged(lambda logger: lib.ModelNotFoundException("boom", logger=logger))
    facts["positional_logger"] = _logged(lambda logger: lib.ModelNotFoundException("boom", logger))


@case
def model_not_found_has_no_status_code(lib: Any, facts: Facts) -> None:
    facts["has"] = hasattr(lib.ModelNotFoundException("boom"), "status_code")


@case
def hyperdrive_error_code_without_an_azureml_error(lib: Any, facts: Facts) -> None:
    facts["has"] = hasattr(lib.HyperDriveConfigException("boom"), "error_code")
