"""Exceptions users catch, named and raised where Prefect's (`prefect.exceptions`) are, so that
`except FailedRun:` or `except ParameterBindError:` keeps working after the rename.

Core layer: nothing here imports the rest of the package.
"""

from __future__ import annotations

import inspect
from typing import Any

#: characters Prefect refuses in flow, task and deployment names
BANNED_NAME_CHARACTERS = ("/", "%", "&", ">", "<")


class PrefectException(Exception):
    """Base of the errors raised by the engine (Prefect's name, kept for `except` clauses)."""


OrchException = PrefectException


# -- runs that did not complete ---------------------------------------------------------------------
class CrashedRun(PrefectException):
    """A run ended Crashed: something outside the user's code stopped it."""


class FailedRun(PrefectException):
    """A run ended Failed without an exception of its own to raise (e.g. `return Failed()`)."""


class CancelledRun(PrefectException):
    """A run ended Cancelled."""


class _CarriesState(BaseException):
    """An exception about a state, which it carries as `state` (`state=`, keyword only)."""

    def __init__(self, *args: Any, state: Any = None) -> None:
        super().__init__(*args)
        self.state = state


class PausedRun(_CarriesState, PrefectException):
    """A run is Paused; `state.result()` has nothing to give yet."""


class UnfinishedRun(PrefectException):
    """`result()` of a run that has not reached a final state."""


class MissingResult(PrefectException):
    """A final state whose result was neither kept in memory nor persisted."""


class UpstreamTaskError(PrefectException):
    """A task's input came from a task run that did not complete."""


# -- calling flows and tasks ------------------------------------------------------------------------
class ParameterTypeError(PrefectException):
    """A parameter value does not validate against the flow's type hints."""


class ParameterBindError(TypeError, PrefectException):
    """The call's arguments do not fit the function's signature."""

    @classmethod
    def from_bind_failure(
        cls, fn: Any, exc: TypeError, call_args: tuple, call_kwargs: dict[str, Any]
    ) -> ParameterBindError:
        try:
            signature = str(inspect.signature(fn))
        except (TypeError, ValueError):
            signature = "(...)"
        name = getattr(fn, "__name__", repr(fn))
        return cls(
            f"Error binding parameters for function '{name}': {exc}.\n"
            f"Function '{name}' has signature '{signature}' but received args: {call_args} "
            f"and kwargs: {list(call_kwargs)}."
        )


class SignatureMismatchError(PrefectException, TypeError):
    """Parameters given to a deployment or a function do not match its signature."""


class ReservedArgumentError(PrefectException, TypeError):
    """A flow or task function takes an argument whose name the engine reserves."""


class InvalidNameError(PrefectException, ValueError):
    """A flow, task or deployment name contains a character that cannot be used in names."""


class MappingLengthMismatch(PrefectException, ValueError):
    """`.map()` was given iterables of different lengths (also a ValueError, as it was here)."""


class MappingMissingIterable(PrefectException, ValueError):
    """`.map()` was given no iterable to map over (also a ValueError, as it was here)."""


class MissingContextError(PrefectException, RuntimeError):
    """A run-scoped helper (logger, artifact, pause) was used outside a flow or task run."""


class ObjectNotFound(PrefectException):
    """A run, deployment or other object looked up by id or name does not exist."""


class ObjectAlreadyExists(PrefectException):
    """An object with this name or id already exists."""


class FlowRunWaitTimeout(PrefectException):
    """`run_deployment(..., timeout=)` gave up waiting for the run to finish."""


class FlowPauseTimeout(PrefectException):
    """A paused run was not resumed before its timeout."""


class NotPausedError(PrefectException):
    """Resuming a run that is not paused."""


class HashError(PrefectException):
    """A cache key could not be computed from a task's inputs."""


class SerializationError(PrefectException):
    """A result could not be serialized with the chosen serializer."""


class ConfigurationError(PrefectException):
    """A setting or option has a value that cannot work."""


class ScriptError(PrefectException):
    """The script an entrypoint names raised while it was being loaded."""

    def __init__(self, user_exc: BaseException, path: str) -> None:
        super().__init__(f"Script at {path!r} encountered an exception: {user_exc!r}")
        self.user_exc = user_exc
        self.path = path


class MissingFlowError(PrefectException):
    """The entrypoint names nothing that is a flow."""


# -- signals: BaseExceptions that end a run from the outside ----------------------------------------
class PrefectSignal(BaseException):
    """Base of the signals the engine raises to stop a run (not an `Exception`: user code's
    `except Exception` does not swallow them)."""


class Abort(PrefectSignal):
    """Stop this run without a further state change (someone else owns it)."""


class Pause(_CarriesState, PrefectSignal):
    """The run pauses."""


class ExternalSignal(BaseException):
    """A signal from outside the process (SIGTERM) turned into an exception."""


class TerminationSignal(ExternalSignal):
    """The process got SIGTERM (e.g. its worker cancelled the run); `signal` is its number."""

    def __init__(self, signal: int) -> None:
        super().__init__(f"received signal {signal}")
        self.signal = signal


def check_reserved(fn: Any, reserved: tuple[str, ...]) -> None:
    """ReservedArgumentError if `fn` takes an argument the engine's call takes itself."""
    try:
        names = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return
    for name in reserved:
        if name in names:
            raise ReservedArgumentError(f"{name!r} is a reserved argument name and cannot be used.")


def check_name(name: str, kind: str = "flow") -> str:
    """`name` if it contains no character Prefect bans in names, else InvalidNameError."""
    if any(c in name for c in BANNED_NAME_CHARACTERS):
        raise InvalidNameError(
            f"Name {name!r} contains an invalid character. Must not contain any of: "
            f"{list(BANNED_NAME_CHARACTERS)}."
        )
    return name


__all__ = [
    "BANNED_NAME_CHARACTERS",
    "Abort",
    "CancelledRun",
    "ConfigurationError",
    "CrashedRun",
    "ExternalSignal",
    "FailedRun",
    "FlowPauseTimeout",
    "FlowRunWaitTimeout",
    "HashError",
    "InvalidNameError",
    "MappingLengthMismatch",
    "MappingMissingIterable",
    "MissingContextError",
    "MissingResult",
    "NotPausedError",
    "ObjectAlreadyExists",
    "ObjectNotFound",
    "OrchException",
    "ParameterBindError",
    "ParameterTypeError",
    "Pause",
    "PausedRun",
    "PrefectException",
    "PrefectSignal",
    "ReservedArgumentError",
    "SerializationError",
    "SignatureMismatchError",
    "TerminationSignal",
    "UnfinishedRun",
    "UpstreamTaskError",
    "check_name",
    "check_reserved",
]
